"""Chats of a WhatsApp session, newest activity first."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row, dict_row, tuple_row

from shared.db.repos.access import READABLE_BY_VIEWER
from shared.db.repos.search import like_pattern
from shared.db.types import Chat, Conn
from shared.jids import PAGE_ID_PREFIX, is_lid, is_phone, normalize_jid
from shared.payloads import CHAT_COLUMNS, CHAT_KEYS, wire_row

_CHAT_FIELDS = tuple(f.name for f in fields(Chat))
_SCOPED = "JOIN wa_sessions s ON s.id = c.session_id AND s.company_id = %(cid)s"
# the expression of the trigram index wa_chats_search_trgm_idx (0005_inbox.sql), character for
# character: the name and every WhatsApp id of the chat
SEARCH_TEXT = (
    "(c.name || E'\\n' || c.wa_chat_id || E'\\n' || coalesce(c.phone_jid, '') || E'\\n'"
    " || coalesce(c.lid, ''))"
)


async def list_for_session(
    conn: Conn,
    *,
    company_id: UUID,
    session_id: UUID,
    limit: int,
    offset: int,
    search: str | None = None,
    unread_only: bool = False,
    unread_first: bool = False,
    assigned_to: UUID | None = None,
    unassigned_only: bool = False,
) -> tuple[list[Chat], int]:
    """One page of chats (as rows) plus the total matching, tenant-checked through the session
    (workers, tests; the REST page reads ``page_for_viewer``).

    ``search`` is a substring of the name or of a WhatsApp id (trigram-indexed); ``unread_first``
    puts chats with unread messages before the others, each part newest activity first.
    """
    params = {
        "cid": company_id,
        "sid": session_id,
        "lim": limit,
        "off": offset,
        "q": like_pattern(search) if search else None,
        "unread": unread_only,
        "first": unread_first,
        "mgr": assigned_to,
        "nobody": unassigned_only,
    }
    where = (
        "c.session_id = %(sid)s"
        " AND (%(q)s::text IS NULL"
        f"  OR {SEARCH_TEXT} ILIKE %(q)s)"
        " AND (NOT %(unread)s OR c.unread_count > 0)"
        " AND (%(mgr)s::uuid IS NULL OR c.assigned_manager_id = %(mgr)s)"
        " AND (NOT %(nobody)s OR c.assigned_manager_id IS NULL)"
    )
    # the total rides along with the page (one query, not two); only a page past the end,
    # which has no rows to carry it, needs its own count
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            f"SELECT c.*, count(*) OVER () AS total_matching FROM wa_chats c {_SCOPED}"
            f" WHERE {where}"
            " ORDER BY CASE WHEN %(first)s AND c.unread_count > 0 THEN 0 ELSE 1 END,"
            "  c.last_message_at DESC NULLS LAST, c.id LIMIT %(lim)s OFFSET %(off)s",
            params,
        )
        raw = await cur.fetchall()
    if raw:
        total = int(raw[0]["total_matching"])
    else:
        total_cur = await conn.execute(
            f"SELECT count(*) AS n FROM wa_chats c {_SCOPED} WHERE {where}", params
        )
        counted = await total_cur.fetchone()
        total = int(counted["n"]) if counted else 0
    return [Chat(**{f: r[f] for f in _CHAT_FIELDS}) for r in raw], total


@dataclass(frozen=True, slots=True)
class ChatRows:
    chats: list[dict[str, Any]]  # ChatPayload's JSON objects (shared/payloads.py)
    total: int


def _page_filter(search: str | None) -> str:
    # the search clause only when searching: each shape is its own prepared statement, and
    # the planner sees the trigram condition only where it applies
    where = (
        "c.session_id = %(sid)s"
        " AND (NOT %(unread)s OR c.unread_count > 0)"
        " AND (%(mgr)s::uuid IS NULL OR c.assigned_manager_id = %(mgr)s)"
        " AND (NOT %(nobody)s OR c.assigned_manager_id IS NULL)"
    )
    return where + (f" AND {SEARCH_TEXT} ILIKE %(q)s" if search else "")


async def page_for_viewer(
    conn: Conn,
    *,
    company_id: UUID,
    session_id: UUID,
    viewer: UUID | None,
    limit: int,
    offset: int,
    search: str | None = None,
    unread_only: bool = False,
    unread_first: bool = False,
    assigned_to: UUID | None = None,
    unassigned_only: bool = False,
) -> ChatRows | None:
    """One page of chats (as JSON objects) and the total matching, in one round trip that also
    checks that the session is the company's and readable by ``viewer``
    (``access.READABLE_BY_VIEWER``); None when it is not.

    ``search`` is a substring of the name or of a WhatsApp id (trigram-indexed); ``unread_first``
    puts chats with unread messages before the others, each part newest activity first.
    """
    params = {
        "cid": company_id,
        "sid": session_id,
        "viewer": viewer,
        "lim": limit,
        "off": offset,
        "q": like_pattern(search) if search else None,
        "unread": unread_only,
        "first": unread_first,
        "mgr": assigned_to,
        "nobody": unassigned_only,
    }
    where = _page_filter(search)
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            "SELECT p.* FROM wa_sessions s LEFT JOIN LATERAL ("
            f" SELECT count(*) OVER () AS total_matching, {', '.join(CHAT_COLUMNS)}"
            f" FROM wa_chats c WHERE {where}"
            " ORDER BY CASE WHEN %(first)s AND c.unread_count > 0 THEN 0 ELSE 1 END,"
            "  c.last_message_at DESC NULLS LAST, c.id LIMIT %(lim)s OFFSET %(off)s) p ON true"
            f" WHERE s.id = %(sid)s AND s.company_id = %(cid)s AND {READABLE_BY_VIEWER}",
            params,
        )
        raw = await cur.fetchall()
    if not raw:
        return None
    if raw[0][0] is None:  # readable, but no row on this page: the total needs its own count
        counted = await conn.execute(f"SELECT count(*) AS n FROM wa_chats c WHERE {where}", params)
        row = await counted.fetchone()
        return ChatRows(chats=[], total=int(row["n"]) if row else 0)
    return ChatRows(chats=[wire_row(CHAT_KEYS, r[1:]) for r in raw], total=int(raw[0][0]))


async def unread_by_session(
    conn: Conn, *, company_id: UUID, session_ids: list[UUID]
) -> dict[UUID, int]:
    """Per session: how many of its chats have unread messages (sessions with none left out)."""
    cur = await conn.execute(
        f"SELECT c.session_id, count(*) AS n FROM wa_chats c {_SCOPED}"
        " WHERE c.session_id = ANY(%(ids)s) AND c.unread_count > 0 GROUP BY c.session_id",
        {"cid": company_id, "ids": session_ids},
    )
    return {r["session_id"]: int(r["n"]) for r in await cur.fetchall()}


# one chat of session s named by our id (%(ref)s uuid) or by any WhatsApp id of it (%(ref)s
# text): the lookup of get / get_by_wa_id, as a lateral subquery for one-round-trip pages
def one_chat(by_wa_id: bool) -> str:
    if not by_wa_id:
        return "SELECT c.* FROM wa_chats c WHERE c.session_id = s.id AND c.id = %(ref)s"
    return (
        "SELECT c.* FROM wa_chats c WHERE c.session_id = s.id"
        " AND (c.wa_chat_id = %(ref)s OR c.phone_jid = %(ref)s OR c.lid = %(ref)s)"
        " ORDER BY c.wa_chat_id = %(ref)s DESC, c.id LIMIT 1"
    )


async def get(conn: Conn, *, company_id: UUID, session_id: UUID, chat_id: UUID) -> Chat | None:
    async with conn.cursor(row_factory=class_row(Chat)) as cur:
        await cur.execute(
            f"SELECT c.* FROM wa_chats c {_SCOPED} WHERE c.id = %(id)s AND c.session_id = %(sid)s",
            {"cid": company_id, "sid": session_id, "id": chat_id},
        )
        return await cur.fetchone()


async def get_by_wa_id(
    conn: Conn, *, company_id: UUID, session_id: UUID, wa_id: str
) -> Chat | None:
    """The chat of the session that WhatsApp knows as ``wa_id`` (its first id, phone id or lid).

    ``wa_id`` is already normalised (``@s.whatsapp.net`` -> ``@c.us``). Should two rows still
    name one person (not merged yet), the one first seen under that id wins.
    """
    async with conn.cursor(row_factory=class_row(Chat)) as cur:
        await cur.execute(
            f"SELECT c.* FROM wa_chats c {_SCOPED} WHERE c.session_id = %(sid)s"
            " AND (c.wa_chat_id = %(wid)s OR c.phone_jid = %(wid)s OR c.lid = %(wid)s)"
            " ORDER BY c.wa_chat_id = %(wid)s DESC, c.id LIMIT 1",
            {"cid": company_id, "sid": session_id, "wid": wa_id},
        )
        return await cur.fetchone()


async def update(
    conn: Conn,
    *,
    company_id: UUID,
    session_id: UUID,
    chat_id: UUID,
    archived: bool | None = None,
    assigned_manager_id: UUID | None = None,
    unassign: bool = False,
) -> Chat | None:
    async with conn.cursor(row_factory=class_row(Chat)) as cur:
        await cur.execute(
            "UPDATE wa_chats c SET"
            " archived = COALESCE(%(arch)s, c.archived),"
            " assigned_manager_id = CASE WHEN %(unassign)s THEN NULL"
            "   ELSE COALESCE(%(mgr)s, c.assigned_manager_id) END"
            " FROM wa_sessions s WHERE s.id = c.session_id AND s.company_id = %(cid)s"
            " AND c.id = %(id)s AND c.session_id = %(sid)s RETURNING c.*",
            {
                "arch": archived,
                "mgr": assigned_manager_id,
                "unassign": unassign,
                "cid": company_id,
                "sid": session_id,
                "id": chat_id,
            },
        )
        return await cur.fetchone()


# --- worker side -------------------------------------------------------------------------


def _known_ids(wa_chat_id: str) -> tuple[str | None, str | None]:
    """(phone_jid, lid) that a WhatsApp chat id itself says."""
    if is_phone(wa_chat_id):
        return wa_chat_id, None
    if is_lid(wa_chat_id):
        return None, wa_chat_id
    return None, None


async def worker_upsert(
    conn: Conn,
    *,
    session_id: UUID,
    wa_chat_id: str,
    name: str,
    is_group: bool,
    unread_count: int | None = None,
    last_message_at: datetime | None = None,
    last_message_preview: str | None = None,
    add_unread: int = 0,
) -> Chat:
    """Insert or refresh a chat by its WhatsApp id; never moves activity backwards."""
    phone_jid, lid = _known_ids(wa_chat_id)
    async with conn.cursor(row_factory=class_row(Chat)) as cur:
        await cur.execute(
            "INSERT INTO wa_chats (session_id, wa_chat_id, name, is_group, unread_count,"
            "  last_message_at, last_message_preview, phone_jid, lid)"
            " VALUES (%(sid)s, %(wid)s, %(name)s, %(grp)s, COALESCE(%(unread)s, 0) + %(add)s,"
            "  %(at)s, %(prev)s, %(pn)s, %(lid)s)"
            " ON CONFLICT (session_id, wa_chat_id) DO UPDATE SET"
            "  name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE wa_chats.name END,"
            "  is_group = EXCLUDED.is_group,"
            "  unread_count = COALESCE(%(unread)s, wa_chats.unread_count) + %(add)s,"
            "  last_message_preview = CASE WHEN wa_chats.last_message_at IS NULL"
            "    OR EXCLUDED.last_message_at >= wa_chats.last_message_at"
            "    THEN COALESCE(EXCLUDED.last_message_preview, wa_chats.last_message_preview)"
            "    ELSE wa_chats.last_message_preview END,"
            "  last_message_at = GREATEST(wa_chats.last_message_at, EXCLUDED.last_message_at)"
            " RETURNING *",
            {
                "sid": session_id,
                "wid": wa_chat_id,
                "name": name,
                "grp": is_group,
                "unread": unread_count,
                "at": last_message_at,
                "prev": last_message_preview,
                "add": add_unread,
                "pn": phone_jid,
                "lid": lid,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def worker_get_by_wa_id(conn: Conn, *, session_id: UUID, wa_chat_id: str) -> Chat | None:
    """The chat known under this WhatsApp id: its own id, its phone id or its lid."""
    found = await worker_find(conn, session_id=session_id, ids=[wa_chat_id])
    return found[0] if found else None


async def worker_get(conn: Conn, *, session_id: UUID, chat_id: UUID) -> Chat | None:
    async with conn.cursor(row_factory=class_row(Chat)) as cur:
        await cur.execute(
            "SELECT * FROM wa_chats WHERE session_id = %(sid)s AND id = %(id)s",
            {"sid": session_id, "id": chat_id},
        )
        return await cur.fetchone()


# the older of two rows of one person: the one whose first message came first (rows without
# messages count as newest), then the id, so the choice is stable
_OLDEST_FIRST = (
    " ORDER BY (SELECT min(m.created_at) FROM wa_messages m WHERE m.chat_id = c.id)"
    " ASC NULLS LAST, c.id"
)


async def worker_find(
    conn: Conn, *, session_id: UUID, ids: list[str], lock: bool = False
) -> list[Chat]:
    """Chats of the session known under any of ``ids`` (as wa_chat_id, phone_jid or lid),
    the older first. ``@s.whatsapp.net`` is matched as ``@c.us``."""
    wanted = sorted({normalize_jid(i) for i in ids if i})
    async with conn.cursor(row_factory=class_row(Chat)) as cur:
        await cur.execute(
            "SELECT c.* FROM wa_chats c WHERE c.session_id = %(sid)s"
            " AND (c.wa_chat_id = ANY(%(ids)s) OR c.phone_jid = ANY(%(ids)s)"
            "  OR c.lid = ANY(%(ids)s))" + _OLDEST_FIRST + (" FOR UPDATE" if lock else ""),
            {"sid": session_id, "ids": wanted},
        )
        return await cur.fetchall()


async def worker_find_by_name(conn: Conn, *, session_id: UUID, name: str) -> Chat | None:
    """The chat shown under this title (the most recently active one if several share it)."""
    async with conn.cursor(row_factory=class_row(Chat)) as cur:
        await cur.execute(
            "SELECT * FROM wa_chats WHERE session_id = %(sid)s AND name = %(name)s"
            " ORDER BY last_message_at DESC NULLS LAST, id LIMIT 1",
            {"sid": session_id, "name": name},
        )
        return await cur.fetchone()


async def _merge(conn: Conn, *, keep: Chat, drop: Chat) -> None:
    """Fold ``drop`` (another row of the same person) into ``keep``; caller holds a transaction."""
    params = {"keep": keep.id, "drop": drop.id}
    await conn.execute("UPDATE wa_messages SET chat_id = %(keep)s WHERE chat_id = %(drop)s", params)
    await conn.execute("DELETE FROM wa_chats WHERE id = %(drop)s", params)
    await conn.execute(
        "UPDATE wa_chats SET"
        " phone_jid = COALESCE(wa_chats.phone_jid, %(pn)s),"
        " lid = COALESCE(wa_chats.lid, %(lid)s),"
        " name = CASE WHEN wa_chats.name = '' THEN %(name)s ELSE wa_chats.name END,"
        " unread_count = wa_chats.unread_count + %(unread)s,"
        " last_message_preview = CASE WHEN wa_chats.last_message_at IS NULL"
        "   OR %(at)s::timestamptz > wa_chats.last_message_at THEN %(prev)s"
        "   ELSE wa_chats.last_message_preview END,"
        " last_message_at = GREATEST(wa_chats.last_message_at, %(at)s::timestamptz),"
        " assigned_manager_id = COALESCE(wa_chats.assigned_manager_id, %(mgr)s)"
        " WHERE id = %(keep)s",
        {
            **params,
            "pn": drop.phone_jid,
            "lid": drop.lid,
            "name": drop.name,
            "unread": drop.unread_count,
            "at": drop.last_message_at,
            "prev": drop.last_message_preview,
            "mgr": drop.assigned_manager_id,
        },
    )


async def worker_resolve(
    conn: Conn,
    *,
    session_id: UUID,
    wa_chat_id: str,
    phone_jid: str | None = None,
    lid: str | None = None,
    name: str,
    is_group: bool,
) -> tuple[Chat, list[UUID]]:
    """The one chat of a person (or group) the page shows: found by any id it is known under,
    created under ``wa_chat_id`` when new, missing ids filled in, and two rows found to be the
    same person merged into the older one (messages moved, the newer row deleted), atomically.

    Returns (chat, ids of rows merged away).
    """
    own_pn, own_lid = _known_ids(normalize_jid(wa_chat_id))
    pn, lid = phone_jid or own_pn, lid or own_lid
    ids = [i for i in (normalize_jid(wa_chat_id), pn, lid) if i]
    async with conn.transaction():  # one unit, whether or not the caller is in one
        found = await worker_find(conn, session_id=session_id, ids=ids, lock=True)
        if not found:
            async with conn.cursor(row_factory=class_row(Chat)) as cur:
                await cur.execute(
                    "INSERT INTO wa_chats (session_id, wa_chat_id, name, is_group, phone_jid, lid)"
                    " VALUES (%(sid)s, %(wid)s, %(name)s, %(grp)s, %(pn)s, %(lid)s)"
                    " ON CONFLICT DO NOTHING RETURNING *",
                    {
                        "sid": session_id,
                        "wid": normalize_jid(wa_chat_id),
                        "name": name,
                        "grp": is_group,
                        "pn": pn,
                        "lid": lid,
                    },
                )
                created = await cur.fetchone()
            if created is not None:
                return created, []
            # someone else created it meanwhile: take theirs
            found = await worker_find(conn, session_id=session_id, ids=ids, lock=True)
        keep, merged = found[0], [c.id for c in found[1:]]
        for other in found[1:]:
            await _merge(conn, keep=keep, drop=other)
        async with conn.cursor(row_factory=class_row(Chat)) as cur:
            await cur.execute(
                "UPDATE wa_chats SET"
                " phone_jid = COALESCE(phone_jid, %(pn)s), lid = COALESCE(lid, %(lid)s),"
                " wa_chat_id = CASE WHEN wa_chat_id LIKE 'page:%%' AND %(real)s::text IS NOT NULL"
                "   THEN %(real)s ELSE wa_chat_id END,"
                " name = CASE WHEN %(name)s <> '' THEN %(name)s ELSE name END"
                " WHERE id = %(id)s RETURNING *",
                {
                    "id": keep.id,
                    "pn": pn,
                    "lid": lid,
                    "real": next((i for i in ids if not i.startswith(PAGE_ID_PREFIX)), None),
                    "name": name,
                },
            )
            chat = await cur.fetchone()
    assert chat is not None
    return chat, merged


async def worker_touch(
    conn: Conn, *, chat_id: UUID, at: datetime, preview: str, add_unread: int
) -> Chat:
    """A new message in the chat: activity moves forward (never back), unread grows."""
    async with conn.cursor(row_factory=class_row(Chat)) as cur:
        await cur.execute(
            "UPDATE wa_chats SET unread_count = unread_count + %(add)s,"
            " last_message_preview = CASE WHEN last_message_at IS NULL"
            "   OR %(at)s >= last_message_at THEN %(prev)s ELSE last_message_preview END,"
            " last_message_at = GREATEST(last_message_at, %(at)s)"
            " WHERE id = %(id)s RETURNING *",
            {"id": chat_id, "at": at, "prev": preview, "add": add_unread},
        )
        row = await cur.fetchone()
    assert row is not None
    return row


# --- gateway: chats started from the dashboard, read marks -----------------------------------


async def get_or_create_direct(
    conn: Conn, *, company_id: UUID, session_id: UUID, phone_jid: str, name: str
) -> Chat | None:
    """The one-to-one chat with ``phone_jid`` (``<digits>@c.us``), created if new; None if the
    session is not ours. A chat first seen under the person's lid is found by its phone id."""
    found = await get_by_wa_id(conn, company_id=company_id, session_id=session_id, wa_id=phone_jid)
    if found is not None:
        return found
    params = {"cid": company_id, "sid": session_id, "wid": phone_jid, "name": name}
    await conn.execute(
        "INSERT INTO wa_chats (session_id, wa_chat_id, phone_jid, name, is_group)"
        " SELECT s.id, %(wid)s, %(wid)s, %(name)s, false FROM wa_sessions s"
        " WHERE s.id = %(sid)s AND s.company_id = %(cid)s"
        " ON CONFLICT DO NOTHING",  # a concurrent create (by either unique id) won
        params,
    )
    return await get_by_wa_id(conn, company_id=company_id, session_id=session_id, wa_id=phone_jid)


async def mark_read(
    conn: Conn, *, company_id: UUID, session_id: UUID, chat_id: UUID
) -> Chat | None:
    async with conn.cursor(row_factory=class_row(Chat)) as cur:
        await cur.execute(
            "UPDATE wa_chats c SET unread_count = 0"
            " FROM wa_sessions s WHERE s.id = c.session_id AND s.company_id = %(cid)s"
            " AND c.id = %(id)s AND c.session_id = %(sid)s RETURNING c.*",
            {"cid": company_id, "sid": session_id, "id": chat_id},
        )
        return await cur.fetchone()
