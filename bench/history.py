"""Bench history: every run of ``make bench`` is kept as ``bench/results/<date>-<commit>.json``
and each figure is printed next to the previous run's (the newest file before this one)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

RESULTS = Path("bench/results")
_PREFIX_LEN = len("2026-01-31T235959Z")


def _commit() -> str:
    """The short commit of the working tree, ``-dirty`` when it has uncommitted changes."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "nogit"
    return f"{sha}-dirty" if dirty else sha


def run_name(now: float | None = None, commit: str | None = None) -> str:
    stamp = time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{commit or _commit()}.json"


def previous(directory: Path, before: str) -> Path | None:
    """The newest run file whose name sorts before ``before`` (names start with the UTC time)."""
    runs = sorted(
        p
        for p in directory.glob("*.json")
        if p.name != "latest.json" and p.name[:_PREFIX_LEN] < before[:_PREFIX_LEN]
    )
    return runs[-1] if runs else None


def flat(figures: dict[str, Any]) -> dict[str, float]:
    """``{bridge: {name: {"value": v, ...}}}`` (the summary's ``checks``) as ``bridge.name``."""
    out: dict[str, float] = {}
    for bridge, named in figures.items():
        if not isinstance(named, dict):
            continue
        for name, check in named.items():
            value = check.get("value") if isinstance(check, dict) else check
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[f"{bridge}.{name}"] = float(value)
    return out


def compare(now: dict[str, float], before: dict[str, float]) -> list[dict[str, Any]]:
    """Per figure of this run: its value, the previous run's and the change in percent."""
    rows: list[dict[str, Any]] = []
    for name, value in now.items():
        prev = before.get(name)
        change = None
        if prev not in (None, 0.0):
            assert prev is not None
            change = round((value - prev) / abs(prev) * 100, 1)
        rows.append({"figure": name, "now": value, "previous": prev, "change_pct": change})
    return rows


def table(rows: list[dict[str, Any]], previous_name: str | None) -> str:
    """The comparison as aligned text, for people reading the bench's output."""
    head = f"figures vs previous run ({previous_name or 'none'})"
    width = max((len(r["figure"]) for r in rows), default=10)
    lines = [head, f"{'figure':<{width}}  {'now':>10}  {'previous':>10}  {'change':>8}"]
    for r in rows:
        prev = "-" if r["previous"] is None else f"{r['previous']:g}"
        change = "-" if r["change_pct"] is None else f"{r['change_pct']:+.1f}%"
        lines.append(f"{r['figure']:<{width}}  {r['now']:>10g}  {prev:>10}  {change:>8}")
    return "\n".join(lines)


def record(results: dict[str, Any], directory: Path = RESULTS) -> tuple[Path, str]:
    """Write this run (and ``latest.json``) and return its path and the comparison table."""
    directory.mkdir(parents=True, exist_ok=True)
    name = run_name()
    path = directory / name
    prev_path = previous(directory, name)
    before: dict[str, float] = {}
    if prev_path is not None:
        try:
            before = flat(json.loads(prev_path.read_text()).get("checks", {}))
        except (OSError, ValueError):
            prev_path = None
    rows = compare(flat(results.get("checks", {})), before)
    results = {**results, "history": {"previous": prev_path.name if prev_path else None}}
    text = json.dumps(results, indent=2)
    path.write_text(text)
    (directory / "latest.json").write_text(text)
    return path, table(rows, prev_path.name if prev_path else None)
