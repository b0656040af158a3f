"""Row headers in 12 h and 24 h, D/M and M/D, decided from the locale and the values seen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from worker.browser.times import DateOrder, TimeReader


def _at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "pre", "when", "sender"),
    [
        ("en-US", "[8:19 PM, 6/13/2026] Dana: ", _at(2026, 6, 13, 20, 19), "Dana"),
        ("en-US", "[8:19\u202fPM, 6/3/2026] Dana: ", _at(2026, 6, 3, 20, 19), "Dana"),
        (
            "en-US",
            "[12:05 AM, 1/2/2026] +1 555-000-1111: ",
            _at(2026, 1, 2, 0, 5),
            "+1 555-000-1111",
        ),
        ("en-US", "[12:05 PM, 1/2/2026] Me: ", _at(2026, 1, 2, 12, 5), "Me"),
        ("en-GB", "[13:52, 22/03/2026] Борис: ", _at(2026, 3, 22, 13, 52), "Борис"),
        ("en-GB", "[09:07, 03/04/2026] A: B: ", _at(2026, 4, 3, 9, 7), "A: B"),
        ("ru-RU", "[13:52, 22.03.2026] Борис: ", _at(2026, 3, 22, 13, 52), "Борис"),
        ("ru-RU", "[13:52, 22/03/26] X: ", _at(2026, 3, 22, 13, 52), "X"),
        # the value decides against the locale: 13 can only be a day
        ("en-GB", "[8:19 pm, 6/13/2026] Dana: ", _at(2026, 6, 13, 20, 19), "Dana"),
        ("en-US", "[13:52, 22/03/2026] Dana: ", _at(2026, 3, 22, 13, 52), "Dana"),
    ],
)
def test_reads_every_locale(locale: str, pre: str, when: datetime, sender: str) -> None:
    got = TimeReader(locale).read(pre)
    assert (got.timestamp, got.sender) == (when, sender)


def test_ambiguous_dates_follow_the_locale_until_a_value_decides() -> None:
    us = TimeReader("en-US")
    assert us.read("[10:00 AM, 3/4/2026] A: ").timestamp == _at(2026, 3, 4, 10, 0)
    assert us.read("[10:00, 22/4/2026] A: ").timestamp == _at(2026, 4, 22, 10, 0)
    assert us.order is DateOrder.DMY  # seen: the day comes first on this page
    assert us.read("[10:00, 3/4/2026] A: ").timestamp == _at(2026, 4, 3, 10, 0)

    gb = TimeReader("en-GB")
    assert gb.read("[10:00, 3/4/2026] A: ").timestamp == _at(2026, 4, 3, 10, 0)
    gb.read("[10:00, 4/22/2026] A: ")
    assert gb.read("[10:00, 3/4/2026] A: ").timestamp == _at(2026, 3, 4, 10, 0)


def test_a_24_hour_clock_on_a_month_first_page_is_read_day_first() -> None:
    """The legacy page writes D/M/YYYY and a 24-hour clock whatever the locale: on the 1st to
    the 12th of a month nothing in the date says which part is the day."""
    us = TimeReader("en-US")
    assert us.read("[00:51, 1/12/2026] Tim: ").timestamp == _at(2026, 12, 1, 0, 51)
    assert us.read("[12:51 AM, 12/1/2026] Tim: ").timestamp == _at(2026, 12, 1, 0, 51)
    assert us.order is DateOrder.MDY  # nothing decided: the locale's order stays
    us.read("[9:00 AM, 6/13/2026] A: ")  # decided: month first, whatever the clock
    assert us.read("[00:51, 1/12/2026] Tim: ").timestamp == _at(2026, 1, 12, 0, 51)


def test_page_time_zone_is_made_utc() -> None:
    # a page at UTC+3 reports getTimezoneOffset() == -180
    got = TimeReader("ru-RU").read("[01:30, 22/03/2026] A: ", utc_offset_min=-180)
    assert got.timestamp == _at(2026, 3, 21, 22, 30)


@pytest.mark.parametrize(
    "pre",
    [
        "[25:00, 1/2/2026] A: ",
        "[13:00 PM, 1/2/2026] A: ",
        "[10:00, 31/31/2026] A: ",
        "[10:00, 30/2/2026] A: ",
        "[yesterday] A: ",
        "[10:00] A: ",
    ],
)
def test_an_unreadable_time_keeps_the_sender(pre: str) -> None:
    got = TimeReader("en-US").read(pre)
    assert got.timestamp is None and got.sender == "A"


def test_no_header_at_all() -> None:
    got = TimeReader("en-US").read("")
    assert (got.timestamp, got.sender) == (None, None)
