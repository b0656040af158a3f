"""WhatsApp sessions: desired state (set by admins) and observed state (written by workers).

Functions taking ``company_id`` serve the gateway; the ``worker_*`` ones serve the worker that
holds the session's lease, which knows the session only by id.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from shared.db.types import Conn, OpsSession, WantedSession, WaSession


async def create(conn: Conn, *, company_id: UUID, name: str) -> WaSession:
    async with conn.cursor(row_factory=class_row(WaSession)) as cur:
        await cur.execute(
            "INSERT INTO wa_sessions (company_id, name) VALUES (%(cid)s, %(name)s) RETURNING *",
            {"cid": company_id, "name": name},
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def count(conn: Conn, *, company_id: UUID) -> int:
    cur = await conn.execute(
        "SELECT count(*) AS n FROM wa_sessions WHERE company_id = %(cid)s", {"cid": company_id}
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def list_for_company(conn: Conn, *, company_id: UUID) -> list[WaSession]:
    async with conn.cursor(row_factory=class_row(WaSession)) as cur:
        await cur.execute(
            "SELECT * FROM wa_sessions WHERE company_id = %(cid)s ORDER BY created_at, id",
            {"cid": company_id},
        )
        return await cur.fetchall()


async def list_for_manager(conn: Conn, *, company_id: UUID, manager_id: UUID) -> list[WaSession]:
    async with conn.cursor(row_factory=class_row(WaSession)) as cur:
        await cur.execute(
            "SELECT s.* FROM wa_sessions s"
            " JOIN wa_manager_access a ON a.session_id = s.id AND a.manager_id = %(mid)s"
            " WHERE s.company_id = %(cid)s ORDER BY s.created_at, s.id",
            {"cid": company_id, "mid": manager_id},
        )
        return await cur.fetchall()


async def get(conn: Conn, *, company_id: UUID, session_id: UUID) -> WaSession | None:
    async with conn.cursor(row_factory=class_row(WaSession)) as cur:
        await cur.execute(
            "SELECT * FROM wa_sessions WHERE id = %(id)s AND company_id = %(cid)s",
            {"id": session_id, "cid": company_id},
        )
        return await cur.fetchone()


async def default_for_company(conn: Conn, *, company_id: UUID) -> WaSession | None:
    """The company's oldest session: the one the single-session shortcuts act on."""
    async with conn.cursor(row_factory=class_row(WaSession)) as cur:
        await cur.execute(
            "SELECT * FROM wa_sessions WHERE company_id = %(cid)s ORDER BY created_at, id LIMIT 1",
            {"cid": company_id},
        )
        return await cur.fetchone()


async def set_desired(
    conn: Conn, *, company_id: UUID, session_id: UUID, desired_state: str
) -> WaSession | None:
    async with conn.cursor(row_factory=class_row(WaSession)) as cur:
        await cur.execute(
            "UPDATE wa_sessions SET desired_state = %(d)s, updated_at = now()"
            " WHERE id = %(id)s AND company_id = %(cid)s RETURNING *",
            {"d": desired_state, "id": session_id, "cid": company_id},
        )
        return await cur.fetchone()


async def delete(conn: Conn, *, company_id: UUID, session_id: UUID) -> bool:
    cur = await conn.execute(
        "DELETE FROM wa_sessions WHERE id = %(id)s AND company_id = %(cid)s",
        {"id": session_id, "cid": company_id},
    )
    return cur.rowcount == 1


async def list_all(conn: Conn) -> list[WaSession]:
    """Platform-wide, for operators: callers must strip anything tenant-private."""
    async with conn.cursor(row_factory=class_row(WaSession)) as cur:
        await cur.execute("SELECT * FROM wa_sessions ORDER BY created_at, id")
        return await cur.fetchall()


# --- worker side -------------------------------------------------------------------------


async def worker_get(conn: Conn, *, session_id: UUID) -> WaSession | None:
    async with conn.cursor(row_factory=class_row(WaSession)) as cur:
        await cur.execute("SELECT * FROM wa_sessions WHERE id = %(id)s", {"id": session_id})
        return await cur.fetchone()


async def worker_set_state(
    conn: Conn,
    *,
    session_id: UUID,
    state: str,
    reason: str | None,
    worker_id: str | None,
    detail: str | None = None,
) -> tuple[str, WaSession] | None:
    """Write an observed transition; return (previous state, new row), None if deleted."""
    async with conn.transaction():  # one unit, whether or not the caller is in one
        async with conn.cursor(row_factory=class_row(WaSession)) as cur:
            await cur.execute(
                "SELECT * FROM wa_sessions WHERE id = %(id)s FOR UPDATE", {"id": session_id}
            )
            before = await cur.fetchone()
            if before is None:
                return None
            await cur.execute(
                "UPDATE wa_sessions SET state = %(s)s, state_reason = %(r)s, state_detail = %(d)s,"
                " worker_id = %(w)s,"
                " qr_payload = CASE WHEN %(s)s = 'qr' THEN qr_payload ELSE NULL END,"
                " qr_png = CASE WHEN %(s)s = 'qr' THEN qr_png ELSE NULL END,"
                " qr_expires_at = CASE WHEN %(s)s = 'qr' THEN qr_expires_at ELSE NULL END,"
                " pairing_code = CASE WHEN %(s)s = 'qr' THEN pairing_code ELSE NULL END,"
                " pairing_code_expires_at = CASE WHEN %(s)s = 'qr' THEN pairing_code_expires_at"
                "   ELSE NULL END,"
                " last_ready_at = CASE WHEN %(s)s = 'ready' THEN now() ELSE last_ready_at END,"
                " updated_at = now() WHERE id = %(id)s RETURNING *",
                {"s": state, "r": reason, "d": detail, "w": worker_id, "id": session_id},
            )
            after = await cur.fetchone()
        assert after is not None
        return before.state, after


async def worker_set_qr(
    conn: Conn,
    *,
    session_id: UUID,
    qr_payload: str,
    expires_at: datetime | None,
    qr_png: bytes | None = None,
) -> None:
    """A new QR and its PNG (``shared.qr.render_png_off_loop``), kept together."""
    await conn.execute(
        "UPDATE wa_sessions SET qr_payload = %(q)s, qr_png = %(png)s, qr_updated_at = now(),"
        " qr_expires_at = %(exp)s, updated_at = now() WHERE id = %(id)s",
        {"q": qr_payload, "png": qr_png, "exp": expires_at, "id": session_id},
    )


async def worker_set_identity(
    conn: Conn,
    *,
    session_id: UUID,
    phone: str | None,
    display_name: str | None,
    lid: str | None = None,
) -> None:
    await conn.execute(
        "UPDATE wa_sessions SET phone = %(p)s, display_name = %(n)s, lid = %(lid)s,"
        " updated_at = now() WHERE id = %(id)s",
        {"p": phone, "n": display_name, "lid": lid, "id": session_id},
    )


async def worker_set_bridge(conn: Conn, *, session_id: UUID, bridge: str) -> None:
    """The bridge the worker uses now ('module' | 'page')."""
    await conn.execute(
        "UPDATE wa_sessions SET bridge = %(b)s WHERE id = %(id)s",
        {"b": bridge, "id": session_id},
    )


async def worker_set_desired(conn: Conn, *, session_id: UUID, desired_state: str) -> None:
    """A worker gives up on a session that needs an admin (blocked, QR never scanned)."""
    await conn.execute(
        "UPDATE wa_sessions SET desired_state = %(d)s, updated_at = now() WHERE id = %(id)s",
        {"d": desired_state, "id": session_id},
    )


async def worker_set_pairing_code(
    conn: Conn,
    *,
    session_id: UUID,
    code: str | None,
    phone: str | None,
    expires_at: datetime | None,
) -> None:
    """The pairing code on screen ("link with phone number") and the phone it was asked for,
    or None when it is gone."""
    await conn.execute(
        "UPDATE wa_sessions SET pairing_code = %(c)s, pairing_phone = %(p)s,"
        " pairing_code_expires_at = %(exp)s, updated_at = now() WHERE id = %(id)s",
        {"c": code, "p": phone, "exp": expires_at, "id": session_id},
    )


async def worker_add_drift(
    conn: Conn, *, session_id: UUID, counts: dict[str, tuple[int, datetime]]
) -> None:
    """Add to the session's ``page_drift`` ({kind: {count, lastAt}}): ``counts`` maps each kind
    to (how many more, when last seen)."""
    batch = {k: {"count": n, "lastAt": at.isoformat()} for k, (n, at) in counts.items()}
    await conn.execute(
        "UPDATE wa_sessions s SET page_drift = s.page_drift || COALESCE(("
        "  SELECT jsonb_object_agg(e.key, jsonb_build_object("
        "    'count', COALESCE((s.page_drift -> e.key ->> 'count')::bigint, 0)"
        "      + (e.value ->> 'count')::bigint,"
        "    'lastAt', e.value -> 'lastAt'))"
        "  FROM jsonb_each(%(batch)s::jsonb) AS e), '{}'::jsonb)"
        " WHERE s.id = %(id)s",
        {"batch": Jsonb(batch), "id": session_id},
    )


async def worker_grant(conn: Conn, *, session_id: UUID, worker_id: str) -> WaSession | None:
    """A worker that won the lease in Redis takes the session: the fencing token goes up (from
    one sequence, so it only grows); None when the session is gone or not wanted running."""
    async with conn.cursor(row_factory=class_row(WaSession)) as cur:
        await cur.execute(
            "UPDATE wa_sessions SET fence = nextval('wa_fence_seq'), worker_id = %(w)s"
            " WHERE id = %(id)s AND desired_state = 'running' RETURNING *",
            {"id": session_id, "w": worker_id},
        )
        return await cur.fetchone()


async def worker_record_refusal(
    conn: Conn, *, session_id: UUID, worker_id: str, token: int
) -> None:
    """Postgres refused a write of this worker (a later grant exists): counted in /metrics."""
    await conn.execute(
        "INSERT INTO wa_fence_refusals (session_id, worker_id, token)"
        " VALUES (%(sid)s, %(w)s, %(t)s)",
        {"sid": session_id, "w": worker_id, "t": token},
    )


async def count_fence_refusals(conn: Conn) -> int:
    cur = await conn.execute("SELECT count(*) AS n FROM wa_fence_refusals")
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def wanting_to_run(conn: Conn) -> list[WantedSession]:
    """Sessions an admin wants running, for the reconciler (it checks leases in Redis)."""
    async with conn.cursor(row_factory=class_row(WantedSession)) as cur:
        await cur.execute(
            "SELECT id, company_id, fence, state, state_reason FROM wa_sessions"
            " WHERE desired_state = 'running' ORDER BY updated_at, id"
        )
        return await cur.fetchall()


async def mark_waiting(conn: Conn, *, session_id: UUID, fence: int) -> str | None:
    """No worker is free for this session: ``idle`` / ``waiting_for_worker``, unless a worker
    was granted it since the reconciler looked (the fence moved). Returns the previous state,
    None when nothing changed."""
    cur = await conn.execute(
        "UPDATE wa_sessions s SET state = 'idle', state_reason = 'waiting_for_worker',"
        " state_detail = NULL, qr_payload = NULL, qr_expires_at = NULL, pairing_code = NULL,"
        " pairing_code_expires_at = NULL, updated_at = now()"
        " FROM (SELECT id, state FROM wa_sessions WHERE id = %(id)s FOR UPDATE) old"
        " WHERE s.id = old.id AND s.fence = %(f)s AND s.desired_state = 'running'"
        " AND NOT (s.state = 'idle' AND s.state_reason IS NOT DISTINCT FROM 'waiting_for_worker')"
        " RETURNING old.state AS previous",
        {"id": session_id, "f": fence},
    )
    row = await cur.fetchone()
    return str(row["previous"]) if row else None


# --- gateway: creation under the company limit, admin-written state, operators ---------------


async def _generated_name(conn: Conn, *, company_id: UUID, taken: int) -> str:
    """``Session N``: the first N from ``taken + 1`` that no session of the company is named."""
    cur = await conn.execute(
        "SELECT 'Session ' || n AS name"
        " FROM generate_series(%(start)s::int, %(start)s::int + %(span)s::int) n"
        " WHERE NOT EXISTS (SELECT 1 FROM wa_sessions"
        "   WHERE company_id = %(cid)s AND name = 'Session ' || n)"
        " ORDER BY n LIMIT 1",
        {"cid": company_id, "start": taken + 1, "span": taken + 1},
    )
    row = await cur.fetchone()
    assert row is not None  # taken + 2 candidates, at most taken of them used
    return str(row["name"])


async def create_within_limit(
    conn: Conn, *, company_id: UUID, name: str | None, desired_state: str = "running"
) -> tuple[WaSession | None, int]:
    """Create unless the company is at ``max_sessions``; returns (row or None, the limit).

    The company row is locked for the rest of the transaction, so two concurrent creates count
    one after the other and cannot both pass (nor both take the same generated name, when
    ``name`` is None).
    """
    async with conn.transaction():  # one unit, whether or not the caller is in one
        cur = await conn.execute(
            "SELECT max_sessions FROM companies WHERE id = %(cid)s FOR UPDATE", {"cid": company_id}
        )
        company = await cur.fetchone()
        if company is None:
            return None, 0
        limit = int(company["max_sessions"])
        taken = await count(conn, company_id=company_id)
        if taken >= limit:
            return None, limit
        if name is None:
            name = await _generated_name(conn, company_id=company_id, taken=taken)
        async with conn.cursor(row_factory=class_row(WaSession)) as cur2:
            await cur2.execute(
                "INSERT INTO wa_sessions (company_id, name, desired_state)"
                " VALUES (%(cid)s, %(name)s, %(d)s) RETURNING *",
                {"cid": company_id, "name": name, "d": desired_state},
            )
            row = await cur2.fetchone()
        return row, limit


async def admin_set_state(
    conn: Conn,
    *,
    company_id: UUID,
    session_id: UUID,
    state: str,
    reason: str,
    clear_identity: bool = False,
) -> tuple[str, WaSession] | None:
    """Write the state of a session no worker holds (so none will write it); drops the QR.

    Returns (previous state, new row), or None when the session is not in ``company_id``.
    """
    async with conn.transaction():  # one unit, whether or not the caller is in one
        async with conn.cursor(row_factory=class_row(WaSession)) as cur:
            await cur.execute(
                "SELECT * FROM wa_sessions WHERE id = %(id)s AND company_id = %(cid)s FOR UPDATE",
                {"id": session_id, "cid": company_id},
            )
            before = await cur.fetchone()
            if before is None:
                return None
            await cur.execute(
                "UPDATE wa_sessions SET state = %(s)s, state_reason = %(r)s, state_detail = NULL,"
                " worker_id = NULL, qr_payload = NULL, qr_png = NULL, qr_expires_at = NULL,"
                " phone = CASE WHEN %(clear)s THEN NULL ELSE phone END,"
                " display_name = CASE WHEN %(clear)s THEN NULL ELSE display_name END,"
                " updated_at = now() WHERE id = %(id)s RETURNING *",
                {"s": state, "r": reason, "clear": clear_identity, "id": session_id},
            )
            after = await cur.fetchone()
        assert after is not None
        return before.state, after


async def list_for_operators(conn: Conn) -> list[OpsSession]:
    """Every company's sessions with health fields only (no phone, QR or message data)."""
    async with conn.cursor(row_factory=class_row(OpsSession)) as cur:
        await cur.execute(
            "SELECT s.id, s.company_id, c.name AS company_name, s.name, s.desired_state,"
            " s.state, s.state_reason, s.worker_id, s.last_ready_at, s.updated_at, s.page_drift,"
            " s.bridge"
            " FROM wa_sessions s JOIN companies c ON c.id = s.company_id"
            " ORDER BY c.name, s.created_at, s.id"
        )
        return await cur.fetchall()
