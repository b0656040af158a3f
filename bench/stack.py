"""A private stack for benchmarks: fresh database, own Redis DB, simulator, gateway, one worker
(with the bridge under test), and the webhook sender (``up(parts=...)`` starts fewer)."""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from psycopg import sql

from gateway.auth.passwords import Passwords
from shared.db.migrate import migrate
from shared.settings import Settings
from tests.support.procs import Proc, free_port, wait_http

ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
BENCH_EMAIL = "bench@bench.test"


@dataclass
class BenchStack:
    workdir: Path
    bridge: str = (
        "module"  # the worker's APP_BRIDGE; the simulator's WPP stand-in is on unless "page"
    )
    db_name: str = field(default_factory=lambda: f"wagw_bench_{uuid.uuid4().hex[:10]}")
    procs: list[Proc] = field(default_factory=list)
    gateway_url: str = ""
    sim_url: str = ""
    token: str = ""
    company_id: str = ""
    worker_env: dict[str, str] = field(default_factory=dict)  # extra settings of the worker
    workers: int = 1  # bench-w1 .. bench-wN

    @property
    def database_url(self) -> str:
        return ADMIN_URL.rsplit("/", 1)[0] + "/" + self.db_name

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "APP_MODE": "test",
            "APP_DATABASE_URL": self.database_url,
            "APP_REDIS_URL": REDIS_URL,
            "APP_PROFILE_DIR": str(self.workdir / "profiles"),
            "APP_MEDIA_DIR": str(self.workdir / "media"),
            "WA_URL": self.sim_url,
            "APP_LOG_LEVEL": "WARNING",
            "APP_PASSWORD_MEMORY_KIB": "1024",
            "APP_PASSWORD_TIME_COST": "1",
            **extra,
        }

    def up(self, parts: tuple[str, ...] = ("simulator", "gateway", "worker", "webhooks")) -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name)))
        migrate(self.database_url)
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        (self.workdir / "profiles").mkdir(parents=True, exist_ok=True)
        sim_port, gw_port = free_port(), free_port()
        self.sim_url = f"http://127.0.0.1:{sim_port}"
        self.gateway_url = f"http://127.0.0.1:{gw_port}"
        if "simulator" in parts:
            self._start("simulator", ["-m", "simulator", "--port", str(sim_port)], {})
            wait_http(f"{self.sim_url}/_sim/health")
        self._start("gateway", ["-m", "gateway"], self.env(APP_GATEWAY_PORT=str(gw_port)))
        if "worker" in parts:
            for n in range(1, self.workers + 1):
                self._start(
                    "worker" if n == 1 else f"worker{n}",
                    ["-m", "worker"],
                    self.env(
                        APP_WORKER_ID=f"bench-w{n}", APP_BRIDGE=self.bridge, **self.worker_env
                    ),
                )
        if "webhooks" in parts:
            # the bench's receiver listens on 127.0.0.1
            self._start("webhooks", ["-m", "webhooks"], self.env(APP_WEBHOOK_ALLOW_PRIVATE="true"))
        wait_http(f"{self.gateway_url}/health")
        self.token = self._seed_admin()

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name, args, env, self.workdir)
        self.procs.append(proc)
        return proc

    def proc(self, name: str) -> Proc:
        return next(p for p in self.procs if p.name == name)

    def _seed_admin(self) -> str:
        settings = Settings(mode="test", password_memory_kib=1024, password_time_cost=1)
        password = secrets.token_hex(8)
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cid = conn.execute(
                "INSERT INTO companies (name, max_sessions) VALUES ('Bench', 100) RETURNING id"
            ).fetchone()
            assert cid is not None
            self.company_id = str(cid[0])
            conn.execute(
                "INSERT INTO users (company_id, email, password_hash, role)"
                " VALUES (%s, %s, %s, 'admin')",
                (cid[0], BENCH_EMAIL, Passwords(settings).hash_sync(password)),
            )
        self.admin_password = password
        return ""

    async def login(self, http: aiohttp.ClientSession) -> str:
        async with http.post(
            f"{self.gateway_url}/api/auth/login",
            json={"email": BENCH_EMAIL, "password": self.admin_password},
        ) as resp:
            body: dict[str, Any] = await resp.json()
        self.token = str(body["data"]["token"])
        return self.token

    def down(self) -> None:
        for p in reversed(self.procs):
            p.close()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.db_name)
                )
            )
