"""Room names and who may see what: the one place that maps rights to Socket.IO rooms.

Admins join their company's admin room (every session, QR included); managers join a reader
room per session they may read. API keys join by their scopes: ``manage`` as an admin (QR
included), ``read`` only as a reader; a key limited to some sessions joins those sessions' rooms.
A domain event for session S of company C goes to all the rooms that may see it (``audience``):
live delivery emits to them, and a resuming socket's replay keeps an event only when one of its
rooms is among them (``may_receive``), so both are filtered alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from gateway.auth.principal import Principal, Role
from gateway.permissions import readable_sessions, sees_qr
from shared.db.types import WaSession

NAMESPACE = "/whatsapp"
ROOT = "/"


def admins_room(company_id: UUID | str) -> str:
    return f"company:{company_id}:admins"


def company_readers_room(company_id: UUID | str) -> str:
    """Every session of the company, without QR and pairing codes (read-only API keys)."""
    return f"company:{company_id}:readers"


def readers_room(session_id: UUID | str) -> str:
    return f"session:{session_id}:readers"


def session_admins_room(session_id: UUID | str) -> str:
    """One session, QR included (API keys with ``manage`` limited to some sessions)."""
    return f"session:{session_id}:admins"


def audience(company_id: UUID | str, session_id: UUID | str, *, admins_only: bool) -> list[str]:
    admins = [admins_room(company_id), session_admins_room(session_id)]
    if admins_only:
        return admins
    return [*admins, company_readers_room(company_id), readers_room(session_id)]


def may_receive(
    joined: Iterable[str], company_id: UUID, session_id: UUID, *, admins_only: bool
) -> bool:
    """Whether a socket in the rooms ``joined`` receives an event: the live rule, for replays."""
    return not set(joined).isdisjoint(audience(company_id, session_id, admins_only=admins_only))


async def visible_sessions(pg: AsyncConnectionPool, who: Principal) -> list[WaSession]:
    """Sessions whose events this caller receives."""
    async with pg.connection() as conn:
        return [s for s, _ in await readable_sessions(conn, who)]


def rooms_for(who: Principal, visible: list[WaSession]) -> set[str]:
    key = who.key
    if key is None:
        if who.role is Role.ADMIN:
            return {admins_room(who.tenant)}
        return {readers_room(s.id) for s in visible}
    admin_level = sees_qr(who)
    if key.sessions is None:
        return {admins_room(who.tenant) if admin_level else company_readers_room(who.tenant)}
    per_session = session_admins_room if admin_level else readers_room
    return {per_session(s.id) for s in visible}
