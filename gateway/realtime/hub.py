"""The Socket.IO server: JWT or API key handshake, rooms by right, welcome + replay (or resume
from ``auth.lastEventId``), live permission changes, sockets closed at token expiry, on a user's
or key's removal and on shutdown.

Each gateway delivers the event log to its own sockets (gateway/realtime/feed.py), so no
cross-server socket manager is needed and nothing is delivered twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import psycopg
import socketio
from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from redis.asyncio import Redis

from gateway.auth.principal import Principal, Role
from gateway.keys import METRICS_REGISTRY, NAMES, PAGE_CACHE, PG, USER_CACHE
from gateway.permissions import sees_qr
from gateway.realtime import handshake, resume, rooms
from gateway.realtime.feed import Feed
from gateway.realtime.payloads import (
    RESYNC_EVENT,
    Outgoing,
    passkey_replay,
    replay_events,
    to_root,
    to_socket,
)
from gateway.realtime.relay import Relay
from gateway.realtime.sockets import CloseReason, LiveSockets
from shared import events
from shared.db.repos import passkeys, sessions
from shared.db.types import WaSession
from shared.qr import data_url, stored_png
from shared.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_SESSION_TTL_S = 10.0
# clients send small events only (ping, acks): a bigger message closes the connection
MAX_SOCKET_MESSAGE_BYTES = 16 * 1024
MAX_PING_ECHO_BYTES = 256  # a ping's payload is echoed back only up to this size


def session_brief(s: WaSession) -> dict[str, Any]:
    return {
        "sessionId": str(s.id),
        "name": s.name,
        "state": s.state,
        "phone": s.phone,
        "displayName": s.display_name,
    }


def _resume_mode(plan: resume.Plan | None) -> str:
    if plan is None:
        return "none"
    return "resync" if plan.resync else "replay"


@dataclass(frozen=True, slots=True)
class Joining:
    """A socket that passed the handshake, as its welcome needs it."""

    sid: str
    ns: str
    who: Principal
    visible: list[WaSession]
    plan: resume.Plan | None
    position: int  # the company's event id it joined at (a replay: the seam decides)


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
        self.feed: Feed | None = None  # made with the pool (lifecycle)
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
            cursor = resume.cursor_of(auth) if ns == rooms.NAMESPACE else None
            try:
                who, expires = await handshake.identify(
                    self.settings, self._pool(), environ, auth, ns
                )
                joining = await self._admit(sid, ns, who, cursor)
            except (PoolTimeout, psycopg.OperationalError):
                raise socketio.exceptions.ConnectionRefusedError(
                    "service unavailable (database), try again"
                ) from None
            self.live.add((ns, sid), who.user_id, expires, company_id=who.tenant)
            self.sio.start_background_task(self._welcome, joining)

        return connect

    async def _admit(self, sid: str, ns: str, who: Principal, cursor: int | None) -> Joining:
        """Follow the company's events and join the rooms now, unless a replay comes first."""
        visible = await rooms.visible_sessions(self._pool(), who)
        plan = None
        if cursor is not None:
            limit = self.settings.resume_max_events
            plan = await resume.plan(self._pool(), who.tenant, cursor, limit)
        await self.sio.save_session(sid, {"principal": who}, namespace=ns)
        feed = self._feed()
        position = await feed.attach(who.tenant)
        try:
            if plan is None or plan.resync:
                async with feed.seam(who.tenant) as position:
                    await self._join(sid, ns, who, visible)
        except BaseException:
            feed.detach(who.tenant)
            raise
        return Joining(sid, ns, who, visible, plan, position)

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

    async def _welcome(self, j: Joining) -> None:
        plan, who = j.plan, j.who
        if j.ns == rooms.NAMESPACE:
            confirmed = {
                "userId": str(who.user_id),
                "companyId": str(who.company_id),
                "role": who.role.value,
                "sessions": [session_brief(s) for s in j.visible],
                # the id to resume from later: the client's own before a replay
                "lastEventId": plan.after if plan and not plan.resync else j.position,
                "resume": _resume_mode(plan),
            }
            await self.sio.emit("connection-confirmed", confirmed, to=j.sid, namespace=j.ns)
        if plan is not None and plan.resync is None:
            await resume.resume_socket(
                self.sio,
                self._pool(),
                self._feed(),
                sid=j.sid,
                joined=rooms.rooms_for(who, j.visible),
                company_id=who.tenant,
                after=plan.after,
                join=lambda: self._join(j.sid, j.ns, who, j.visible),
            )
            return
        if plan is not None:
            notice = {"reason": plan.resync, "lastEventId": j.position}
            await self.sio.emit(RESYNC_EVENT, notice, to=j.sid, namespace=j.ns)
        await self._replay(j.sid, j.ns, who, j.visible)

    async def _replay(self, sid: str, ns: str, who: Principal, visible: list[WaSession]) -> None:
        """Current state (and, for admins, the current QR) of every session the user may see."""
        default = await self.default_session(who.tenant) if ns == rooms.ROOT else None
        for s in visible:
            if ns == rooms.ROOT and s.id != default:
                continue
            admin = (sees_qr(who) and ns == rooms.NAMESPACE) or (ns == rooms.ROOT and sees_qr(who))
            qr_code = None
            if admin and s.state == "qr" and s.qr_payload:  # the PNG kept with the QR
                qr_code = data_url(await stored_png(s.qr_payload, s.qr_png))
            replayed = replay_events(s, root=ns == rooms.ROOT, admin=admin, qr_code=qr_code)
            if admin and ns == rooms.NAMESPACE:
                replayed += await self._passkey_replay(s)
            for out in replayed:
                await self.sio.emit(out.name, out.data, to=sid, namespace=ns)

    async def _passkey_replay(self, s: WaSession) -> list[Outgoing]:
        """The passkey request the page waits on, while the session is in a passkey state."""
        if s.state not in ("passkey_required", "passkey_confirmation"):
            return []
        async with self._pool().connection() as conn:
            request = await passkeys.current(conn, company_id=s.company_id, session_id=s.id)
        return passkey_replay(s, request)

    def _make_disconnect(self, ns: str) -> Any:
        async def disconnect(sid: str, *_: Any) -> None:
            company_id = self.live.remove((ns, sid))
            if company_id is not None and self.feed is not None:
                self.feed.detach(company_id)

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

    async def deliver_event(self, event: events.Event) -> None:
        """A logged event to this gateway's sockets that may see it (and, for the company's
        default session, the legacy events on ``/``)."""
        company, session = event.company_id, event.session_id
        await self.deliver(company, session, to_socket(event), rooms.NAMESPACE)
        root = to_root(event)
        if root is not None and await self.default_session(company) == session:
            await self.deliver(company, session, root, rooms.ROOT)

    async def default_session(self, company_id: UUID) -> UUID | None:
        cached = self._defaults.get(company_id)
        if cached and time.monotonic() - cached[1] < DEFAULT_SESSION_TTL_S:
            return cached[0]
        async with self._pool().connection() as conn:
            row = await sessions.default_for_company(conn, company_id=company_id)
        self._defaults[company_id] = (row.id if row else None, time.monotonic())
        return row.id if row else None

    async def access_changed(self, company_id: UUID | None, principal_id: UUID) -> None:
        """Re-check a user's (or API key's) live sockets now: leave rooms no longer allowed, join
        new ones; a disabled or deleted user's, or a revoked key's, sockets are closed."""
        socks = self.live.of_user(principal_id)
        if not socks:
            return
        who = await handshake.reload(self._pool(), principal_id)
        if who is None or who.company_id != company_id:
            closed = await self.live.close_user(principal_id, CloseReason.USER_GONE)
            log.info("principal=%s gone: sockets=%d closed", principal_id, closed)
            return
        visible = await rooms.visible_sessions(self._pool(), who)
        for ns, sid in socks:
            before = set(self.sio.rooms(sid, namespace=ns))
            await self._join(sid, ns, who, visible)
            added = [s for s in visible if rooms.readers_room(s.id) not in before]
            await self._replay(sid, ns, who, added)
        log.info("user=%s access changed, sockets=%d re-checked", principal_id, len(socks))

    def _pool(self) -> AsyncConnectionPool:
        assert self.pg is not None, "hub used before the app started"
        return self.pg

    def _feed(self) -> Feed:
        assert self.feed is not None, "hub used before the app started"
        return self.feed

    async def on_shutdown(self, app: web.Application) -> None:
        """SIGTERM: every socket is told and closed now (its client reconnects elsewhere),
        before the server waits for in-flight requests."""
        await self.live.shut_down((rooms.NAMESPACE, rooms.ROOT))

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        """cleanup_ctx step (after Postgres): the relay on its own Redis connection, which has no
        read timeout because a quiet pub/sub channel is normal, and the feed's poll."""
        self.pg = app[PG]
        page_cache = app[PAGE_CACHE]

        async def deliver(event: events.Event) -> None:
            page_cache.forget(event.company_id)  # read from the log without a wake-up, maybe
            await self.deliver_event(event)

        self.feed = Feed(app[PG], deliver)
        redis = Redis.from_url(
            self.settings.redis_url,
            socket_connect_timeout=self.settings.redis_timeout_s,
            health_check_interval=30,
        )
        relay = Relay(
            self,
            redis,
            names=app[NAMES],
            feed=self.feed,
            user_cache=app[USER_CACHE],
            page_cache=app[PAGE_CACHE],
            registry=app[METRICS_REGISTRY],
        )
        tasks = [
            asyncio.create_task(relay.run(), name="event-relay"),
            asyncio.create_task(self.feed.run_polling(self.settings.event_poll_s), name="feed"),
        ]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.feed.close()
        await redis.aclose()


def _small(data: Any) -> Any:
    """A ping's payload as it came, or None when it is not small JSON."""
    try:
        size = len(orjson.dumps(data))
    except (TypeError, orjson.JSONEncodeError):
        return None
    return data if size <= MAX_PING_ECHO_BYTES else None
