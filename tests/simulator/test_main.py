"""``python -m simulator`` starts a server that answers on the given port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_module_runs_with_timing_and_profile_flags() -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "simulator", "--port", str(port), "--qr-first-ms", "1234",
           "--page-profile", "legacy", "--locale", "ru-RU", "--bridge", "off"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/health", timeout=1) as r:
                    assert json.loads(r.read())["status"] == "ok"
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
                assert time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/config", timeout=5) as r:
            config = json.loads(r.read())
        assert (config["qrFirstMs"], config["qrCount"]) == (1234, 6)
        assert (config["pageProfile"], config["locale"]) == ("legacy", "ru-RU")
        assert config["bridge"] == "off"
    finally:
        proc.terminate()
        proc.wait(10)
