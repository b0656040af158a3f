"""The open chat's ids come from its context, in order, never from a row alone (pure)."""

from __future__ import annotations

from worker.browser.chat_ids import from_context, page_ids, title_phone
from worker.browser.observed import ChatRef

PN = "79035556677@c.us"
LID = "123456789012345@lid"


def _chat(wa_chat_id: str, *, phone_jid: str | None = None, lid: str | None = None) -> ChatRef:
    return ChatRef(wa_chat_id, phone_jid, lid, wa_chat_id.endswith("@g.us"), "Ann")


def test_titles_that_are_numbers() -> None:
    assert title_phone("+1 555-000-1111") == "15550001111"
    assert title_phone("+7 903 555-66-77") == "79035556677"
    assert title_phone("Ann") is None
    assert title_phone("+1 555") is None
    assert title_phone("Team 2024") is None


def test_a_deep_link_says_the_phone_first() -> None:
    ids = from_context("Ann", opened_phone="79035556677", hints=[LID])
    assert ids == ChatRef(wa_chat_id=PN, phone_jid=PN, lid=LID, name="Ann")


def test_the_stored_chat_of_that_name_comes_next() -> None:
    ids = from_context("Ann", stored=_chat(LID, lid=LID, phone_jid=PN))
    assert ids == ChatRef(wa_chat_id=LID, phone_jid=PN, lid=LID, name="Ann")


def test_legacy_rows_then_a_numeric_title_then_the_drawer() -> None:
    ann = ChatRef(PN, PN, name="Ann")
    assert from_context("Ann", hints=["79035556677@s.whatsapp.net"]) == ann
    assert from_context("+7 903 555-66-77") == ChatRef(PN, PN, name="+7 903 555-66-77")
    assert from_context("Ann", info_phone="79035556677") == ann
    assert from_context("Ann") is None


def test_groups_keep_their_group_id() -> None:
    gid = "120363012345678901@g.us"
    ids = from_context("Team", hints=[gid])
    assert ids == ChatRef(wa_chat_id=gid, is_group=True, name="Team")
    assert from_context("Team", info_group=True) is None  # no id at all: a page-only one
    assert page_ids("Team", is_group=True).is_group


def test_a_page_only_id_is_stable_per_title() -> None:
    one, two = page_ids("Ann"), page_ids("Ann")
    assert one == two and one.page_only and one.wa_chat_id.startswith("page:")
    assert len(one.wa_chat_id) == len("page:") + 16
    assert page_ids("Bob") != one
