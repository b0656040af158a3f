"""Render the repo's nginx config for this machine (render-local.sh) and run a real nginx on it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.procs import ROOT, free_port

NGINX_DIR = ROOT / "infra" / "nginx"
RENDER = NGINX_DIR / "render-local.sh"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )


def make_prefix() -> Path:
    """A temp dir nginx's workers (``nobody`` when the master is root) can traverse."""
    prefix = Path(tempfile.mkdtemp(prefix="wagw-nginx-"))
    prefix.chmod(0o755)
    return prefix


def render(
    out: Path,
    listen_port: int,
    gateway_ports: list[int],
    *,
    cert_dir: Path | None = None,
    https_port: int | None = None,
) -> Path:
    """Run render-local.sh; returns the main config file it wrote."""
    args = ["bash", str(RENDER), "-o", str(out)]
    if cert_dir is not None and https_port is not None:
        args += ["-t", str(cert_dir), "-s", str(https_port)]
    args += [str(listen_port), *(str(p) for p in gateway_ports)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    main = out / ("nginx-tls.conf" if cert_dir is not None else "nginx.conf")
    assert f"-c {main}" in done.stdout, done.stdout
    return main


def config_test(binary: str, prefix: Path, conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, "-t", "-p", str(prefix), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def self_signed_cert(directory: Path) -> None:
    """A throwaway certificate as nginx-tls.conf expects it: fullchain.pem + privkey.pem."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(directory / "privkey.pem"),
            "-out",
            str(directory / "fullchain.pem"),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # field 4 (after the parenthesised command name) is the parent pid
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Nginx:
    """A foreground nginx (its own process group) on a rendered config; ``stop()`` leaves none."""

    def __init__(self, binary: str, prefix: Path, conf: Path, port: int) -> None:
        self.prefix = prefix
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = (prefix / "nginx.out").open("wb")
        self.popen = subprocess.Popen(
            [
                binary,
                "-p",
                str(prefix),
                "-e",
                str(prefix / "logs" / "error.log"),
                "-c",
                str(conf),
                "-g",
                "daemon off;",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers: list[int] = []
        self._wait_listening()

    def _wait_listening(self, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"nginx exited at start:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    self.workers = _children(self.popen.pid)
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on {self.port}:\n{self.output()}")

    def output(self) -> str:
        parts = []
        for name in ("nginx.out", "logs/error.log"):
            path = self.prefix / name
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def access_log(self) -> str:
        path = self.prefix / "logs" / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logged(self, text: str, timeout_s: float = 5.0) -> bool:
        """Whether ``text`` shows up in the access log; nginx writes a request's line only after
        the response went out, so a client that has its answer may look a moment too early."""
        deadline = time.monotonic() + timeout_s
        while text not in self.access_log():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        """TERM (fast shutdown), then KILL the group; the master and every worker are gone after."""
        pids = [self.popen.pid, *self.workers, *_children(self.popen.pid)]
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        if any(_alive(p) for p in pids):
            # only nginx's own process group (start_new_session): never anything else
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        self._log.close()

    def leftovers(self) -> list[int]:
        return [p for p in [self.popen.pid, *self.workers] if _alive(p)]


__all__ = [
    "NGINX_DIR",
    "Nginx",
    "config_test",
    "free_port",
    "make_prefix",
    "nginx_binary",
    "render",
    "self_signed_cert",
]


def start_nginx(binary: str, prefix: Path, gateway_ports: list[int]) -> Nginx:
    """nginx on a free port with the repo's config and these gateways as its upstream."""
    port = free_port()
    conf = render(prefix, port, gateway_ports)
    return Nginx(binary, prefix, conf, port)
