"""Bench history: each run kept under its time and commit, compared with the one before."""

from __future__ import annotations

import json
from pathlib import Path

from bench import history


def _checks(rps: float, qr: float) -> dict[str, object]:
    return {
        "module": {
            "chats_rps": {"value": rps, "target": 1300, "ok": rps >= 1300},
            "create_to_first_qr_p50_ms": {"value": qr, "target": 1000, "ok": qr <= 1000},
            "missing": {"value": None, "target": 1, "ok": False},
        }
    }


def test_a_run_is_kept_and_compared_with_the_previous(tmp_path: Path) -> None:
    older = tmp_path / "2026-01-01T000000Z-aaaa.json"
    older.write_text(json.dumps({"checks": _checks(1000, 900)}))
    newer = tmp_path / "2026-01-02T000000Z-bbbb.json"
    newer.write_text(json.dumps({"checks": _checks(1200, 800)}))

    path, text = history.record({"checks": _checks(1500, 1000)}, tmp_path)

    assert path.name.endswith(".json") and path.name > newer.name
    kept = json.loads(path.read_text())
    assert kept["history"]["previous"] == newer.name
    assert json.loads((tmp_path / "latest.json").read_text()) == kept
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines()[2:]}
    assert lines["module.chats_rps"] == ["1500", "1200", "+25.0%"]
    assert lines["module.create_to_first_qr_p50_ms"] == ["1000", "800", "+25.0%"]
    assert "module.missing" not in lines  # no value this run: nothing to compare
    assert newer.name in text.splitlines()[0]


def test_the_first_run_has_nothing_to_compare(tmp_path: Path) -> None:
    (tmp_path / "latest.json").write_text("{}")  # not a run of its own

    path, text = history.record({"checks": _checks(1500, 1000)}, tmp_path)

    assert json.loads(path.read_text())["history"]["previous"] is None
    assert "(none)" in text.splitlines()[0]
    assert text.splitlines()[2].split()[1:] == ["1500", "-", "-"]


def test_run_names_sort_by_time_and_carry_the_commit() -> None:
    assert history.run_name(0, "abc123") == "1970-01-01T000000Z-abc123.json"
    assert history.run_name(86400, "x") > history.run_name(0, "y")


def test_checks_hold_rates_at_least_and_the_rest_at_most() -> None:
    from bench.__main__ import _holds

    assert _holds("chats_rps", 1400, 1300) and not _holds("chats_rps", 1200, 1300)
    assert _holds("chats_vs_bare_ratio", 0.6, 0.5)
    assert _holds("webhook_events_per_s", 1100, 1000) and not _holds(
        "webhook_events_per_s", 370, 1000
    )
    assert _holds("sessions_per_gb", 6.8, 3.4)
    assert _holds("chromium_pss_mb", 250, 300) and not _holds("chromium_pss_mb", 350, 300)
    assert not _holds("chats_rps", None, 1300)
