"""A small deployment for chaos tests and ``make chaos``: private Redis and Postgres, the simulator,
and "hosts" — each a worker with its own profile directory, reaching Redis and Postgres through
its own TCP proxies (its network, which a test can cut). Everything is read from Postgres (state,
event log, messages), so it keeps working while Redis restarts."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from arq.connections import ArqRedis, RedisSettings, create_pool
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from shared import jobs
from shared.db.migrate import migrate
from shared.db.pool import make_pool
from shared.db.repos import chats, companies, messages, sessions
from shared.queues import enqueue_command, enqueue_start
from tests.support.databases import NAMES, REDIS_PREFIX
from tests.support.private_services import PostgresServer, RedisServer
from tests.support.procs import Proc
from tests.support.sim import SimClient
from tests.support.tcp_proxy import TcpProxy

READY_TIMEOUT_S = 90.0


def unique_phone() -> str:
    return "1555" + str(secrets.randbelow(10**7)).zfill(7)


@dataclass
class Host:
    name: str
    profile_dir: Path
    redis: TcpProxy
    pg: TcpProxy
    workers: list[Proc] = field(default_factory=list)

    @property
    def worker(self) -> Proc:
        return self.workers[-1]

    async def cut(self) -> None:
        """The host's network to Redis and Postgres goes (the simulator stays reachable)."""
        await self.redis.cut()
        await self.pg.cut()

    async def restore(self) -> None:
        await self.redis.restore()
        await self.pg.restore()


@dataclass
class Cluster:
    redis_server: RedisServer
    pg_server: PostgresServer
    sim: SimClient
    sim_url: str
    root: Path
    pg: AsyncConnectionPool
    arq: ArqRedis
    hosts: dict[str, Host] = field(default_factory=dict)
    worker_env: dict[str, str] = field(default_factory=dict)
    company_id: UUID | None = None
    _serial: int = 0

    @classmethod
    async def up(
        cls, sim_url: str, root: Path, worker_env: dict[str, str] | None = None
    ) -> Cluster:
        redis_server, pg_server = RedisServer(), PostgresServer()
        redis_server.start()
        pg_server.start()
        pg_server.create_database()
        migrate(pg_server.url)
        pg = make_pool(pg_server.url, min_size=1, max_size=4)
        await pg.open(wait=True, timeout=30)
        arq = await create_pool(RedisSettings.from_dsn(redis_server.url))
        sim = SimClient(sim_url)
        return cls(
            redis_server, pg_server, sim, sim_url, root, pg, arq, worker_env=worker_env or {}
        )

    async def down(self) -> None:
        for host in self.hosts.values():
            for w in host.workers:
                w.kill()  # no hand-off needed: the deployment goes
                w.close()
            await host.redis.close()
            await host.pg.close()
        await self.sim.close()
        await self.arq.aclose()
        await self.pg.close()
        self.redis_server.close()
        self.pg_server.close()

    # --- hosts and workers -------------------------------------------------------------

    async def host(self, name: str) -> Host:
        if name not in self.hosts:
            rd = TcpProxy("127.0.0.1", self.redis_server.port)
            pg = TcpProxy("127.0.0.1", self.pg_server.port)
            await rd.start()
            await pg.start()
            profiles = self.root / f"host-{name}"
            profiles.mkdir(parents=True)
            (self.root / "logs").mkdir(exist_ok=True)
            self.hosts[name] = Host(name, profiles, rd, pg)
        return self.hosts[name]

    async def start_worker(self, name: str, **extra: str) -> Proc:
        host = await self.host(name)
        self._serial += 1
        worker_id = f"{name}-{self._serial}"
        env = {
            "APP_MODE": "test",
            "APP_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{host.pg.port}/"
            f"{self.pg_server.dbname}",
            "APP_REDIS_URL": f"redis://127.0.0.1:{host.redis.port}/0",
            "APP_REDIS_PREFIX": REDIS_PREFIX,
            "APP_HOST_LABEL": name,
            "APP_WORKER_ID": worker_id,
            "APP_PROFILE_DIR": str(host.profile_dir),
            "WA_URL": self.sim_url,
            "APP_BRIDGE": "module",
            "APP_SNAPSHOT_DEBOUNCE_S": "1",
            "APP_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",  # a killed worker's last lines are what a test needs
            **self.worker_env,
            **extra,
        }
        proc = Proc(f"worker-{worker_id}", ["-m", "worker"], env, self.root / "logs")
        host.workers.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(
            f"--- {w.name}\n{w.output()[-5000:]}" for h in self.hosts.values() for w in h.workers
        )

    # --- sessions ----------------------------------------------------------------------

    async def new_session(self) -> UUID:
        async with self.pg.connection() as conn:
            if self.company_id is None:
                self.company_id = (await companies.create(conn, name="Chaos Co")).id
            session = await sessions.create(conn, company_id=self.company_id, name="main")
        await enqueue_start(self.arq, NAMES, str(session.id))
        return session.id

    async def row(self, sid: UUID) -> Any:
        async with self.pg.connection() as conn:
            return await sessions.worker_get(conn, session_id=sid)

    async def wait(self, what: str, check: Any, timeout_s: float = READY_TIMEOUT_S) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                got = await check()
            except OSError:
                got = None
            if got:
                return got
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")

    async def ready_on(
        self, sid: UUID, host: str, after_event: int = 0, timeout_s: float = READY_TIMEOUT_S
    ) -> None:
        """The session became ``ready`` (a state event after ``after_event``) on ``host``. The row
        alone would not do: a new holder's grant names it before it has started anything."""

        async def check() -> bool:
            async with self.pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
                await cur.execute(
                    "SELECT count(*) FROM event_log WHERE session_id = %s AND id > %s"
                    " AND type = 'state' AND payload->'data'->>'state' = 'ready'",
                    (sid, after_event),
                )
                found = await cur.fetchone()
            row = await self.row(sid)
            return bool(
                found and found[0] and row.state == "ready" and row.worker_id.startswith(host)
            )

        await self.wait(f"ready on {host}", check, timeout_s)

    async def link(self, host: str) -> tuple[UUID, str]:
        """A new session, linked by QR on ``host``'s worker, ready and snapshotted there."""
        sid = await self.new_session()

        async def qr() -> str | None:
            row = await self.row(sid)
            return str(row.qr_payload) if row and row.qr_payload else None

        ref = await self.wait("a QR", qr, 60)
        phone = unique_phone()
        await self.sim.link(ref, phone, "Shop")
        await self.ready_on(sid, host, timeout_s=60)
        await self.wait(f"a snapshot by {host}", lambda: self.snapshot_by(sid, host), 30)
        return sid, phone

    async def snapshot_by(self, sid: UUID, worker: str) -> bool:
        """A good snapshot taken by ``worker``: a worker id, or a host name (any of its workers)."""
        async with self.pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(
                "SELECT count(*) FROM wa_profile_snapshots WHERE session_id = %s"
                " AND status = 'good' AND (worker_id = %s OR worker_id LIKE %s)",
                (sid, worker, f"{worker}-%"),
            )
            row = await cur.fetchone()
        return bool(row and row[0])

    async def idle_worker_on(self, host: str) -> bool:
        """The newest worker of ``host`` heartbeats as idle (waiting in the pool)."""
        key = NAMES.worker_key(f"{host}-{self._serial_of(host)}")
        fields: Any = self.arq.hgetall(key)  # redis-py types it loosely
        return bool((await fields).get(b"state") == b"idle")

    def _serial_of(self, host: str) -> str:
        return self.hosts[host].worker.name.rsplit("-", 1)[-1]

    async def last_event_id(self) -> int:
        async with self.pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute("SELECT COALESCE(MAX(id), 0) FROM event_log")
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def qr_events_since(self, sid: UUID, after_id: int) -> int:
        async with self.pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(
                "SELECT count(*) FROM event_log WHERE session_id = %s AND id > %s AND type = 'qr'",
                (sid, after_id),
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # --- messages ----------------------------------------------------------------------

    async def inbound_counts(self, sid: UUID, prefix: str) -> Counter[str]:
        async with self.pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(
                "SELECT body FROM wa_messages WHERE session_id = %s AND direction = 'in'"
                " AND body LIKE %s",
                (sid, prefix + "%"),
            )
            return Counter(str(r[0]) for r in await cur.fetchall())

    async def queue_sends(self, sid: UUID, wa_chat_id: str, bodies: list[str]) -> list[UUID]:
        async with self.pg.connection() as conn:
            chat = await chats.worker_get_by_wa_id(conn, session_id=sid, wa_chat_id=wa_chat_id)
        assert chat is not None, "the chat must exist (an inbound message first)"
        ids: list[UUID] = []
        for body in bodies:
            async with self.pg.connection() as conn:
                msg, _ = await messages.create_outgoing(
                    conn,
                    session_id=sid,
                    chat_id=chat.id,
                    client_msg_id=body,
                    body=body,
                    sent_by_user_id=None,
                )
            args = jobs.SendText(
                session_id=sid,
                message_id=msg.id,
                client_msg_id=body,
                body=body,
                wa_chat_id=wa_chat_id,
            )
            await enqueue_command(
                self.arq,
                NAMES,
                str(sid),
                jobs.SEND_TEXT,
                args,
                job_id=NAMES.send_job_id(str(msg.id)),
            )
            ids.append(msg.id)
        return ids

    async def out_statuses(self, sid: UUID, prefix: str) -> dict[str, str]:
        async with self.pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(
                "SELECT body, status FROM wa_messages WHERE session_id = %s AND direction = 'out'"
                " AND body LIKE %s",
                (sid, prefix + "%"),
            )
            return {str(r[0]): str(r[1]) for r in await cur.fetchall()}

    async def received_by_contact(self, phone: str, contact: str, prefix: str) -> Counter[str]:
        """What the linked phone ``phone`` sent to ``contact`` (bodies starting ``prefix``)."""
        return Counter(
            str(m["text"])
            for m in await self.sim.sent(phone)
            if m["to"] == contact and str(m["text"]).startswith(prefix)
        )
