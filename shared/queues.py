"""Putting jobs on the arq queues of DESIGN §5 (used by the gateway and by workers)."""

from __future__ import annotations

from datetime import timedelta

from arq.connections import ArqRedis

from shared import jobs
from shared.constants import RedisNames


async def enqueue_start(redis: ArqRedis, names: RedisNames, session_id: str) -> bool:
    """Queue a start for the pool; arq drops it when ``start:{id}`` is already queued."""
    job = await redis.enqueue_job(
        jobs.START_SESSION,
        jobs.StartSession(session_id=session_id).to_payload(),
        _job_id=names.start_job_id(session_id),
        _queue_name=names.pool_queue,
    )
    return job is not None


async def enqueue_command(
    redis: ArqRedis,
    names: RedisNames,
    session_id: str,
    name: str,
    args: jobs.JobArgs,
    *,
    job_id: str | None = None,
    expires_s: float | None = None,
) -> bool:
    """Queue a command for whichever worker owns (or will own) the session; with
    ``expires_s``, a worker that only gets to it later drops it instead of running it."""
    if name not in jobs.SESSION_COMMANDS:
        raise ValueError(f"unknown session command {name!r}")
    job = await redis.enqueue_job(
        name,
        args.to_payload(),
        _queue_name=names.session_queue(session_id),
        _job_id=job_id,
        _expires=timedelta(seconds=expires_s) if expires_s is not None else None,
    )
    return job is not None
