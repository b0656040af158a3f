"""A bare aiohttp JSON handler with the same payload, for the throughput ratio (a process)."""

from __future__ import annotations

import json
import sys

from aiohttp import web


def main() -> None:
    port, payload_path = int(sys.argv[1]), sys.argv[2]
    with open(payload_path) as f:
        payload = json.load(f)

    async def handler(_: web.Request) -> web.Response:
        return web.json_response(payload)

    app = web.Application()
    app.router.add_get("/bare", handler)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
