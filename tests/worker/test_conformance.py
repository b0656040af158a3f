"""Conformance with the installed wa-js: every ``WPP`` function, event and field the in-page code
uses (the worker's module bridge, the simulator's stand-in) type-checks against wa-js's own
declarations; a misspelt call turns the check red."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TSC = ROOT / "node_modules" / ".bin" / "tsc"
BRIDGE_JS = ROOT / "worker" / "browser" / "js" / "module" / "bridge.js"


def _tsc(project: Path) -> subprocess.CompletedProcess[str]:
    if not TSC.exists():
        pytest.fail(f"{TSC} is missing: run `make setup` (npm ci installs TypeScript and wa-js)")
    return subprocess.run(
        [str(TSC), "-p", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def test_in_page_code_conforms_to_the_wa_js_declarations() -> None:
    result = _tsc(ROOT / "tsconfig.json")
    assert result.returncode == 0, f"tsc found drift from wa-js:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize(
    ("good", "bad", "code"),
    [
        ("chat.sendTextMessage(", "chat.sendTextMesage(", "TS2551"),  # a function
        ("'chat.msg_ack_change'", "'chat.msg_ack_changed'", "TS2345"),  # an event
        ("code.fullCode", "code.qrCode", "TS2339"),  # a field of a payload
    ],
)
def test_a_misspelt_wpp_use_turns_the_check_red(
    tmp_path: Path, good: str, bad: str, code: str
) -> None:
    source = BRIDGE_JS.read_text()
    assert good in source
    (tmp_path / "bridge.js").write_text(source.replace(good, bad))
    config = {"extends": str(ROOT / "tsconfig.json"), "include": ["bridge.js"]}
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    result = _tsc(tmp_path / "tsconfig.json")
    assert result.returncode != 0 and code in result.stdout, result.stdout
