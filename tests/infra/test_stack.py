"""The Swarm stack (infra/compose/docker-stack.yml): the docker client's own loader accepts it
(``docker stack config``, or on Debian's 20.10 client ``docker stack deploy`` against no daemon,
which validates the file before it connects) and refuses a broken one; and what it must hold:
secrets as Docker secrets only, health checks, restart and update policies, workers spread over
nodes with their own profile volume, every nginx include mounted."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "infra" / "compose"
STACK = COMPOSE_DIR / "docker-stack.yml"
APP_SERVICES = ("migrate", "gateway1", "gateway2", "webhooks", "worker")
SECRET_TARGETS = {"PGPASSWORD", "APP_JWT_SECRET", "APP_SNAPSHOT_KEY"}
NO_DAEMON = "Cannot connect to the Docker daemon"


def _install_docker_client() -> list[str]:
    if not shutil.which("docker") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for args in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "docker.io"]):
            subprocess.run(args, env=env, capture_output=True, timeout=900, check=False)
    found = [shutil.which("docker"), "/usr/bin/docker"]
    unique: list[str] = []
    for path in found:
        if (
            path
            and Path(path).exists()
            and os.path.realpath(path) not in map(os.path.realpath, unique)
        ):
            unique.append(path)
    return unique


@pytest.fixture(scope="module")
def docker_clients() -> list[str]:
    clients = _install_docker_client()
    if not clients:
        pytest.skip("no docker client installed and none could be (needs root + apt: docker.io)")
    return clients


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": f"unix://{cwd}/no-daemon.sock"}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def stack_check(docker: str, file: Path) -> tuple[bool, str]:
    """(accepted, what the client said): ``stack config`` where the client has it (Docker 23+),
    else ``stack deploy`` with no daemon, which loads, interpolates and validates the file first."""
    config = _run([docker, "stack", "config", "-c", str(file)], file.parent)
    if config.returncode == 0:
        return True, config.stdout
    if "config" in config.stderr and "Usage:" in (config.stderr + config.stdout):
        deploy = _run([docker, "stack", "deploy", "-c", str(file), "wagwcheck"], file.parent)
        said = (deploy.stderr + deploy.stdout).strip()
        return said.startswith(NO_DAEMON), said
    return False, config.stderr.strip()


def test_the_docker_client_accepts_the_stack(docker_clients: list[str]) -> None:
    for docker in docker_clients:
        accepted, said = stack_check(docker, STACK)
        assert accepted, f"{docker}: {said[:2000]}"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    init: true\n", "    inits: true\n"),
        ("    replicas: 1\n", "    replicaz: 1\n"),
        ("  order: start-first\n", "  order: whenever\n"),
    ],
)
def test_the_check_refuses_a_broken_stack(docker_clients: list[str], old: str, new: str) -> None:
    broken = COMPOSE_DIR / f".stack-broken-{os.getpid()}.yml"
    text = STACK.read_text()
    assert old in text
    broken.write_text(text.replace(old, new, 1))
    try:
        for docker in docker_clients:
            accepted, said = stack_check(docker, broken)
            assert not accepted, f"{docker} accepted {new!r}: {said[:500]}"
    finally:
        broken.unlink()


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(STACK.read_text())
    return loaded


def test_secrets_are_docker_secrets_only(stack: dict[str, Any]) -> None:
    assert set(stack["secrets"]) == {
        "wagateway_postgres_password",
        "wagateway_jwt_secret",
        "wagateway_snapshot_key",
    }
    assert all(s == {"external": True} for s in stack["secrets"].values())
    text = STACK.read_text()
    for name in ("APP_JWT_SECRET:", "APP_SNAPSHOT_KEY:", "POSTGRES_PASSWORD:"):
        assert name not in text, f"{name} given as an environment value"
    for name in APP_SERVICES:
        service = stack["services"][name]
        assert {s["target"] for s in service["secrets"]} == SECRET_TARGETS, name
        assert service["entrypoint"] == ["/usr/local/bin/wagw-secrets"], name
        assert service["command"][:2] == ["python", "-m"], name
    assert stack["configs"]["wagw_secrets"]["file"] == "./swarm-secrets.sh"


def test_health_restart_and_update_policies(stack: dict[str, Any]) -> None:
    for name, service in stack["services"].items():
        assert "condition" in service["deploy"]["restart_policy"], name
        if name != "migrate":
            check = service["healthcheck"]
            assert check["test"][0] in ("CMD", "CMD-SHELL") and check["retries"] >= 3, name
            assert service["deploy"].get("update_config"), name
    assert stack["services"]["migrate"]["deploy"]["restart_policy"]["condition"] == "on-failure"
    gateway = stack["services"]["gateway1"]["deploy"]["update_config"]
    assert (gateway["order"], gateway["failure_action"]) == ("start-first", "rollback")


def test_workers_spread_over_nodes_with_local_profiles(stack: dict[str, Any]) -> None:
    worker = stack["services"]["worker"]
    placement = worker["deploy"]["placement"]
    assert placement["constraints"] == ["node.labels.wagateway.worker == true"]
    assert placement["preferences"] == [{"spread": "node.labels.wagateway.worker.host"}]
    assert placement["max_replicas_per_node"] == "${WORKERS_PER_NODE:-8}"
    assert worker["deploy"]["update_config"]["order"] == "stop-first"  # a profile, one process
    assert worker["stop_grace_period"] == "60s" and worker["init"] is True
    assert worker["volumes"] == [
        "profiles:/var/lib/wagateway/profiles",
        "media:/var/lib/wagateway/media",  # per node: several nodes use APP_MEDIA_BACKEND=s3
    ]
    assert worker["environment"]["APP_MEDIA_DIR"] == "/var/lib/wagateway/media"
    env = worker["environment"]
    assert env["APP_PROFILE_DIR"] == "/var/lib/wagateway/profiles"
    assert env["APP_HOST_LABEL"] == "{{.Node.Hostname}}"
    for name in ("postgres", "redis"):
        constraints = stack["services"][name]["deploy"]["placement"]["constraints"]
        assert constraints == ["node.labels.wagateway.db == true"]


def test_the_app_settings_of_the_stack_exist_and_validate(stack: dict[str, Any]) -> None:
    known = {str(info.validation_alias) for info in Settings.model_fields.values()}
    for name in APP_SERVICES:
        env = stack["services"][name]["environment"]
        names = {key for key in env if key.startswith(("APP_", "WA_"))}
        assert names - known == set(), name
    # what a worker task sees once Swarm renders its templates and the secrets are exported
    env = {
        k: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(v))
        for k, v in stack["services"]["worker"]["environment"].items()
    }
    env["APP_HOST_LABEL"] = "node-2"
    env["APP_WORKER_ID"] = (
        env["APP_WORKER_ID"].replace("{{.Node.Hostname}}", "node-2").replace("{{.Task.Slot}}", "3")
    )
    settings = Settings(**{"APP_JWT_SECRET": "j" * 40, "APP_SNAPSHOT_KEY": "k" * 40, **env})
    assert (settings.worker_id, settings.host_label) == ("node-2-w3", "node-2")
    assert (
        settings.lease_ttl_ms == Settings.model_fields["lease_ttl_ms"].default
        and settings.snapshots
    )


def test_every_nginx_include_is_mounted(stack: dict[str, Any]) -> None:
    nginx = stack["services"]["nginx"]
    mounted = {Path(c["target"]).name for c in nginx["configs"]}
    files = {Path(stack["configs"][c["source"]]["file"]).name for c in nginx["configs"]}
    assert mounted == files
    wanted, todo = set(), ["nginx.conf"]
    while todo:
        name = todo.pop()
        wanted.add(name)
        text = (ROOT / "infra" / "nginx" / name).read_text()
        todo += [n for n in re.findall(r"^\s*include\s+([\w.-]+);", text, re.M) if n not in wanted]
    assert wanted == mounted
    for source in stack["configs"].values():
        assert (COMPOSE_DIR / source["file"]).is_file(), source


def test_every_stack_variable_is_in_env_example() -> None:
    example = (COMPOSE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.M))
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", STACK.read_text()))
    assert used - listed == set()


def test_the_entrypoint_exports_secrets_as_variables(tmp_path: Path) -> None:
    (tmp_path / "APP_JWT_SECRET").write_text("s3cret value")
    (tmp_path / "not-a-name").write_text("x")
    done = subprocess.run(
        ["sh", str(COMPOSE_DIR / "swarm-secrets.sh"), "sh", "-c", 'printf %s "$APP_JWT_SECRET"'],
        env={**os.environ, "SECRETS_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "s3cret value")
    assert "skipping not-a-name" in done.stderr
