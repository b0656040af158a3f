"""Operator views across companies: workers (from their Redis heartbeats), restarting one, and
session health. Never message contents, previews or phone numbers."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import UUID

from aiohttp import web

from gateway.auth.principal import Role
from gateway.errors import NotFound, ValidationFailed
from gateway.jsonio import ok
from gateway.keys import NAMES, PG, PRINCIPAL, REDIS
from gateway.responses import page_drift_out
from gateway.routing import Router
from shared.constants import WORKER_TTL_S
from shared.db.repos import audit, sessions, snapshots
from shared.db.repos.snapshots import SnapshotSummary
from shared.events import Wire
from shared.states import SessionState

router = Router("ops")
OPERATOR = {Role.OPERATOR}
MAX_WORKER_ID = 200


class WorkerOut(Wire):
    id: str
    host: str | None
    pid: int | None
    state: str  # idle | starting | owning | stopping | gone
    session_id: str | None
    started_at: datetime | None
    heartbeat_at: datetime | None
    browser_pss_mb: float | None
    alive: bool


class WorkerList(Wire):
    workers: list[WorkerOut]


class RestartOut(Wire):
    worker_id: str
    requested: bool
    receivers: int
    message: str


class OpsSnapshotOut(Wire):
    """A session's portable-profile snapshots: the newest good one, and any refused."""

    generation: int | None
    at: datetime | None
    size_bytes: int | None
    stored_bytes: int | None
    good: int
    refused: int  # corrupt, truncated or sealed with another key (see the reason)
    last_refused_reason: str | None
    last_refused_at: datetime | None


class OpsSessionOut(Wire):
    id: UUID
    company_id: UUID
    company_name: str
    name: str
    desired_state: str
    state: SessionState
    state_reason: str | None
    worker_id: str | None  # last worker that wrote its state
    lease_holder: str | None  # the worker that owns it now
    last_ready_at: datetime | None
    updated_at: datetime
    page_drift: dict[str, int]  # kind -> count of what the worker could not read on the page
    bridge: str | None  # how its worker reaches WhatsApp Web: "module" (wa-js) or "page"
    snapshot: OpsSnapshotOut | None  # None: never snapshotted


class OpsSessionList(Wire):
    sessions: list[OpsSessionOut]


def _text(fields: dict[bytes, bytes], name: str) -> str | None:
    raw = fields.get(name.encode())
    return raw.decode() if raw else None


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), UTC) if value else None
    except ValueError:
        return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _worker(worker_id: str, fields: dict[bytes, bytes], now: float) -> WorkerOut:
    beat = _time(_text(fields, "heartbeat_at"))
    pid = _number(_text(fields, "pid"))
    alive = bool(fields) and beat is not None and beat.timestamp() >= now - WORKER_TTL_S
    return WorkerOut(
        id=worker_id,
        host=_text(fields, "host"),
        pid=int(pid) if pid is not None else None,
        state=_text(fields, "state") or "gone",
        session_id=_text(fields, "session_id"),
        started_at=_time(_text(fields, "started_at")),
        heartbeat_at=beat,
        browser_pss_mb=_number(_text(fields, "browser_pss_mb")),
        alive=alive,
    )


@router.route(
    "GET",
    "/api/ops/workers",
    roles=OPERATOR,
    summary="Workers seen in the last hour, with their heartbeat fields",
    response=WorkerList,
)
async def list_workers(request: web.Request) -> web.Response:
    redis, names = request.app[REDIS], request.app[NAMES]
    ids = [raw.decode() for raw in await redis.zrange(names.workers_index, 0, -1)]
    async with redis.pipeline(transaction=False) as pipe:
        for worker_id in ids:
            pipe.hgetall(names.worker_key(worker_id))
        hashes = await pipe.execute()
    now = time.time()
    workers = [_worker(w, h, now) for w, h in zip(ids, hashes, strict=True)]
    return ok(WorkerList(workers=workers).to_wire())


def _worker_id(request: web.Request) -> str:
    raw = request.match_info["workerId"]
    if len(raw) > MAX_WORKER_ID or not raw.isprintable():
        raise ValidationFailed(
            "workerId: not a worker id", details=[{"field": "workerId", "message": "invalid"}]
        )
    return raw


@router.route(
    "POST",
    "/api/ops/workers/{workerId}/restart",
    roles=OPERATOR,
    summary="Ask a live worker to restart (its session is handed off, no new QR)",
    response=RestartOut,
    description="404 unless the worker is live (its heartbeat hash exists).",
)
async def restart_worker(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    worker_id = _worker_id(request)
    redis, names = request.app[REDIS], request.app[NAMES]
    if not await redis.exists(names.worker_key(worker_id)):
        raise NotFound("no live worker with this id")
    receivers = int(await redis.publish(names.ctl_channel(worker_id), "restart"))
    async with request.app[PG].connection() as conn:
        await audit.record(
            conn,
            company_id=None,
            user_id=principal.user_id,
            action="worker.restart",
            target=worker_id,
            details={"receivers": receivers},
        )
    message = "restart requested" if receivers else "the worker is not listening right now"
    out = RestartOut(
        worker_id=worker_id, requested=receivers > 0, receivers=receivers, message=message
    )
    return ok(out.to_wire())


@router.route(
    "GET",
    "/api/ops/sessions",
    roles=OPERATOR,
    summary="Every company's sessions: state, reason, worker, page drift, snapshots (no contents)",
    response=OpsSessionList,
)
async def list_sessions(request: web.Request) -> web.Response:
    async with request.app[PG].connection() as conn:
        rows = await sessions.list_for_operators(conn)
        snaps = await snapshots.summaries(conn)
    names = request.app[NAMES]
    leases = [names.lease_key(str(r.id)) for r in rows]
    holders = await request.app[REDIS].mget(leases) if rows else []
    out = OpsSessionList(
        sessions=[
            OpsSessionOut(
                id=r.id,
                company_id=r.company_id,
                company_name=r.company_name,
                name=r.name,
                desired_state=r.desired_state,
                state=SessionState(r.state),
                state_reason=r.state_reason,
                worker_id=r.worker_id,
                lease_holder=h.decode() if h else None,
                last_ready_at=r.last_ready_at,
                updated_at=r.updated_at,
                page_drift={k: v.count for k, v in page_drift_out(r.page_drift).items()},
                bridge=r.bridge,
                snapshot=_snapshot(snaps.get(r.id)),
            )
            for r, h in zip(rows, holders, strict=True)
        ]
    )
    return ok(out.to_wire())


def _snapshot(summary: SnapshotSummary | None) -> OpsSnapshotOut | None:
    if summary is None:
        return None
    return OpsSnapshotOut(
        generation=summary.generation,
        at=summary.at,
        size_bytes=summary.size_bytes,
        stored_bytes=summary.stored_bytes,
        good=summary.good,
        refused=summary.refused,
        last_refused_reason=summary.last_refused_reason,
        last_refused_at=summary.last_refused_at,
    )
