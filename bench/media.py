"""Media figures: a 1 MB photo from a contact -> stored and its ``whatsapp:message_media`` (ready:
what the dashboard needs to show it) on a socket; a stored 1 MB photo sent -> at the contact.

The send is timed from the ``send_media`` job the gateway's send-media route enqueues (the file
stored and the message row written first, as the route does) to the simulated contact having it.
"""

from __future__ import annotations

import asyncio
import io
import random
import time
import uuid
from typing import Any
from uuid import UUID

from arq import create_pool
from arq.connections import RedisSettings
from PIL import Image

from bench.latency import Latency
from bench.stack import REDIS_URL, BenchStack
from bench.stats import summary
from shared import jobs
from shared.constants import RedisNames
from shared.db.pool import make_pool
from shared.db.repos import media as media_repo
from shared.db.repos import messages
from shared.media.local import LocalMediaStore
from shared.queues import enqueue_command

TARGETS = {"media_inbound_ready_p50_ms": 1500, "media_send_to_phone_p50_ms": 2000}
MB = 1024 * 1024


def photo_of_about(size: int, seed: int) -> bytes:
    """A real JPEG of about ``size`` bytes (noise compresses badly: the size stays)."""
    rng = random.Random(seed)
    side = 600
    while True:
        pixels = rng.randbytes(side * side * 3)
        out = io.BytesIO()
        Image.frombytes("RGB", (side, side), pixels).save(out, "JPEG", quality=85)
        if out.tell() >= size:
            return out.getvalue()
        side += 100


async def inbound_ready(lat: Latency, phone: str, contact: str, rounds: int) -> dict[str, Any]:
    """Each round a different 1 MB photo (no dedup shortcut)."""
    samples: list[float] = []
    for i in range(rounds):
        data = photo_of_about(MB, seed=i)
        started = time.perf_counter()
        sent = await lat.sim.inbound_media(
            phone, contact, "image", f"bench photo {i}", data=data, mime="image/jpeg"
        )
        message = await lat._event(
            "whatsapp:message",
            lambda d, t=f"bench photo {i}": d["message"]["body"] == t,
        )
        await lat._event(
            "whatsapp:message_media",
            lambda d, m=message["message"]["id"]: (
                d["messageId"] == m and d["media"]["status"] == "ready"
            ),
        )
        samples.append(time.perf_counter() - started)
        assert sent["media"]["size"] == len(data)
    return summary(samples)


async def send_to_phone(
    stack: BenchStack, lat: Latency, sid: str, chat_id: str, phone: str, *, rounds: int
) -> dict[str, Any]:
    samples: list[float] = []
    store = LocalMediaStore(stack.workdir / "media")
    pool = make_pool(stack.database_url, min_size=1, max_size=2)
    await pool.open(wait=True)
    arq = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    names = RedisNames()
    try:
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT s.company_id, c.wa_chat_id FROM wa_sessions s JOIN wa_chats c"
                " ON c.session_id = s.id WHERE s.id = %s AND c.id = %s",
                (sid, chat_id),
            )
            row: Any = await cur.fetchone()
        company_id, wa_chat_id = UUID(str(row["company_id"])), str(row["wa_chat_id"])
        for i in range(rounds):
            data = photo_of_about(MB, seed=1000 + i)
            caption = f"bench media {i} {time.time_ns()}"
            started = time.perf_counter()
            job = await _as_the_gateway_does(
                pool, store, company_id=company_id, sid=sid, chat_id=chat_id,
                wa_chat_id=wa_chat_id, data=data, caption=caption,
            )  # fmt: skip
            await enqueue_command(arq, names, sid, jobs.SEND_MEDIA, job)
            async with asyncio.timeout(60):
                while not any(m["text"] == caption for m in await lat.sim.sent(phone)):
                    await _not_failed(pool, job)
                    await asyncio.sleep(0.01)
            samples.append(time.perf_counter() - started)
    finally:
        await arq.aclose()
        await pool.close()
    return summary(samples)


async def _not_failed(pool: Any, job: jobs.SendMedia) -> None:
    async with pool.connection() as conn:
        msg = await messages.worker_get(conn, session_id=job.session_id, message_id=job.message_id)
    if msg is not None and msg.status == "failed":
        raise RuntimeError(f"send_media failed: {msg.error}")


async def _as_the_gateway_does(
    pool: Any,
    store: LocalMediaStore,
    *,
    company_id: UUID,
    sid: str,
    chat_id: str,
    wa_chat_id: str,
    data: bytes,
    caption: str,
) -> jobs.SendMedia:
    blob = await store.put(company_id, data)
    async with pool.connection() as conn, conn.transaction():
        msg, _ = await messages.create_outgoing(
            conn,
            session_id=UUID(sid),
            chat_id=UUID(chat_id),
            client_msg_id=uuid.uuid4().hex,
            body=caption,
            sent_by_user_id=None,
        )
        await media_repo.record_blob(
            conn, company_id=company_id, sha256=blob.sha256, size=blob.size, mime="image/jpeg"
        )
        await media_repo.capture(
            conn, message_id=msg.id, company_id=company_id, session_id=UUID(sid), kind="image",
            mime="image/jpeg", size=blob.size, sha256=blob.sha256,
        )  # fmt: skip
    return jobs.SendMedia(
        session_id=UUID(sid),
        message_id=msg.id,
        client_msg_id=msg.client_msg_id or "",
        kind="image",
        mime="image/jpeg",
        sha256=blob.sha256,
        size=blob.size,
        caption=caption,
        wa_chat_id=wa_chat_id,
    )


async def run_media(
    stack: BenchStack, lat: Latency, sid: str, chat_id: str, phone: str
) -> dict[str, Any]:
    contact = "15550309999"
    inbound = await inbound_ready(lat, phone, contact, rounds=10)
    try:
        sent = await send_to_phone(stack, lat, sid, chat_id, phone, rounds=10)
    except (RuntimeError, TimeoutError) as exc:  # the other figure still counts
        sent = {"n": 0, "error": str(exc) or type(exc).__name__}
    return {"media_inbound_ready": inbound, "media_send_to_phone": sent}


async def _alone(stack: BenchStack) -> dict[str, Any]:
    """Only the media figures: a session linked, a chat with a contact, then both."""
    import aiohttp

    from tests.support.sim import SimClient

    async with aiohttp.ClientSession() as http:
        sim = SimClient(stack.sim_url)
        await sim.config(loadMs=100, syncMs=100, bridge="off" if stack.bridge == "page" else "on")
        await stack.login(http)
        lat = Latency(stack, http, sim)
        await lat.open()
        _, sid, ref = await lat.create_to_first_qr(rounds=1)
        phone = "15550101010"
        await sim.link(ref, phone, "Bench Shop")
        await lat._event("whatsapp:ready", lambda d: d["sessionId"] == sid)
        await sim.inbound(phone, "15550209999", "hello", name="Bench contact")
        chat_id = (await lat._event("whatsapp:message", lambda d: True))["chatId"]
        try:
            return await run_media(stack, lat, sid, chat_id, phone)
        finally:
            await lat.socket.disconnect()
            await sim.close()


def main(argv: list[str]) -> int:
    """``python -m bench.media [module|page]``: the media figures alone, as JSON lines."""
    import json
    import sys
    import tempfile
    from pathlib import Path

    for bridge in [b for b in ("module", "page") if b in argv] or ["module"]:
        with tempfile.TemporaryDirectory(prefix=f"wagw-bench-media-{bridge}-") as tmp:
            stack = BenchStack(Path(tmp), bridge=bridge)
            try:
                stack.up(("simulator", "gateway", "worker"))
                got = asyncio.run(_alone(stack))
            finally:
                stack.down()
        for name, figures in got.items():
            sys.stdout.write(json.dumps({"bench": name, "bridge": bridge, **figures}) + "\n")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
