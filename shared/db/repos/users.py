"""Users: admins and managers of a company, and platform operators."""

from __future__ import annotations

from uuid import UUID

from psycopg.rows import class_row

from shared.db.types import Conn, User, UserCredentials

_PUBLIC = "id, company_id, email, role, display_name, disabled, created_at"


async def create(
    conn: Conn,
    *,
    company_id: UUID | None,
    email: str,
    password_hash: str,
    role: str,
    display_name: str = "",
) -> User:
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(
            "INSERT INTO users (company_id, email, password_hash, role, display_name)"
            " VALUES (%(cid)s, %(email)s, %(hash)s, %(role)s, %(name)s)"
            f" RETURNING {_PUBLIC}",
            {
                "cid": company_id,
                "email": email.strip().lower(),
                "hash": password_hash,
                "role": role,
                "name": display_name,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def credentials_by_email(conn: Conn, *, email: str) -> UserCredentials | None:
    """For login only: the one lookup that is not tenant-scoped (email is global)."""
    async with conn.cursor(row_factory=class_row(UserCredentials)) as cur:
        await cur.execute(
            f"SELECT {_PUBLIC}, password_hash FROM users WHERE lower(email) = lower(%(e)s)",
            {"e": email.strip()},
        )
        return await cur.fetchone()


async def get_active(conn: Conn, *, user_id: UUID) -> User | None:
    """The user a valid token names, if it still exists and is not disabled."""
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(
            f"SELECT {_PUBLIC} FROM users WHERE id = %(id)s AND NOT disabled", {"id": user_id}
        )
        return await cur.fetchone()


async def list_managers(conn: Conn, *, company_id: UUID) -> list[User]:
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(
            f"SELECT {_PUBLIC} FROM users WHERE company_id = %(cid)s AND role = 'manager'"
            " ORDER BY created_at, id",
            {"cid": company_id},
        )
        return await cur.fetchall()


async def readers_of_session(conn: Conn, *, company_id: UUID, session_id: UUID) -> list[User]:
    """The company's enabled managers who may read the session (whom its chats can go to)."""
    columns = ", ".join(f"u.{c}" for c in _PUBLIC.split(", "))
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(
            f"SELECT {columns} FROM users u"
            " JOIN wa_manager_access a ON a.manager_id = u.id AND a.session_id = %(sid)s"
            " WHERE u.company_id = %(cid)s AND u.role = 'manager' AND NOT u.disabled"
            "  AND a.can_read ORDER BY u.display_name, u.email, u.id",
            {"cid": company_id, "sid": session_id},
        )
        return await cur.fetchall()


async def get_manager(conn: Conn, *, company_id: UUID, manager_id: UUID) -> User | None:
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(
            f"SELECT {_PUBLIC} FROM users"
            " WHERE id = %(id)s AND company_id = %(cid)s AND role = 'manager'",
            {"id": manager_id, "cid": company_id},
        )
        return await cur.fetchone()


async def delete_manager(conn: Conn, *, company_id: UUID, manager_id: UUID) -> bool:
    cur = await conn.execute(
        "DELETE FROM users WHERE id = %(id)s AND company_id = %(cid)s AND role = 'manager'",
        {"id": manager_id, "cid": company_id},
    )
    return cur.rowcount == 1


async def set_disabled(
    conn: Conn, *, company_id: UUID | None, user_id: UUID, disabled: bool
) -> bool:
    cur = await conn.execute(
        "UPDATE users SET disabled = %(d)s"
        " WHERE id = %(id)s AND company_id IS NOT DISTINCT FROM %(cid)s",
        {"d": disabled, "id": user_id, "cid": company_id},
    )
    return cur.rowcount == 1
