"""The gateway side of DESIGN §5: which worker holds a session, and commands for that worker.

Session commands expire: a stop or logout nobody picked up soon must not hit a later owner.
"""

from __future__ import annotations

from uuid import UUID

from arq.connections import ArqRedis
from redis.asyncio import Redis

from shared import jobs
from shared.constants import RedisNames
from shared.queues import enqueue_command

COMMAND_EXPIRES_S = 120


async def lease_holder(redis: Redis, names: RedisNames, session_id: UUID) -> str | None:
    """The id of the worker that owns the session now, or None."""
    raw = await redis.get(names.lease_key(str(session_id)))
    if raw is None:
        return None
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def send_command(
    arq: ArqRedis,
    names: RedisNames,
    session_id: UUID,
    name: jobs.CommandName,
    *,
    reason: str | None = None,
) -> bool:
    """``stop``, ``logout``, ``restart``, ``refresh_qr`` or ``sync_chats`` for the owner."""
    args = jobs.SessionCommand(session_id=session_id, reason=reason)
    return await enqueue_command(
        arq, names, str(session_id), name, args, expires_s=COMMAND_EXPIRES_S
    )


async def send_text(arq: ArqRedis, names: RedisNames, args: jobs.SendText) -> bool:
    """Queued as ``send:{message_id}``: a repeated request never queues the same send twice."""
    return await enqueue_command(
        arq,
        names,
        str(args.session_id),
        jobs.SEND_TEXT,
        args,
        job_id=names.send_job_id(str(args.message_id)),
    )


async def mark_read(arq: ArqRedis, names: RedisNames, args: jobs.MarkRead) -> bool:
    return await enqueue_command(arq, names, str(args.session_id), jobs.MARK_READ, args)


async def request_pairing_code(
    arq: ArqRedis, names: RedisNames, args: jobs.RequestPairingCode, *, expires_s: float
) -> bool:
    """``pairing_code`` for the owner: it asks the page for a code and stores it in Postgres.
    Expires with the request that waits for it: a code nobody waits for is never asked for."""
    return await enqueue_command(
        arq, names, str(args.session_id), jobs.PAIRING_CODE, args, expires_s=expires_s
    )


async def passkey_answer(
    arq: ArqRedis, names: RedisNames, args: jobs.PasskeyAnswer, *, expires_s: float
) -> bool:
    """``passkey_answer`` for the owner, once per request; dropped when the page's request is
    over by the time a worker would get to it."""
    return await enqueue_command(
        arq,
        names,
        str(args.session_id),
        jobs.PASSKEY_ANSWER,
        args,
        job_id=names.passkey_job_id(str(args.request_id), "answer"),
        expires_s=expires_s,
    )


async def passkey_cancel(arq: ArqRedis, names: RedisNames, args: jobs.PasskeyCancel) -> bool:
    """``passkey_cancel`` for the owner, once per request."""
    return await enqueue_command(
        arq,
        names,
        str(args.session_id),
        jobs.PASSKEY_CANCEL,
        args,
        job_id=names.passkey_job_id(str(args.request_id), "cancel"),
        expires_s=COMMAND_EXPIRES_S,
    )


async def send_media(arq: ArqRedis, names: RedisNames, args: jobs.SendMedia) -> bool:
    """Queued as ``send:{message_id}``, like a text: one send per message, however often asked."""
    return await enqueue_command(
        arq,
        names,
        str(args.session_id),
        jobs.SEND_MEDIA,
        args,
        job_id=names.send_job_id(str(args.message_id)),
    )


async def retry_media(arq: ArqRedis, names: RedisNames, args: jobs.RetryMedia) -> bool:
    """One queued re-download per message at a time."""
    return await enqueue_command(
        arq,
        names,
        str(args.session_id),
        jobs.RETRY_MEDIA,
        args,
        job_id=names.media_retry_job_id(str(args.message_id)),
    )
