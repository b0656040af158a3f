"""The Socket.IO server: JWT handshake, rooms by right, welcome + replay, live permission changes,
sockets closed at token expiry, on a user's removal and on shutdown.

Each gateway delivers events to its own sockets (every gateway reads the events channel), so no
cross-server socket manager is needed and nothing is delivered twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import orjson
import psycopg
import socketio
from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from redis.asyncio import Redis

from gateway.auth.principal import Principal, Role
from gateway.auth.tokens import TokenClaims, decode_token
from gateway.errors import Unauthorized
from gateway.keys import METRICS_REGISTRY, NAMES, PG, USER_CACHE
from gateway.realtime import rooms
from gateway.realtime.payloads import Outgoing, passkey_replay, replay_events, to_socket
from gateway.realtime.relay import Relay
from gateway.realtime.sockets import CloseReason, LiveSockets
from shared import events
from shared.db.repos import passkeys, sessions, users
from shared.db.types import WaSession
from shared.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_SESSION_TTL_S = 10.0
# clients send small events only (ping, acks): a bigger message closes the connection
MAX_SOCKET_MESSAGE_BYTES = 16 * 1024
MAX_PING_ECHO_BYTES = 256  # a ping's payload is echoed back only up to this size


def _token(environ: dict[str, Any], auth: Any) -> str | None:
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return str(auth["token"])
    values = parse_qs(environ.get("QUERY_STRING", "")).get("token")
    return values[0] if values else None


def session_brief(s: WaSession) -> dict[str, Any]:
    return {
        "sessionId": str(s.id),
        "name": s.name,
        "state": s.state,
        "phone": s.phone,
        "displayName": s.display_name,
    }


class Hub:
    def __init__(self, settings: Settings, registry: CollectorRegistry) -> None:
        self.settings = settings
        origins = settings.cors_origin_list or None
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            cors_allowed_origins=origins,
            logger=False,
            engineio_logger=False,
            max_http_buffer_size=MAX_SOCKET_MESSAGE_BYTES,
        )
        self.pg: AsyncConnectionPool | None = None
        self.live = LiveSockets(self.sio)
        Gauge(
            "gateway_sockets", "Live Socket.IO connections (per namespace)", registry=registry
        ).set_function(lambda: self.live.count)
        self._defaults: dict[UUID, tuple[UUID | None, float]] = {}
        for ns in (rooms.NAMESPACE, rooms.ROOT):
            self.sio.on("connect", self._make_connect(ns), namespace=ns)
            self.sio.on("disconnect", self._make_disconnect(ns), namespace=ns)
            self.sio.on("ping", self._make_ping(ns), namespace=ns)

    def attach(self, app: web.Application) -> None:
        self.sio.attach(app, socketio_path="socket.io")

    @property
    def connected(self) -> int:
        return self.live.count

    # --- handshake -----------------------------------------------------------------------

    def _make_connect(self, ns: str) -> Any:
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
            claims = self._claims(environ, auth)
            try:
                who = await self._principal(claims)
                visible = await rooms.visible_sessions(self._pool(), who)
                await self.sio.save_session(sid, {"principal": who}, namespace=ns)
                await self._join(sid, ns, who, visible)
            except (PoolTimeout, psycopg.OperationalError):
                raise socketio.exceptions.ConnectionRefusedError(
                    "service unavailable (database), try again"
                ) from None
            self.live.add((ns, sid), who.user_id, claims.expires_at)
            self.sio.start_background_task(self._welcome, sid, ns, who, visible)

        return connect

    def _claims(self, environ: dict[str, Any], auth: Any) -> TokenClaims:
        token = _token(environ, auth)
        if not token:
            raise socketio.exceptions.ConnectionRefusedError(
                "authentication required: pass the JWT as auth.token (or ?token=)"
            )
        try:
            return decode_token(self.settings, token)
        except Unauthorized as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message) from None

    async def _principal(self, claims: TokenClaims) -> Principal:
        async with self._pool().connection() as conn:
            user = await users.get_active(conn, user_id=claims.user_id)
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError("user no longer exists or is disabled")
        who = Principal.of(user)
        if who.role is Role.OPERATOR:
            raise socketio.exceptions.ConnectionRefusedError(
                "operators have no message feed; use /api/ops/*"
            )
        return who

    async def _join(self, sid: str, ns: str, who: Principal, visible: list[WaSession]) -> None:
        wanted = rooms.rooms_for(who, visible)
        if ns == rooms.ROOT:
            default = await self.default_session(who.tenant)
            wanted = {r for r in wanted if r == rooms.admins_room(who.tenant)} | (
                {rooms.readers_room(default)}
                if default and any(s.id == default for s in visible) and who.role is Role.MANAGER
                else set()
            )
        current = set(self.sio.rooms(sid, namespace=ns)) - {sid}
        for room in current - wanted:
            await self.sio.leave_room(sid, room, namespace=ns)
        for room in wanted - current:
            await self.sio.enter_room(sid, room, namespace=ns)

    async def _welcome(self, sid: str, ns: str, who: Principal, visible: list[WaSession]) -> None:
        if ns == rooms.NAMESPACE:
            await self.sio.emit(
                "connection-confirmed",
                {
                    "userId": str(who.user_id),
                    "companyId": str(who.company_id),
                    "role": who.role.value,
                    "sessions": [session_brief(s) for s in visible],
                },
                to=sid,
                namespace=ns,
            )
        await self._replay(sid, ns, who, visible)

    async def _replay(self, sid: str, ns: str, who: Principal, visible: list[WaSession]) -> None:
        """Current state (and, for admins, the current QR) of every session the user may see."""
        default = await self.default_session(who.tenant) if ns == rooms.ROOT else None
        admin = who.role is Role.ADMIN
        for s in visible:
            if ns == rooms.ROOT and s.id != default:
                continue
            replayed = replay_events(s, root=ns == rooms.ROOT, admin=admin)
            if admin and ns == rooms.NAMESPACE:
                replayed += await self._pairing_replay(s)
                replayed += await self._passkey_replay(s)
            for out in replayed:
                await self.sio.emit(out.name, out.data, to=sid, namespace=ns)

    async def _pairing_replay(self, s: WaSession) -> list[Outgoing]:
        """The pairing code on screen, while the session shows it (state qr) and it is valid."""
        expires = s.pairing_code_expires_at
        if s.state != "qr" or not s.pairing_code or not expires or expires <= datetime.now(UTC):
            return []
        event = events.PairingCodeEvent(
            session_id=s.id,
            company_id=s.company_id,
            data=events.PairingCodeData(
                code=s.pairing_code, phone=s.pairing_phone or "", expires_at=expires
            ),
        )
        out = to_socket(event)
        return [Outgoing(out.name, {**out.data, "replay": True}, admins_only=True)]

    async def _passkey_replay(self, s: WaSession) -> list[Outgoing]:
        """The passkey request the page waits on, while the session is in a passkey state."""
        if s.state not in ("passkey_required", "passkey_confirmation"):
            return []
        async with self._pool().connection() as conn:
            request = await passkeys.current(conn, company_id=s.company_id, session_id=s.id)
        return passkey_replay(s, request)

    def _make_disconnect(self, ns: str) -> Any:
        async def disconnect(sid: str, *_: Any) -> None:
            self.live.remove((ns, sid))

        return disconnect

    def _make_ping(self, ns: str) -> Any:
        async def ping(sid: str, data: Any = None) -> dict[str, Any]:
            pong = {"ts": time.time(), "echo": _small(data)}
            await self.sio.emit("pong", pong, to=sid, namespace=ns)
            return pong

        return ping

    # --- delivery ----------------------------------------------------------------------

    async def deliver(self, company_id: UUID, session_id: UUID, out: Outgoing, ns: str) -> None:
        to = rooms.audience(company_id, session_id, admins_only=out.admins_only)
        await self.sio.emit(out.name, out.data, to=to, namespace=ns)

    async def default_session(self, company_id: UUID) -> UUID | None:
        cached = self._defaults.get(company_id)
        if cached and time.monotonic() - cached[1] < DEFAULT_SESSION_TTL_S:
            return cached[0]
        async with self._pool().connection() as conn:
            row = await sessions.default_for_company(conn, company_id=company_id)
        self._defaults[company_id] = (row.id if row else None, time.monotonic())
        return row.id if row else None

    async def access_changed(self, company_id: UUID | None, manager_id: UUID) -> None:
        """Re-check a user's live sockets now: leave rooms no longer allowed, join new ones; a
        disabled or deleted user's sockets are closed."""
        socks = self.live.of_user(manager_id)
        if not socks:
            return
        async with self._pool().connection() as conn:
            user = await users.get_active(conn, user_id=manager_id)
        if user is None or user.company_id != company_id:
            closed = await self.live.close_user(manager_id, CloseReason.USER_GONE)
            log.info("user=%s gone: sockets=%d closed", manager_id, closed)
            return
        who = Principal.of(user)
        visible = await rooms.visible_sessions(self._pool(), who)
        for ns, sid in socks:
            before = set(self.sio.rooms(sid, namespace=ns))
            await self._join(sid, ns, who, visible)
            added = [s for s in visible if rooms.readers_room(s.id) not in before]
            await self._replay(sid, ns, who, added)
        log.info("user=%s access changed, sockets=%d re-checked", manager_id, len(socks))

    def _pool(self) -> AsyncConnectionPool:
        assert self.pg is not None, "hub used before the app started"
        return self.pg

    async def on_shutdown(self, app: web.Application) -> None:
        """SIGTERM: every socket is told and closed now (its client reconnects elsewhere),
        before the server waits for in-flight requests."""
        await self.live.shut_down((rooms.NAMESPACE, rooms.ROOT))

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        """cleanup_ctx step (after Postgres): the relay on its own Redis connection, which has no
        read timeout because a quiet pub/sub channel is normal."""
        self.pg = app[PG]
        redis = Redis.from_url(
            self.settings.redis_url,
            socket_connect_timeout=self.settings.redis_timeout_s,
            health_check_interval=30,
        )
        relay = Relay(
            self,
            redis,
            names=app[NAMES],
            pg=app[PG],
            user_cache=app[USER_CACHE],
            registry=app[METRICS_REGISTRY],
        )
        task = asyncio.create_task(relay.run(), name="event-relay")
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.aclose()


def _small(data: Any) -> Any:
    """A ping's payload as it came, or None when it is not small JSON."""
    try:
        size = len(orjson.dumps(data))
    except (TypeError, orjson.JSONEncodeError):
        return None
    return data if size <= MAX_PING_ECHO_BYTES else None
