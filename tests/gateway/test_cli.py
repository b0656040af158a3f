"""The admin CLI: companies, users, and an idempotent demo seed whose logins work."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.cli import DEMO_LOGINS
from shared.settings import Settings

Client = TestClient[Any, Any]


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "APP_MODE": "test",
        "APP_DATABASE_URL": settings.database_url,
        "APP_PASSWORD_MEMORY_KIB": str(settings.password_memory_kib),
        "APP_PASSWORD_TIME_COST": str(settings.password_time_cost),
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_seed_demo_is_idempotent_and_logins_work(client: Client, settings: Settings) -> None:
    first = _cli(settings, "seed-demo")
    second = _cli(settings, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    for login in DEMO_LOGINS:
        assert login.email in first.stdout and login.password in first.stdout
        resp = await client.post(
            "/api/auth/login", json={"email": login.email, "password": login.password}
        )
        assert resp.status == 200, login.email
        assert (await resp.json())["data"]["user"]["role"] == login.role


async def test_create_company_and_user(client: Client, settings: Settings) -> None:
    made = _cli(settings, "create-company", "--name", "Acme CLI")
    assert made.returncode == 0, made.stderr
    user = _cli(
        settings,
        "create-user",
        "--company",
        "Acme CLI",
        "--email",
        "boss@acme.test",
        "--password",
        "boss-pass-1",
        "--role",
        "admin",
    )
    assert user.returncode == 0, user.stderr
    resp = await client.post(
        "/api/auth/login", json={"email": "boss@acme.test", "password": "boss-pass-1"}
    )
    assert resp.status == 200
    dup = _cli(
        settings,
        "create-user",
        "--company",
        "Acme CLI",
        "--email",
        "boss@acme.test",
        "--password",
        "x",
        "--role",
        "admin",
    )
    assert dup.returncode == 1 and "already exists" in dup.stderr
    missing = _cli(
        settings,
        "create-user",
        "--company",
        "Nope",
        "--email",
        "x@acme.test",
        "--password",
        "x",
        "--role",
        "manager",
    )
    assert missing.returncode != 0 and "no company" in missing.stderr
