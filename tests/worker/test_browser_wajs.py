"""Which wa-js build is injected: the one package-lock.json pins, or APP_WAJS_PATH; a missing or
wrong file is a clear error naming the path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import Settings
from worker.browser.wajs import BUNDLED, WajsMissing, sources, wajs_path

ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_build_is_found_and_goes_between_its_config_and_the_bridge(
    settings: Settings,
) -> None:
    assert wajs_path(settings) == ROOT / BUNDLED
    config, wajs, bridge = sources(settings)
    assert "WPPConfig" in config and "window.__wagw" in bridge
    assert "4.6.0" in wajs and len(wajs) > 100_000


def test_an_operator_build_replaces_it(settings: Settings, tmp_path: Path) -> None:
    newer = tmp_path / "wppconnect-wa.js"
    newer.write_text("/* a newer build */ window.WPP = {};")
    chosen = settings.model_copy(update={"wajs_path": str(newer)})
    assert sources(chosen)[1] == newer.read_text()
    newer.write_text("/* replaced in place */ window.WPP = {};")
    assert "replaced in place" in sources(chosen)[1]  # read again after a change


@pytest.mark.parametrize("content", [None, "console.log('not wa-js')"])
def test_a_missing_or_wrong_file_says_what_to_do(
    settings: Settings, tmp_path: Path, content: str | None
) -> None:
    path = tmp_path / "wa.js"
    if content is not None:
        path.write_text(content)
    with pytest.raises(WajsMissing) as err:
        sources(settings.model_copy(update={"wajs_path": str(path)}))
    assert str(path) in str(err.value) and err.value.reason == "bridge_unavailable"
