"""``GET /api/whatsapp/websocket/test-config``: how a client connects to the Socket.IO server."""

from __future__ import annotations

from aiohttp import web

from gateway.auth.apikeys import HEADER as API_KEY_HEADER
from gateway.auth.principal import Scope
from gateway.auth.tokens import bearer_token
from gateway.forwarded import client
from gateway.jsonio import ok
from gateway.realtime.payloads import CLIENT_EVENTS, LEGACY_EVENTS, SERVER_EVENTS
from gateway.routing import ANY_USER, Router, uses_api_key
from shared.events import Wire

router = Router("realtime")


class SocketAuth(Wire):
    """The handshake's ``auth``: the caller's token, or its API key; a reconnecting client adds
    ``lastEventId`` (the eventId of the last event it received) to resume."""

    token: str | None = None
    api_key: str | None = None


class LegacyNamespace(Wire):
    namespace: str
    events: list[str]


class SocketConfig(Wire):
    url: str
    path: str
    namespace: str
    transports: list[str]
    auth: SocketAuth
    events: list[str]
    server_events: list[str]
    client_events: list[str]
    legacy: LegacyNamespace


def _origin(request: web.Request) -> str:
    # behind a trusted proxy (nginx) the public scheme and host are the forwarded ones
    seen = client(request)
    return f"{seen.scheme}://{seen.host}"


def _auth(request: web.Request) -> SocketAuth:
    if uses_api_key(request):
        return SocketAuth(api_key=request.headers[API_KEY_HEADER])
    return SocketAuth(token=bearer_token(request.headers.get("Authorization")))


@router.route(
    "GET",
    "/api/whatsapp/websocket/test-config",
    roles=ANY_USER,
    scope=Scope.READ,
    summary="Socket.IO connection settings for the caller (url, path, namespace, token, events)",
    response=SocketConfig,
)
async def test_config(request: web.Request) -> web.Response:
    config = SocketConfig(
        url=_origin(request),
        path="/socket.io/",
        namespace="/whatsapp",
        transports=["websocket", "polling"],
        auth=_auth(request),
        events=[*SERVER_EVENTS, *CLIENT_EVENTS],
        server_events=list(SERVER_EVENTS),
        client_events=list(CLIENT_EVENTS),
        legacy=LegacyNamespace(namespace="/", events=list(LEGACY_EVENTS)),
    )
    return ok(config.to_wire(), headers={"Cache-Control": "no-store"})
