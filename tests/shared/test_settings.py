"""Settings: environment names, and the default JWT secret refused outside demo/test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.constants import RedisNames
from shared.settings import DEFAULT_JWT_SECRET, Settings


def test_default_secret_refused_in_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_JWT_SECRET", raising=False)
    monkeypatch.setenv("APP_MODE", "prod")
    with pytest.raises(ValidationError, match="APP_JWT_SECRET"):
        Settings()


def test_short_secret_refused_in_prod() -> None:
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(mode="prod", jwt_secret="short")


def test_snapshot_key_required_in_prod() -> None:
    with pytest.raises(ValidationError, match="APP_SNAPSHOT_KEY"):
        Settings(mode="prod", jwt_secret="x" * 40)
    with pytest.raises(ValidationError, match="APP_SNAPSHOT_KEY"):
        Settings(mode="prod", jwt_secret="x" * 40, snapshot_key="short")
    assert Settings(mode="prod", jwt_secret="x" * 40, snapshots=False).snapshot_key == ""
    assert Settings(mode="prod", jwt_secret="x" * 40, snapshot_key="k" * 32).snapshots


@pytest.mark.parametrize("mode", ["demo", "test"])
def test_default_secret_allowed_in_demo_and_test(mode: str) -> None:
    assert Settings(mode=mode).jwt_secret == DEFAULT_JWT_SECRET


def test_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_MODE", "prod")
    monkeypatch.setenv("APP_JWT_SECRET", "x" * 40)
    monkeypatch.setenv("APP_SNAPSHOT_KEY", "k" * 40)
    monkeypatch.setenv("APP_DATABASE_URL", "postgresql://db.example:5432/x")
    monkeypatch.setenv("WA_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("APP_CORS_ORIGINS", "https://a.example, https://b.example")
    s = Settings()
    assert s.database_url == "postgresql://db.example:5432/x"
    assert s.wa_url == "http://127.0.0.1:9999"
    assert s.cors_origin_list == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize("prefix", ["a:b", "x" * 33, "with space", "ü"])
def test_a_redis_prefix_is_short_and_plain(prefix: str) -> None:
    with pytest.raises(ValidationError, match=r"redis_prefix|APP_REDIS_PREFIX"):
        Settings(mode="test", redis_prefix=prefix)


def test_redis_names_carry_the_prefix() -> None:
    names = RedisNames.of(Settings(mode="test", redis_prefix="acme"))
    assert names.events_channel == "acme:wa:events"
    assert names.session_queue("s1") == "acme:wa:session:s1"
    assert names.start_job_id("s1") == "acme:start:s1"
    assert RedisNames().events_channel == "wa:events"  # no prefix: the names of DESIGN §5


def test_every_setting_is_in_env_example() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.M))
    names = {str(info.validation_alias) for info in Settings.model_fields.values()}
    assert names - listed == set()
