"""Session commands for admins: start, stop, restart, disconnect (log the device out and stop)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway import lifecycle
from gateway.auth.principal import Role, Scope
from gateway.jsonio import ok
from gateway.keys import PG, PRINCIPAL
from gateway.permissions import admin_session
from gateway.responses import CommandOut
from gateway.routing import Handler, Router
from gateway.validation import path_uuid
from shared.db.types import WaSession

router = Router("sessions")

Command = Callable[[web.Request, WaSession], Awaitable[CommandOut]]

_COMMANDS: tuple[tuple[str, Command, str, str], ...] = (
    ("start", lifecycle.start, "Start a session", "Sets desired running; queues start_session."),
    (
        "stop",
        lifecycle.stop,
        "Stop a session (it stays linked)",
        "Sets desired stopped; the owning worker stops, or the state is written stopped now.",
    ),
    (
        "restart",
        lifecycle.restart,
        "Restart a session's browser",
        "The owner hands the session off and it is claimed again (no new QR); else started.",
    ),
    (
        "disconnect",
        lifecycle.disconnect,
        "Log the device out of WhatsApp and stop",
        "A new QR scan is needed afterwards.",
    ),
)


def _handler(command: Command) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        session_id = path_uuid(request, "id")
        async with request.app[PG].connection() as conn:
            session = await admin_session(conn, request[PRINCIPAL], session_id)
        return ok((await command(request, session)).to_wire())

    return handle


for _name, _command, _summary, _description in _COMMANDS:
    router.route(
        "POST",
        f"/api/whatsapp/sessions/{{id}}/{_name}",
        roles={Role.ADMIN},
        scope=Scope.MANAGE,
        summary=_summary,
        response=CommandOut,
        description=_description,
    )(_handler(_command))
