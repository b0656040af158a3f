"""arq job functions: thin, validated, idempotent; the work is done by the process and runtime.

``ctx["process"]`` is the WorkerProcess (pool queue); ``ctx["runtime"]`` is the SessionRuntime of
the owned session (session queue). Jobs may run more than once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from arq import Retry

from shared import jobs
from shared.db.repos import messages
from shared.states import Reason, SessionState
from worker.runtime import End

if TYPE_CHECKING:
    from worker.process import WorkerProcess
    from worker.runtime import SessionRuntime

log = logging.getLogger(__name__)

# how long a send waits for a session that is not linked yet, before the message fails
SEND_NOT_READY_TRIES = 24
SEND_RETRY_DEFER_S = 5
_CAN_SEND = (SessionState.READY, SessionState.DISCONNECTED)


def _runtime(ctx: dict[str, Any]) -> SessionRuntime:
    runtime: SessionRuntime = ctx["runtime"]
    return runtime


async def start_session(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    args = jobs.StartSession.model_validate(payload)
    process: WorkerProcess = ctx["process"]
    return await process.claim(args.session_id)


async def _send(ctx: dict[str, Any], job: jobs.SendText | jobs.SendMedia) -> str:
    """Send a pending message once the session can (deferred a few times while it cannot)."""
    runtime = _runtime(ctx)
    async with runtime.publisher.pg.connection() as conn:
        message = await messages.worker_get(
            conn, session_id=job.session_id, message_id=job.message_id
        )
    if message is None or message.status != "pending":
        return "already handled"
    if runtime.publisher.state not in _CAN_SEND:
        if int(ctx.get("job_try", 1)) < SEND_NOT_READY_TRIES:
            raise Retry(defer=SEND_RETRY_DEFER_S)
        await runtime.publisher.failed(
            job.message_id, "session_not_ready: the session is not linked"
        )
        return "failed"
    if isinstance(job, jobs.SendMedia):
        await runtime.send_media(job)
    else:
        await runtime.send_text(job)
    return "sent"


async def send_text(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    return await _send(ctx, jobs.SendText.model_validate(payload))


async def send_media(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    return await _send(ctx, jobs.SendMedia.model_validate(payload))


async def retry_media(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    args = jobs.RetryMedia.model_validate(payload)
    runtime = _runtime(ctx)
    if runtime.publisher.state not in _CAN_SEND:
        if int(ctx.get("job_try", 1)) < SEND_NOT_READY_TRIES:
            raise Retry(defer=SEND_RETRY_DEFER_S)
        return "session not ready"
    return "retried" if await runtime.retry_media(args.message_id) else "nothing to retry"


async def logout(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    jobs.SessionCommand.model_validate(payload)
    runtime = _runtime(ctx)
    await runtime.logout()
    runtime.request_end(End.STOPPED, (SessionState.STOPPED, Reason.DISCONNECTED_BY_ADMIN))
    return "logged out"


async def stop(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    jobs.SessionCommand.model_validate(payload)
    _runtime(ctx).request_end(End.STOPPED, (SessionState.STOPPED, Reason.STOPPED_BY_ADMIN))
    return "stopping"


async def restart(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    jobs.SessionCommand.model_validate(payload)
    _runtime(ctx).request_end(End.HANDOFF)
    return "restarting"


async def refresh_qr(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    jobs.SessionCommand.model_validate(payload)
    await _runtime(ctx).refresh_qr()
    return "refreshed"


async def sync_chats(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    jobs.SessionCommand.model_validate(payload)
    await _runtime(ctx).sync()
    return "synced"


async def mark_read(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    args = jobs.MarkRead.model_validate(payload)
    await _runtime(ctx).mark_read(args.wa_chat_id)
    return "read"


async def pairing_code(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    args = jobs.RequestPairingCode.model_validate(payload)
    return await _runtime(ctx).request_pairing_code(args.phone)


async def passkey_answer(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    args = jobs.PasskeyAnswer.model_validate(payload)
    return await _runtime(ctx).passkey_answer(args)


async def passkey_cancel(ctx: dict[str, Any], payload: dict[str, Any]) -> str:
    args = jobs.PasskeyCancel.model_validate(payload)
    return await _runtime(ctx).passkey_cancel(args)


SESSION_FUNCTIONS = (
    send_text,
    send_media,
    retry_media,
    logout,
    stop,
    restart,
    refresh_qr,
    sync_chats,
    mark_read,
    pairing_code,
    passkey_answer,
    passkey_cancel,
)
assert {f.__name__ for f in SESSION_FUNCTIONS} == set(jobs.SESSION_COMMANDS)
assert start_session.__name__ == jobs.START_SESSION
