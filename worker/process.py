"""The worker process: waits in the pool, owns at most one session, hands it off cleanly.

Idle: consumes ``start_session`` from ``wa:pool`` while placement lets its host take sessions
(the least-loaded hosts, never a draining one), heartbeats, runs the reconciler. Owning: holds
the session's lease, runs its SessionRuntime and consumes ``wa:session:{id}``. On SIGTERM or an
operator's ``restart``/``stop`` (``wa:ctl:{id}``) it stops Chromium cleanly, releases the lease and
re-queues the session, so another worker resumes it from the same profile without a new QR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from dataclasses import dataclass
from uuid import UUID

from arq.connections import ArqRedis, RedisSettings, create_pool
from psycopg_pool import AsyncConnectionPool
from redis.exceptions import RedisError

from shared.constants import HEARTBEAT_EVERY_S, RedisNames
from shared.db.pool import make_pool
from shared.db.repos import sessions
from shared.fencing import Fence, StaleFence
from shared.fleet import publish_placement, read_fleet
from shared.queues import enqueue_start
from shared.settings import Settings
from shared.states import Reason, SessionState
from worker import jobs as job_functions
from worker.browser.memory import process_tree_pss_mb
from worker.browser.thread import BrowserThread
from worker.browser.warm import WarmBrowser
from worker.consumer import QueueConsumer
from worker.fenced import FencedPool
from worker.heartbeat import WorkerStatus, beat, unregister
from worker.lease import Lease
from worker.placement import gate_pool
from worker.publisher import Publisher
from worker.reconciler import reconcile_once
from worker.recycle import MemoryWatch, count_recycle
from worker.runtime import End, SessionRuntime

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 120
START_TIMEOUT_S = 30
# how often an owning worker looks for its session's commands: a send waits half of it on average
SESSION_POLL_S = 0.02
# the control subscription is back soon after a Redis blip: a holder without it for a second
# on two reconciler passes is taken for gone (worker/departed.py)
CTL_RETRY_FIRST_S = 0.25
CTL_RETRY_MAX_S = 2.0


@dataclass
class Owned:
    session_id: str
    runtime: SessionRuntime
    browser: BrowserThread
    pool: FencedPool  # the session's writes, under its fencing token
    task: asyncio.Task[None]
    memory: MemoryWatch
    refused: int = 0  # writes Postgres refused (a later grant exists)


class WorkerProcess:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.worker_id = settings.worker_id
        self.names = RedisNames.of(settings)
        self.status = WorkerStatus(worker_id=self.worker_id, host=settings.host_label)
        self._exit = asyncio.Event()
        self._owned: Owned | None = None
        self._claiming = False  # a claim is under way (its lease and grant not settled yet)
        self._redis: ArqRedis | None = None
        self._pg: AsyncConnectionPool | None = None
        self._pool_consumer: QueueConsumer | None = None
        self._status_changed = asyncio.Event()  # wakes the heartbeat: operators see changes now
        self._warm = WarmBrowser(settings)
        self._filling: asyncio.Task[None] | None = None

    # --- public ------------------------------------------------------------------------

    @property
    def owned_session(self) -> str | None:
        return self._owned.session_id if self._owned else None

    def request_exit(self) -> None:
        """SIGTERM / ctl ``stop``: hand the session off, then leave."""
        self._exit.set()
        if self._owned is not None:
            self._owned.runtime.request_end(End.HANDOFF)

    def request_restart(self) -> None:
        """ctl ``restart``: hand the session off and rejoin the pool."""
        if self._owned is not None:
            self._owned.runtime.request_end(End.HANDOFF)

    async def run(self) -> None:
        redis = await create_pool(RedisSettings.from_dsn(self.settings.redis_url))
        pg = make_pool(self.settings.database_url, min_size=1, max_size=4)
        await pg.open(wait=True, timeout=30)
        self._redis, self._pg = redis, pg
        self._pool_consumer = QueueConsumer(
            redis,
            queue=self.names.pool_queue,
            functions=[job_functions.start_session],
            ctx={"process": self},
            job_timeout_s=START_TIMEOUT_S,
        )
        self._pool_consumer.start()
        background = [
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(self._reconcile_loop(), name="reconciler"),
            asyncio.create_task(self._ctl_loop(), name="ctl"),
            asyncio.create_task(
                gate_pool(
                    redis,
                    self.names,
                    self.settings.host_label,
                    self._pool_consumer,
                    idle=self._idle,
                ),
                name="placement",
            ),
        ]
        log.info("worker=%s ready in pool", self.worker_id)
        self._refill_warm()
        try:
            await self._exit.wait()
        finally:
            log.info("worker=%s stopping", self.worker_id)
            await self._pool_consumer.stop()
            if self._owned is not None:
                self._owned.runtime.request_end(End.HANDOFF)
                await self._owned.task
            self._warm.hold()
            if self._filling is not None:
                await asyncio.shield(self._filling)
            await asyncio.to_thread(self._warm.close)
            for t in background:
                t.cancel()
            _, stuck = await asyncio.wait(background, timeout=5)
            for t in stuck:
                log.warning("worker=%s task %s did not stop in 5s", self.worker_id, t.get_name())
            await unregister(redis, self.names, self.worker_id)
            await redis.aclose()
            await pg.close()
            log.info("worker=%s stopped", self.worker_id)

    def _idle(self) -> bool:
        """Free to take a session: owning none, claiming none, not leaving."""
        return self._owned is None and not self._claiming and not self._exit.is_set()

    async def claim(self, session_id: UUID) -> str:
        """The start_session job: take the session if it wants to run and nobody holds it."""
        assert self._redis is not None and self._pg is not None
        sid = str(session_id)
        if self._owned is not None or self._claiming or self._exit.is_set():
            # busy: put it back for another idle worker instead of dropping it
            await enqueue_start(self._redis, self.names, sid)
            return "busy"
        self._claiming = True
        try:
            return await self._claim(session_id)
        finally:
            self._claiming = False

    async def _claim(self, session_id: UUID) -> str:
        assert self._redis is not None and self._pg is not None
        sid = str(session_id)
        lease = Lease(
            self._redis,
            key=self.names.lease_key(sid),
            session_id=sid,
            worker_id=self.worker_id,
            ttl_ms=self.settings.lease_ttl_ms,
        )
        if not await lease.claim():
            return "held by another worker"
        async with self._pg.connection() as conn:
            session = await sessions.worker_grant(
                conn, session_id=session_id, worker_id=self.worker_id
            )
        if session is None:
            await lease.release()
            return "not wanted"
        assert self._pool_consumer is not None
        self._pool_consumer.pause()
        self._warm.hold()
        fence = Fence(session.id, session.fence)
        pool = FencedPool(self.settings.database_url, fence=fence, on_refused=self._on_refused)
        try:
            await pool.open(wait=True, timeout=10)
        except Exception:
            await pool.close()
            self._warm.idle()
            await lease.release()
            with contextlib.suppress(RedisError):
                await enqueue_start(self._redis, self.names, sid)
            raise
        self._start_owning(session.id, session.company_id, lease, pool)
        return "claimed"

    # --- owning ------------------------------------------------------------------------

    def _start_owning(
        self, session_id: UUID, company_id: UUID, lease: Lease, pool: FencedPool
    ) -> None:
        assert self._redis is not None and self._pg is not None
        sid = str(session_id)
        publisher = Publisher(
            pool,
            self._redis,
            channel=self.names.events_channel,
            session_id=session_id,
            company_id=company_id,
            worker_id=self.worker_id,
        )
        browser = BrowserThread(warm=self._warm)
        runtime = SessionRuntime(self.settings, publisher, browser, self._redis)
        task = asyncio.create_task(self._own(sid, runtime, lease), name=f"session:{sid}")
        memory = MemoryWatch(self.settings.browser_max_pss_mb)
        self._owned = Owned(sid, runtime, browser, pool, task, memory)
        self.status.state, self.status.session_id = "owning", sid
        self._status_changed.set()
        log.info("worker=%s session=%s claimed fence=%d", self.worker_id, sid, pool.fence.token)

    def _on_refused(self, stale: StaleFence) -> None:
        """Postgres refused a write for the owned session: count it, log it once, drop it."""
        owned = self._owned
        if owned is None or owned.pool.fence != stale.fence:
            return
        owned.refused += 1
        if owned.refused == 1:
            log.warning(
                "worker=%s session=%s write refused: fencing token %d is stale (another worker"
                " was granted the lease); dropping the session",
                self.worker_id,
                owned.session_id,
                stale.fence.token,
            )
        owned.runtime.request_end(End.LEASE_LOST)

    async def _own(self, sid: str, runtime: SessionRuntime, lease: Lease) -> None:
        assert self._redis is not None
        lease.keep_alive(on_lost=lambda: runtime.request_end(End.LEASE_LOST))
        commands = QueueConsumer(
            self._redis,
            queue=self.names.session_queue(sid),
            functions=job_functions.SESSION_FUNCTIONS,
            ctx={"runtime": runtime, "process": self},
            job_timeout_s=COMMAND_TIMEOUT_S,
            max_tries=job_functions.SEND_NOT_READY_TRIES + 1,
            poll_delay_s=SESSION_POLL_S,
        )
        commands.start()
        end = End.HANDOFF
        try:
            end = await runtime.run()
        except Exception:
            log.exception("worker=%s session=%s runtime crashed", self.worker_id, sid)
        finally:
            if runtime.recycling:
                await count_recycle(self._redis, self.names)
            self.status.state = "stopping"
            await commands.stop(grace_s=5)
            await lease.stop_keep_alive()
            owned = self._owned
            assert owned is not None
            try:
                end = runtime.end_reason(end)
                await self._after(sid, runtime, lease, end)
            except StaleFence:
                pass  # counted and logged by _on_refused: the new owner writes the state
            except Exception:  # the worker must go back to the pool whatever happened
                log.exception("worker=%s session=%s release failed", self.worker_id, sid)
            finally:
                await owned.pool.close()
            await self._record_refusals(owned)
            self._owned = None
            self.status.state, self.status.session_id, self.status.browser_pss_mb = "idle", "", 0.0
            self._status_changed.set()
            if not self._exit.is_set():
                self._warm.idle()
                self._refill_warm()
            log.info("worker=%s session=%s released end=%s", self.worker_id, sid, end)

    async def _after(self, sid: str, runtime: SessionRuntime, lease: Lease, end: End) -> None:
        assert self._redis is not None
        if end is End.LEASE_LOST:
            return  # the new owner writes the state; this worker touches nothing
        if end is End.HANDOFF:
            await runtime.publisher.transition(SessionState.IDLE, Reason.WORKER_RESTART)
        await self._forget_if_deleted(sid)
        await lease.release()
        if end is End.HANDOFF:
            with contextlib.suppress(RedisError):
                await enqueue_start(self._redis, self.names, sid)

    async def _record_refusals(self, owned: Owned) -> None:
        """Refused writes go to ``wa_fence_refusals`` (through the unfenced pool): /metrics."""
        assert self._pg is not None
        if not owned.refused:
            return
        try:
            async with self._pg.connection() as conn:
                for _ in range(owned.refused):
                    await sessions.worker_record_refusal(
                        conn,
                        session_id=owned.pool.fence.session_id,
                        worker_id=self.worker_id,
                        token=owned.pool.fence.token,
                    )
        except Exception as exc:  # Postgres away: the log line above still says it
            log.warning("worker=%s refusals not recorded: %s", self.worker_id, exc)

    async def _forget_if_deleted(self, sid: str) -> None:
        """A deleted session's browser profile goes too (the gateway cannot reach worker disks)."""
        assert self._pg is not None
        async with self._pg.connection() as conn:
            exists = await sessions.worker_get(conn, session_id=UUID(sid)) is not None
        if not exists:
            await asyncio.to_thread(shutil.rmtree, self.settings.profile_dir / sid, True)
            log.info("worker=%s session=%s deleted: profile removed", self.worker_id, sid)

    def _refill_warm(self) -> None:
        """While idle: start the warm browser for the next new session (in a thread)."""
        if not self._warm.enabled or (self._filling is not None and not self._filling.done()):
            return
        self._filling = asyncio.create_task(asyncio.to_thread(self._warm.fill), name="warm")

    # --- background loops --------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        assert self._redis is not None
        while True:
            owned = self._owned
            if owned is not None and owned.browser.browser_pid:
                self.status.browser_pss_mb = await asyncio.to_thread(
                    process_tree_pss_mb, owned.browser.browser_pid
                )
                if owned.memory.observe(self.status.browser_pss_mb):
                    owned.runtime.request_recycle()
            changed = self._status_changed.is_set()
            await beat(self._redis, self.names, self.status)
            self._status_changed.clear()
            if changed:  # another host may be the least loaded now
                with contextlib.suppress(RedisError, OSError):
                    await publish_placement(
                        self._redis, self.names, await read_fleet(self._redis, self.names)
                    )
            # asyncio.timeout, not wait_for: in 3.11 wait_for can swallow a cancellation that
            # arrives as the event fires, and the worker would never finish stopping
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HEARTBEAT_EVERY_S):
                    await self._status_changed.wait()

    async def _reconcile_loop(self) -> None:
        # owning workers too: with every worker busy, someone must say waiting_for_worker
        assert self._redis is not None and self._pg is not None
        while True:
            await asyncio.sleep(self.settings.reconcile_interval_s)
            try:
                await reconcile_once(
                    self._redis,
                    self.names,
                    self._pg,
                    worker_id=self.worker_id,
                    period_s=self.settings.reconcile_interval_s,
                )
            except Exception as exc:  # a reconciler pass must never kill the worker
                log.warning("worker=%s reconcile failed: %s", self.worker_id, exc)

    async def _ctl_loop(self) -> None:
        """Operator control on ``wa:ctl:{worker_id}``; reconnects with backoff. The subscription
        also says this process lives (worker/departed.py): it comes back within about 2 s."""
        assert self._redis is not None
        backoff = CTL_RETRY_FIRST_S
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.names.ctl_channel(self.worker_id))
                    backoff = CTL_RETRY_FIRST_S
                    while True:
                        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if msg is not None:
                            self._on_ctl(msg["data"])
            except RedisError as exc:
                log.warning(
                    "worker=%s ctl channel lost (%s), retry in %.2fs", self.worker_id, exc, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, CTL_RETRY_MAX_S)

    def _on_ctl(self, raw: bytes | str) -> None:
        command = raw.decode() if isinstance(raw, bytes) else raw
        log.info("worker=%s ctl=%s", self.worker_id, command)
        if command == "restart":
            self.request_restart()
        elif command == "stop":
            self.request_exit()
        else:
            log.warning("worker=%s unknown ctl command %r", self.worker_id, command)
