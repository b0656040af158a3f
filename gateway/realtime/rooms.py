"""Room names and who may see what: the one place that maps rights to Socket.IO rooms.

Admins join their company's admin room (every session, QR included); managers join a reader
room per session they may read. A domain event for session S of company C goes to both rooms.
"""

from __future__ import annotations

from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from gateway.auth.principal import Principal, Role
from shared.db.repos import access, sessions
from shared.db.types import WaSession

NAMESPACE = "/whatsapp"
ROOT = "/"


def admins_room(company_id: UUID | str) -> str:
    return f"company:{company_id}:admins"


def readers_room(session_id: UUID | str) -> str:
    return f"session:{session_id}:readers"


def audience(company_id: UUID | str, session_id: UUID | str, *, admins_only: bool) -> list[str]:
    if admins_only:
        return [admins_room(company_id)]
    return [admins_room(company_id), readers_room(session_id)]


async def visible_sessions(pg: AsyncConnectionPool, who: Principal) -> list[WaSession]:
    """Sessions whose events this user receives (admins: all of the company; managers: canRead)."""
    async with pg.connection() as conn:
        if who.role is Role.ADMIN:
            return await sessions.list_for_company(conn, company_id=who.tenant)
        rights = await access.list_for_manager(conn, company_id=who.tenant, manager_id=who.user_id)
        granted = {a.session_id for a in rights if a.can_read}
        rows = await sessions.list_for_company(conn, company_id=who.tenant)
    return [s for s in rows if s.id in granted]


def rooms_for(who: Principal, visible: list[WaSession]) -> set[str]:
    if who.role is Role.ADMIN:
        return {admins_room(who.tenant)}
    return {readers_room(s.id) for s in visible}
