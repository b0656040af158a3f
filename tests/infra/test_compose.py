"""The compose files validate with docker-compose 1.29, and the paths the services are told about
are exactly their mounts (the Synology EACCES bug); deploy.sh and fix-permissions.sh work."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import Settings
from tests.support.nginx import NGINX_DIR
from tests.support.procs import ROOT

COMPOSE_DIR = ROOT / "infra" / "compose"
BASE = COMPOSE_DIR / "docker-compose.yml"
SYNOLOGY = COMPOSE_DIR / "docker-compose.synology.yml"
S3 = COMPOSE_DIR / "docker-compose.s3.yml"
MEDIA_DIR = "/var/lib/wagateway/media"
APP_SERVICES = ("migrate", "gateway1", "gateway2", "worker", "webhooks")
PROFILE_DIR = "/var/lib/wagateway/profiles"

REQUIRED_ENV = {
    "POSTGRES_PASSWORD": "pg-secret-for-tests",
    "APP_JWT_SECRET": "j" * 40,
    "APP_SNAPSHOT_KEY": "k" * 40,
    "DATA_DIR": "/volume1/docker/wagateway",
}


def _install_docker_compose() -> str | None:
    found = shutil.which("docker-compose")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "install", "-y", "-q", "docker-compose"], ["apt-get", "update", "-q"]):
        subprocess.run(args, env=env, capture_output=True, timeout=600, check=False)
        if shutil.which("docker-compose"):
            break
    else:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "docker-compose"],
            env=env,
            capture_output=True,
            timeout=600,
            check=False,
        )
    return shutil.which("docker-compose")


@pytest.fixture(scope="module")
def docker_compose() -> str:
    binary = _install_docker_compose()
    if binary is None:
        pytest.skip("docker-compose is not installed and could not be installed (needs root + apt)")
    return binary


def _compose_config(
    binary: str, file: Path, *more: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED_ENV}
    files = [arg for f in (file, *more) for arg in ("-f", str(f))]
    return subprocess.run(
        [binary, "--project-directory", str(COMPOSE_DIR), *files, "config"],
        cwd=COMPOSE_DIR,
        env={**clean, "COMPOSE_PROJECT_NAME": "wagwtest", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _rendered(binary: str, file: Path, **env: str) -> dict[str, Any]:
    done = _compose_config(binary, file, **{**REQUIRED_ENV, **env})
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


@pytest.fixture(scope="module")
def base(docker_compose: str) -> dict[str, Any]:
    return _rendered(docker_compose, BASE)


@pytest.fixture(scope="module")
def synology(docker_compose: str) -> dict[str, Any]:
    return _rendered(docker_compose, SYNOLOGY)


def _mount_targets(service: dict[str, Any]) -> set[str]:
    targets = set()
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            targets.add(volume["target"])
        else:
            targets.add(volume.split(":")[1])
    return targets


@pytest.mark.parametrize("file", [BASE, SYNOLOGY], ids=["base", "synology"])
def test_compose_file_validates(docker_compose: str, file: Path) -> None:
    done = _compose_config(docker_compose, file, **REQUIRED_ENV)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("file", [BASE, SYNOLOGY], ids=["base", "synology"])
@pytest.mark.parametrize("missing", ["APP_JWT_SECRET", "POSTGRES_PASSWORD", "APP_SNAPSHOT_KEY"])
def test_required_secrets_are_enforced(docker_compose: str, file: Path, missing: str) -> None:
    env = {k: v for k, v in REQUIRED_ENV.items() if k != missing}
    done = _compose_config(docker_compose, file, **env)
    assert done.returncode != 0
    assert f"set {missing}" in done.stderr


def test_synology_requires_data_dir(docker_compose: str) -> None:
    env = {k: v for k, v in REQUIRED_ENV.items() if k != "DATA_DIR"}
    done = _compose_config(docker_compose, SYNOLOGY, **env)
    assert done.returncode != 0
    assert "set DATA_DIR" in done.stderr


@pytest.mark.parametrize("which", ["base", "synology"])
def test_every_path_in_the_environment_is_a_mount(
    which: str, request: pytest.FixtureRequest
) -> None:
    config: dict[str, Any] = request.getfixturevalue(which)
    checked = 0
    for name, service in config["services"].items():
        targets = _mount_targets(service)
        for key, value in (service.get("environment") or {}).items():
            if isinstance(value, str) and value.startswith("/"):
                assert value in targets, f"{which}: {name}.{key}={value} is not a mount {targets}"
                checked += 1
    worker = config["services"]["worker"]
    assert worker["environment"]["APP_PROFILE_DIR"] == PROFILE_DIR
    assert PROFILE_DIR in _mount_targets(worker)
    assert checked >= 1


def test_synology_mounts_live_under_data_dir_and_run_as_puid(docker_compose: str) -> None:
    config = _rendered(docker_compose, SYNOLOGY, PUID="1031", PGID="101")
    data_dir = REQUIRED_ENV["DATA_DIR"]
    expected = {
        "postgres": f"{data_dir}/postgres",
        "redis": f"{data_dir}/redis",
        "worker": f"{data_dir}/profiles",
    }
    for name, source in expected.items():
        sources = [v.split(":")[0] for v in config["services"][name]["volumes"]]
        assert sources[0] == source, name
        assert set(sources[1:]) <= {f"{data_dir}/media"}, name
    for name in ("gateway1", "gateway2", "worker", "webhooks", "postgres", "redis", "migrate"):
        assert config["services"][name]["user"] == "1031:101", name
    assert "volumes" not in config or not config["volumes"]


def test_service_wiring(docker_compose: str) -> None:
    config = _rendered(docker_compose, BASE, WORKERS="5", HTTP_PORT="8088")
    services = config["services"]
    assert services["postgres"]["healthcheck"]["test"][1].startswith("pg_isready")
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("gateway1", "gateway2", "worker", "webhooks"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["redis"]["condition"] == "service_healthy"
    for name in ("gateway1", "gateway2"):
        assert "/health" in " ".join(services[name]["healthcheck"]["test"])
    sender = services["webhooks"]
    assert sender["command"] == ["python", "-m", "webhooks"]
    assert sender["image"] == services["gateway1"]["image"]  # the gateway image runs it
    assert sender["environment"]["APP_WEBHOOK_ALLOW_PRIVATE"] == "false"
    worker = services["worker"]
    assert worker["deploy"]["replicas"] == 5
    assert worker["init"] is True
    assert worker["stop_grace_period"] == "60s"
    assert worker["shm_size"]
    assert "container_name" not in worker
    nginx = services["nginx"]
    assert any(str(p).startswith("8088:80") or p.get("published") == 8088 for p in nginx["ports"])
    assert f"{NGINX_DIR}:/etc/nginx/wagateway:ro" in nginx["volumes"]
    assert {"pgdata", "redisdata", "profiles"} <= set(config["volumes"])


@pytest.mark.parametrize("which", ["base", "synology"])
def test_media_volume_is_shared_by_its_users(which: str, request: pytest.FixtureRequest) -> None:
    config: dict[str, Any] = request.getfixturevalue(which)
    for name in ("gateway1", "gateway2", "webhooks", "worker"):
        service = config["services"][name]
        assert service["environment"]["APP_MEDIA_DIR"] == MEDIA_DIR, name
        assert MEDIA_DIR in _mount_targets(service), name
        assert service["environment"]["APP_MEDIA_BACKEND"] == "local"
    if which == "base":
        assert "media" in config["volumes"]


def test_s3_override_validates_and_switches_the_backend(docker_compose: str) -> None:
    missing = _compose_config(docker_compose, BASE, S3, **REQUIRED_ENV)
    assert missing.returncode != 0 and "set APP_MEDIA_S3_SECRET_KEY" in missing.stderr
    done = _compose_config(
        docker_compose, BASE, S3, **REQUIRED_ENV, APP_MEDIA_S3_SECRET_KEY="s" * 20
    )
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    for name in ("gateway1", "gateway2", "webhooks", "worker"):
        env = services[name]["environment"]
        assert env["APP_MEDIA_BACKEND"] == "s3", name
        assert env["APP_MEDIA_S3_ENDPOINT"] == "http://minio:9000"
        assert env["APP_JWT_SECRET"] == REQUIRED_ENV["APP_JWT_SECRET"]  # merged, not replaced
    assert "ports" not in services["minio"]
    deps = services["gateway1"]["depends_on"]
    assert deps["minio-bucket"]["condition"] == "service_completed_successfully"
    assert deps["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("file", [BASE, SYNOLOGY, S3], ids=["base", "synology", "s3"])
def test_no_keys_compose_1_29_rejects(file: Path) -> None:
    raw = yaml.safe_load(file.read_text())
    assert "name" not in raw

    def keys(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield str(key)
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    assert "start_interval" not in set(keys(raw))


@pytest.mark.parametrize("which", ["base", "synology"])
def test_nginx_upstream_matches_the_gateway_services(
    which: str, request: pytest.FixtureRequest
) -> None:
    """The seeds' nginx proxied to a port nothing listened on: the names and ports must agree."""
    config: dict[str, Any] = request.getfixturevalue(which)
    servers = re.findall(
        r"^server\s+([\w.-]+):(\d+)", (NGINX_DIR / "upstream.conf").read_text(), re.M
    )
    assert servers
    for host, port in servers:
        env = config["services"][host]["environment"]
        assert env["APP_GATEWAY_PORT"] == port
        assert env["APP_GATEWAY_HOST"] == "0.0.0.0"


def test_dockerfiles_build_what_compose_runs() -> None:
    worker = (COMPOSE_DIR / "Dockerfile.worker").read_text()
    gateway = (COMPOSE_DIR / "Dockerfile.gateway").read_text()
    for text in (worker, gateway):
        assert "FROM python:3.11-slim-bookworm" in text
        assert "pip install ." in text
        assert re.search(r"^USER wagw$", text, re.M)
    assert "chromium chromium-driver" in worker
    # the module bridge injects wa-js as package-lock.json pins it, found beside the source tree
    assert "npm ci" in worker
    assert re.search(
        r"COPY --from=wajs /src/node_modules/@wppconnect/wa-js/dist/wppconnect-wa\.js\s*\\\s*"
        r"/src/node_modules/@wppconnect/wa-js/LICENSE\s*\\\s*"
        r"\./node_modules/@wppconnect/wa-js/dist/",
        worker,
    )
    ignore = (COMPOSE_DIR / "Dockerfile.worker.dockerignore").read_text()
    assert "!package.json" in ignore and "!package-lock.json" in ignore
    assert f"chown wagw:wagw {PROFILE_DIR}" in worker
    assert "npm ci" in gateway
    assert "COPY webhooks ./webhooks" in gateway  # python -m webhooks runs from this image


def _sh(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_scripts_are_strict_bash() -> None:
    scripts = [
        COMPOSE_DIR / "deploy.sh",
        COMPOSE_DIR / "fix-permissions.sh",
        NGINX_DIR / "render-local.sh",
    ]
    for script in scripts:
        assert "set -euo pipefail" in script.read_text(), script
        assert os.access(script, os.X_OK), script
        done = _sh(["-n", str(script)])
        assert done.returncode == 0, done.stderr


def test_fix_permissions_creates_and_reports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    uid, gid = str(os.getuid()), str(os.getgid())
    done = _sh([str(COMPOSE_DIR / "fix-permissions.sh")], DATA_DIR=str(data), PUID=uid, PGID=gid)
    assert done.returncode == 0, done.stderr
    for sub in ("postgres", "redis", "profiles"):
        path = data / sub
        assert path.is_dir()
        assert (str(path.stat().st_uid), str(path.stat().st_gid)) == (uid, gid)
        assert f"created  {path}" in done.stdout
    assert (data / "postgres").stat().st_mode & 0o777 == 0o700
    again = _sh([str(COMPOSE_DIR / "fix-permissions.sh")], DATA_DIR=str(data), PUID=uid, PGID=gid)
    assert "created" not in again.stdout
    assert f"ok       {data / 'profiles'}" in again.stdout


def test_fix_permissions_refuses_a_relative_data_dir() -> None:
    done = _sh([str(COMPOSE_DIR / "fix-permissions.sh")], DATA_DIR="relative/dir")
    assert done.returncode == 1
    assert "absolute" in done.stderr


@pytest.fixture
def health_server(tmp_path: Path) -> Iterator[int]:
    """Something answering 200 on /health, standing in for nginx in front of the stack."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "health").write_text('{"status":"ok"}')
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _env_file(path: Path, **values: str) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"APP_JWT_SECRET": "x" * 40}, "POSTGRES_PASSWORD is empty"),
        ({"POSTGRES_PASSWORD": "abc"}, "APP_JWT_SECRET is empty"),
        ({"POSTGRES_PASSWORD": "abc", "APP_JWT_SECRET": "short"}, "at least 32"),
        ({"POSTGRES_PASSWORD": "a@b/c", "APP_JWT_SECRET": "x" * 40}, "URL-safe"),
        (
            {"POSTGRES_PASSWORD": "abc", "APP_JWT_SECRET": "x" * 40, "APP_SNAPSHOT_KEY": "k"},
            "APP_SNAPSHOT_KEY must be at least 32",
        ),
    ],
)
def test_deploy_refuses_missing_or_weak_secrets(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    env_file = _env_file(tmp_path / "env", **values)
    stub = tmp_path / "compose-stub"
    done = _sh([str(COMPOSE_DIR / "deploy.sh")], ENV_FILE=str(env_file), COMPOSE=str(stub))
    assert done.returncode == 1
    assert message in done.stderr
    assert not stub.exists()


def test_deploy_refuses_without_env_file(tmp_path: Path) -> None:
    done = _sh([str(COMPOSE_DIR / "deploy.sh")], ENV_FILE=str(tmp_path / "absent"))
    assert done.returncode == 1
    assert "is missing" in done.stderr


def test_deploy_runs_the_steps_in_order(tmp_path: Path, health_server: int) -> None:
    calls = tmp_path / "calls"
    stub = tmp_path / "compose-stub"
    stub.write_text(f'#!/usr/bin/env bash\necho "$*" >> {calls}\n')
    stub.chmod(0o755)
    env_file = _env_file(
        tmp_path / "env",
        POSTGRES_PASSWORD="abc123",
        APP_JWT_SECRET="s" * 40,
        APP_SNAPSHOT_KEY="k" * 40,
        WORKERS="2",
        HTTP_PORT=str(health_server),
    )
    done = _sh(
        [str(COMPOSE_DIR / "deploy.sh"), "--workers", "4"],
        ENV_FILE=str(env_file),
        COMPOSE=str(stub),
        HEALTH_TIMEOUT_S="20",
    )
    assert done.returncode == 0, done.stderr
    assert '{"status":"ok"}' in done.stdout
    prefix = f"--env-file {env_file} -f docker-compose.yml "
    assert calls.read_text().splitlines() == [
        prefix + "config -q",
        prefix + "build",
        prefix + "up -d postgres redis",
        prefix + "run --rm migrate",
        prefix + "up -d --remove-orphans --scale worker=4",
    ]


def test_every_compose_variable_is_in_env_example() -> None:
    example = (COMPOSE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.M))
    for file in (BASE, SYNOLOGY, S3):
        used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", file.read_text()))
        assert used - listed == set(), f"{file.name}: not in .env.example"


@pytest.mark.parametrize("which", ["base", "synology"])
def test_app_settings_passed_by_compose_exist(which: str, request: pytest.FixtureRequest) -> None:
    """A misspelt APP_* name would be ignored silently by the settings (extra="ignore")."""
    config: dict[str, Any] = request.getfixturevalue(which)
    known = {str(info.validation_alias) for info in Settings.model_fields.values()}
    for name in APP_SERVICES:
        env = config["services"][name]["environment"]
        names = {key for key in env if key.startswith(("APP_", "WA_"))}
        assert names - known == set(), name


@pytest.mark.parametrize("file", [BASE, SYNOLOGY], ids=["base", "synology"])
def test_gateways_trust_only_the_nginx_network_and_share_one_redis_prefix(
    docker_compose: str, file: Path
) -> None:
    config = _rendered(docker_compose, file, EDGE_SUBNET="10.77.0.0/24", APP_REDIS_PREFIX="acme")
    services = config["services"]
    edge = config["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert edge == "10.77.0.0/24"
    assert set(services["nginx"]["networks"]) == {"edge"}  # nginx reaches only the gateways
    for name in ("gateway1", "gateway2"):
        assert set(services[name]["networks"]) == {"default", "edge"}
        assert services[name]["environment"]["APP_TRUSTED_PROXIES"] == edge
    for name in APP_SERVICES:
        assert services[name]["environment"]["APP_REDIS_PREFIX"] == "acme", name
        assert "edge" not in services[name].get("networks", {}) or name.startswith("gateway")
