"""The passkey relay's e2e stack: the simulator served as ``https://web.whatsapp.com`` (a
self-signed certificate, Chromium's --host-resolver-rules and --ignore-certificate-errors), a
gateway, workers, and the signer extension as the dashboard offers it.

The simulator, the gateway and the admin's browser live for a test module; each test gets its own
tenant and its own worker (so it can choose the worker's settings).
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import shlex
import ssl
import time
import urllib.request
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from arq.connections import ArqRedis, RedisSettings, create_pool
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.auth.passwords import Passwords
from gateway.auth.tokens import issue_token
from shared.db.pool import make_pool
from shared.db.repos import companies, users
from shared.settings import Settings
from tests.support.databases import REDIS_PREFIX, REDIS_URL
from tests.support.events import EventTap
from tests.support.gateways import start_gateway
from tests.support.procs import Proc, free_port, processes_mentioning
from tests.support.sim import SimClient
from tests.support.stack import FAST_SIM

WA_HOST = "web.whatsapp.com"
_UNVERIFIED = ssl._create_unverified_context()  # the simulator's self-signed certificate


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate (and key) for web.whatsapp.com, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, WA_HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(WA_HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "wa.crt", directory / "wa.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _wait_https(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2, context=_UNVERIFIED):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout_s}s") from None
            time.sleep(0.1)


@dataclass
class RelayStack:
    """What a test module shares: the HTTPS simulator and a gateway."""

    settings: Settings
    sim_port: int
    gateway_url: str
    work: Path
    procs: list[Proc] = field(default_factory=list)

    @classmethod
    def start(cls, database_url: str, work: Path) -> RelayStack:
        settings = Settings(
            mode="test",
            database_url=database_url,
            redis_url=REDIS_URL,
            redis_prefix=REDIS_PREFIX,
            jwt_secret="test-" + secrets.token_hex(24),
            password_memory_kib=64,
            password_time_cost=1,
            profile_dir=work / "profiles",
        )
        settings.profile_dir.mkdir()
        cert, key = self_signed(work)
        sim_port, gateway_port = free_port(), free_port()
        stack = cls(settings, sim_port, f"http://127.0.0.1:{gateway_port}", work)
        sim_args = ["-m", "simulator", "--port", str(sim_port)]
        sim_args += ["--tls-cert", str(cert), "--tls-key", str(key)]
        stack.procs.append(Proc("simulator", sim_args, {}, work))
        _wait_https(f"{stack.sim_url}/_sim/health")
        stack.procs.append(start_gateway(settings, gateway_port, work, "gateway"))
        return stack

    @property
    def sim_url(self) -> str:
        """The control API (the pages are reached as https://web.whatsapp.com)."""
        return f"https://127.0.0.1:{self.sim_port}"

    @property
    def chromium_args(self) -> list[str]:
        """What makes a Chromium reach the simulator as https://web.whatsapp.com."""
        return [
            f"--host-resolver-rules=MAP {WA_HOST} 127.0.0.1:{self.sim_port}",
            "--ignore-certificate-errors",
        ]

    def worker_env(self, worker_id: str, **extra: str) -> dict[str, str]:
        s = self.settings
        env = {
            "APP_MODE": "test",
            "APP_DATABASE_URL": s.database_url,
            "APP_REDIS_URL": s.redis_url,
            "APP_REDIS_PREFIX": s.redis_prefix,
            "APP_WORKER_ID": worker_id,
            "WA_URL": f"https://{WA_HOST}",
            "APP_PROFILE_DIR": str(s.profile_dir),
            "APP_LEASE_TTL_MS": "4000",
            "APP_RECONCILE_INTERVAL_S": "1",
            "APP_LOG_LEVEL": "INFO",
            "APP_CHROMIUM_EXTRA_ARGS": shlex.join(self.chromium_args),
            "APP_WARM_BROWSER": "false",
        }
        env.update(extra)
        return env

    def signer_extension(self, into: Path) -> Path:
        """The signer extension as the dashboard offers it (built for its host), unpacked."""
        with urllib.request.urlopen(f"{self.gateway_url}/signer-extension.zip", timeout=10) as r:
            archive = r.read()
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            z.extractall(into)
        return into

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.close()


@dataclass(frozen=True)
class Person:
    user_id: UUID
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class RelayRun:
    """One test's share: its own tenant, worker, event tap and clients."""

    stack: RelayStack
    pg: AsyncConnectionPool
    redis: Redis
    arq: ArqRedis
    tap: EventTap
    sim: SimClient
    company_id: UUID | None = None
    workers: list[Proc] = field(default_factory=list)

    async def person(self, role: str, *, other_company: bool = False) -> Person:
        """An admin or manager of this test's company (made with the first person), or of a
        company of its own."""
        settings = self.stack.settings
        async with self.pg.connection() as conn:
            company_id = self.company_id
            if company_id is None or other_company:
                company_id = (await companies.create(conn, name=f"Co {secrets.token_hex(3)}")).id
                self.company_id = self.company_id or company_id
            password = "pw-" + secrets.token_hex(6)
            user = await users.create(
                conn,
                company_id=company_id,
                email=f"{role}-{secrets.token_hex(4)}@example.test",
                password_hash=Passwords(settings).hash_sync(password),
                role=role,
                display_name=role.title(),
            )
        token, _ = issue_token(settings, user)
        return Person(user.id, user.email, password, token)

    def start_worker(self, worker_id: str, **extra: str) -> Proc:
        env = self.stack.worker_env(worker_id, **extra)
        proc = Proc(f"worker-{worker_id}", ["-m", "worker"], env, self.stack.work)
        self.workers.append(proc)
        return proc

    def worker_log(self) -> str:
        return "\n".join(w.output() for w in self.workers)


async def relay_run(stack: RelayStack) -> AsyncIterator[RelayRun]:
    """The per-test part (an async generator for a function-scoped fixture)."""
    pg = make_pool(stack.settings.database_url, min_size=1, max_size=4)
    await pg.open(wait=True, timeout=10)
    redis = Redis.from_url(stack.settings.redis_url)
    arq = await create_pool(RedisSettings.from_dsn(stack.settings.redis_url))
    tap = EventTap(redis)
    await tap.start()
    sim = SimClient(stack.sim_url)
    await sim.reset()
    await sim.config(**FAST_SIM)
    run = RelayRun(stack, pg, redis, arq, tap, sim)
    try:
        yield run
    finally:
        for worker in run.workers:
            worker.close()
        await sim.close()
        await tap.stop()
        await arq.aclose()
        await redis.aclose()
        await pg.close()
    # no Chromium of these workers outlives them
    assert processes_mentioning(str(stack.settings.profile_dir)) == []
