"""Per-session manager rights (canRead, canWrite, canManageChats)."""

from __future__ import annotations

from uuid import UUID

from psycopg.rows import class_row

from shared.db.types import Access, Conn

# for a query that checks visibility itself (s: wa_sessions, already limited to the company):
# %(viewer)s is the manager whose canRead grant must exist, NULL when the company is enough
# (admins, API keys that reach the session); gateway/permissions.py decides which
READABLE_BY_VIEWER = (
    "(%(viewer)s::uuid IS NULL OR EXISTS (SELECT 1 FROM wa_manager_access a"
    " WHERE a.session_id = s.id AND a.manager_id = %(viewer)s AND a.can_read))"
)


async def grant(
    conn: Conn,
    *,
    company_id: UUID,
    session_id: UUID,
    manager_id: UUID,
    can_read: bool,
    can_write: bool,
    can_manage_chats: bool,
    granted_by: UUID | None,
) -> Access | None:
    """Upsert rights; None when the session or the manager is not in ``company_id``."""
    async with conn.cursor(row_factory=class_row(Access)) as cur:
        await cur.execute(
            "INSERT INTO wa_manager_access"
            " (session_id, manager_id, can_read, can_write, can_manage_chats, granted_by)"
            " SELECT s.id, u.id, %(r)s, %(w)s, %(m)s, %(by)s"
            " FROM wa_sessions s, users u"
            " WHERE s.id = %(sid)s AND s.company_id = %(cid)s"
            "   AND u.id = %(mid)s AND u.company_id = %(cid)s AND u.role = 'manager'"
            " ON CONFLICT (session_id, manager_id) DO UPDATE SET"
            "   can_read = EXCLUDED.can_read, can_write = EXCLUDED.can_write,"
            "   can_manage_chats = EXCLUDED.can_manage_chats,"
            "   granted_by = EXCLUDED.granted_by, granted_at = now()"
            " RETURNING *",
            {
                "sid": session_id,
                "mid": manager_id,
                "cid": company_id,
                "r": can_read,
                "w": can_write,
                "m": can_manage_chats,
                "by": granted_by,
            },
        )
        return await cur.fetchone()


async def list_for_session(conn: Conn, *, company_id: UUID, session_id: UUID) -> list[Access]:
    async with conn.cursor(row_factory=class_row(Access)) as cur:
        await cur.execute(
            "SELECT a.* FROM wa_manager_access a JOIN wa_sessions s ON s.id = a.session_id"
            " WHERE a.session_id = %(sid)s AND s.company_id = %(cid)s"
            " ORDER BY a.granted_at, a.manager_id",
            {"sid": session_id, "cid": company_id},
        )
        return await cur.fetchall()


async def get(conn: Conn, *, company_id: UUID, session_id: UUID, manager_id: UUID) -> Access | None:
    async with conn.cursor(row_factory=class_row(Access)) as cur:
        await cur.execute(
            "SELECT a.* FROM wa_manager_access a JOIN wa_sessions s ON s.id = a.session_id"
            " WHERE a.session_id = %(sid)s AND a.manager_id = %(mid)s AND s.company_id = %(cid)s",
            {"sid": session_id, "mid": manager_id, "cid": company_id},
        )
        return await cur.fetchone()


async def list_for_manager(conn: Conn, *, company_id: UUID, manager_id: UUID) -> list[Access]:
    async with conn.cursor(row_factory=class_row(Access)) as cur:
        await cur.execute(
            "SELECT a.* FROM wa_manager_access a JOIN wa_sessions s ON s.id = a.session_id"
            " WHERE a.manager_id = %(mid)s AND s.company_id = %(cid)s",
            {"mid": manager_id, "cid": company_id},
        )
        return await cur.fetchall()


async def revoke(conn: Conn, *, company_id: UUID, session_id: UUID, manager_id: UUID) -> bool:
    cur = await conn.execute(
        "DELETE FROM wa_manager_access a USING wa_sessions s"
        " WHERE a.session_id = s.id AND s.company_id = %(cid)s"
        "   AND a.session_id = %(sid)s AND a.manager_id = %(mid)s",
        {"sid": session_id, "mid": manager_id, "cid": company_id},
    )
    return cur.rowcount == 1
