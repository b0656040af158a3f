"""Every ``data-id`` form of a message row reduces to WhatsApp's bare id (pure, no browser)."""

from __future__ import annotations

import pytest

from shared.jids import normalize_jid
from worker.browser.rowid import RowId, parse_row_id


@pytest.mark.parametrize(
    ("data_id", "want"),
    [
        ("3EB0A1B2C3D4E5F60718", RowId("3EB0A1B2C3D4E5F60718")),
        ("3A4689CE0123456789AB", RowId("3A4689CE0123456789AB")),
        ("AC5F0123456789ABCDEF0123456789AB", RowId("AC5F0123456789ABCDEF0123456789AB")),
        (
            "wamid.HBgLMTU1NTAwMDExMTEVAgASGBQzQTRG-_x=",
            RowId("wamid.HBgLMTU1NTAwMDExMTEVAgASGBQzQTRG-_x="),
        ),
        ("3eb0abcdef_lower", RowId("3eb0abcdef_lower")),
        (
            "true_15550001111@c.us_3EB0A1B2C3D4E5F60718",
            RowId("3EB0A1B2C3D4E5F60718", True, "15550001111@c.us"),
        ),
        (
            "false_15550001111@s.whatsapp.net_3A4689CE",
            RowId("3A4689CE", False, "15550001111@c.us"),
        ),
        (
            "false_123456789012345@lid_AC5F0123",
            RowId("AC5F0123", False, "123456789012345@lid"),
        ),
        (
            "false_120363012345678901@g.us_3A4689CE_15550002222@c.us",
            RowId("3A4689CE", False, "120363012345678901@g.us", "15550002222@c.us"),
        ),
        (
            "false_15550001111-1600000000@g.us_3A4689CE_123456789012345@lid",
            RowId("3A4689CE", False, "15550001111-1600000000@g.us", "123456789012345@lid"),
        ),
    ],
)
def test_every_form_gives_the_bare_id(data_id: str, want: RowId) -> None:
    assert parse_row_id(data_id) == want


@pytest.mark.parametrize("data_id", [None, "", "   ", "abc", "has a space", "x" * 300])
def test_what_is_not_an_id_is_refused(data_id: str | None) -> None:
    assert parse_row_id(data_id) is None


def test_phone_ids_have_one_spelling() -> None:
    assert normalize_jid("79035556677@s.whatsapp.net") == "79035556677@c.us"
    assert normalize_jid("79035556677@c.us") == "79035556677@c.us"
    assert normalize_jid("123456789012345@lid") == "123456789012345@lid"
