"""API keys of a company: created (only the hash is kept), listed, revoked, looked up by hash."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from psycopg.rows import class_row

from shared.db.types import ApiKey, Conn

_COLUMNS = (
    "id, company_id, name, prefix, scopes, session_ids, created_by, created_at, last_used_at,"
    " revoked_at"
)
# last_used_at is written at most once a minute per key, not on every request
TOUCH_EVERY = "1 minute"


async def create(
    conn: Conn,
    *,
    company_id: UUID,
    name: str,
    prefix: str,
    key_hash: bytes,
    scopes: Sequence[str],
    session_ids: Sequence[UUID] | None,
    created_by: UUID | None,
) -> ApiKey:
    async with conn.cursor(row_factory=class_row(ApiKey)) as cur:
        await cur.execute(
            "INSERT INTO api_keys (company_id, name, prefix, key_hash, scopes, session_ids,"
            " created_by) VALUES (%(cid)s, %(name)s, %(prefix)s, %(hash)s, %(scopes)s,"
            f" %(sids)s, %(by)s) RETURNING {_COLUMNS}",
            {
                "cid": company_id,
                "name": name,
                "prefix": prefix,
                "hash": key_hash,
                "scopes": list(scopes),
                "sids": list(session_ids) if session_ids is not None else None,
                "by": created_by,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def list_for_company(conn: Conn, *, company_id: UUID) -> list[ApiKey]:
    async with conn.cursor(row_factory=class_row(ApiKey)) as cur:
        await cur.execute(
            f"SELECT {_COLUMNS} FROM api_keys WHERE company_id = %(cid)s"
            " ORDER BY created_at DESC, id",
            {"cid": company_id},
        )
        return await cur.fetchall()


async def revoke(conn: Conn, *, company_id: UUID, key_id: UUID) -> ApiKey | None:
    """Revoke a key of the company (again: a no-op); None when it is not the company's."""
    async with conn.cursor(row_factory=class_row(ApiKey)) as cur:
        await cur.execute(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())"
            f" WHERE id = %(id)s AND company_id = %(cid)s RETURNING {_COLUMNS}",
            {"id": key_id, "cid": company_id},
        )
        return await cur.fetchone()


async def use(conn: Conn, *, key_hash: bytes) -> ApiKey | None:
    """The live (unrevoked) key with this hash, noting that it was used."""
    async with conn.cursor(row_factory=class_row(ApiKey)) as cur:
        await cur.execute(
            f"WITH k AS (SELECT {_COLUMNS} FROM api_keys"
            "  WHERE key_hash = %(hash)s AND revoked_at IS NULL),"
            " touched AS (UPDATE api_keys SET last_used_at = now()"
            "  WHERE id = (SELECT id FROM k)"
            "  AND (last_used_at IS NULL OR last_used_at < now() - %(every)s::interval))"
            " SELECT * FROM k",
            {"hash": key_hash, "every": TOUCH_EVERY},
        )
        return await cur.fetchone()


async def get_live(conn: Conn, *, key_id: UUID) -> ApiKey | None:
    """An unrevoked key by id (live sockets re-check their key with it)."""
    async with conn.cursor(row_factory=class_row(ApiKey)) as cur:
        await cur.execute(
            f"SELECT {_COLUMNS} FROM api_keys WHERE id = %(id)s AND revoked_at IS NULL",
            {"id": key_id},
        )
        return await cur.fetchone()
