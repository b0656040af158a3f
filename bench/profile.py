"""A py-spy sampling profile of a running process while a load runs against it.

``with Profile(pid, path):`` records collapsed stacks (one ``frame;frame;... count`` line per
stack, what flame graph tools and speedscope read) to ``path``; ``summary()`` then gives the
flame graph's top entries: the functions with the most samples on top of the stack (self) and
anywhere on it (inclusive), as a share of all samples.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

RATE_HZ = 250
TOP = 15
_LINE = re.compile(r":\d+\)$")


def py_spy() -> str | None:
    """py-spy from the venv (a dev dependency) or the PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _function(frame: str) -> str:
    """``handler (gateway/routes/chats.py:80)`` -> ``handler (gateway/routes/chats.py)``."""
    return _LINE.sub(")", frame.strip())


def _short(frame: str) -> str:
    """Site-packages paths cut down to the package, so entries stay readable."""
    frame = re.sub(r"\(/[^()]*?/site-packages/", "(", frame)
    return re.sub(r"\(/[^()]*?/lib/python3\.\d+/", "(", frame)


def top_entries(collapsed: str, top: int = TOP) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's raw (collapsed) output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        count = int(count_s)
        frames = [_short(_function(f)) for f in stack.split(";")[1:]]  # [0]: the process
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": name, "pct": round(100 * n / total, 1)}
            for name, n in counter.most_common(top)
        ]

    return {"samples": total, "self": share(own), "inclusive": share(inclusive)}


class Profile:
    def __init__(self, pid: int, path: Path, rate_hz: int = RATE_HZ) -> None:
        self.pid = pid
        self.path = path
        self.rate_hz = rate_hz
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profile:
        binary = py_spy()
        if binary is None:
            raise RuntimeError("py-spy is not installed (pip install -e '.[dev]')")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(self.pid),
                "--rate",
                str(self.rate_hz),
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(self.path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)  # attached before the load starts
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGINT)  # py-spy writes its output and exits
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def summary(self) -> dict[str, Any]:
        text = self.path.read_text() if self.path.exists() else ""
        return {"file": str(self.path), **top_entries(text)}
