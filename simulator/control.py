"""``/_sim/`` routes about devices and the simulator itself: list, link (scan or code), config."""

from __future__ import annotations

from aiohttp import web

from simulator import ids, views
from simulator.keys import ENGINE
from simulator.parse import json_object, optional_text, required_text

MAX_NAME = 100


async def list_devices(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    out = [
        views.device_json(d, engine.store.accounts.get(d.phone or ""), engine.is_connected(d))
        for d in engine.store.devices.values()
    ]
    return web.json_response(out)


async def link(request: web.Request) -> web.Response:
    """The phone scans a QR code: ``{ref, phone, displayName}``."""
    engine = request.app[ENGINE]
    body = await json_object(request, {"ref", "phone", "displayName"})
    phone = ids.normalize_phone(body.get("phone"))
    ref = required_text(body, "ref", max_len=1000)
    name = optional_text(body, "displayName", max_len=MAX_NAME) or f"+{phone}"
    device = await engine.link(ref.strip(), phone, name)
    account = engine.store.accounts.get(device.phone or "")
    return web.json_response(views.device_json(device, account, engine.is_connected(device)))


async def link_code(request: web.Request) -> web.Response:
    """The pairing code is typed on the phone: ``{code, phone, displayName?}`` (like a scan)."""
    engine = request.app[ENGINE]
    body = await json_object(request, {"code", "phone", "displayName"})
    phone = ids.normalize_phone(body.get("phone"))
    code = required_text(body, "code", max_len=20)
    name = optional_text(body, "displayName", max_len=MAX_NAME) or f"+{phone}"
    device = await engine.link_code(code.strip(), phone, name)
    account = engine.store.accounts.get(device.phone or "")
    return web.json_response(views.device_json(device, account, engine.is_connected(device)))


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[ENGINE].config.to_json())


async def set_config(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    engine.config.update(await json_object(request, set(engine.config.to_json())))
    await engine.settings_changed()
    return web.json_response(engine.config.to_json())


async def health(request: web.Request) -> web.Response:
    """For scripts waiting for the simulator to come up."""
    store = request.app[ENGINE].store
    return web.json_response({"status": "ok", "devices": len(store.devices)})


async def reset(request: web.Request) -> web.Response:
    """Forget every device, account and message; restore the start-up config."""
    await request.app[ENGINE].reset()
    return web.json_response({"ok": True})


def setup_control_routes(app: web.Application) -> None:
    app.router.add_get("/_sim/health", health)
    app.router.add_get("/_sim/devices", list_devices)
    app.router.add_post("/_sim/link", link)
    app.router.add_post("/_sim/link-code", link_code)
    app.router.add_get("/_sim/config", get_config)
    app.router.add_post("/_sim/config", set_config)
    app.router.add_post("/_sim/reset", reset)
