"""When and from whom a row says its message was sent: ``data-pre-plain-text`` in any locale.

``[8:19 PM, 6/13/2026] Name: `` (en-US: 12 h, M/D/YYYY) or ``[13:52, 22/03/2026] Name: `` (en-GB,
ru-RU: 24 h, DD/MM/YYYY). Day/month order: the browser's locale says it until a part > 12 shows
which is the day; a reader remembers what it has seen. A month-first locale's dates come with a
12-hour clock: a row with a 24-hour clock on such a page is formatted some other way (the
legacy page: ``[00:51, 1/12/2026]``, day first whatever the locale), so while nothing decided
the order, its date is read day first. Pure: no page, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

# locales whose short dates put the month first (WhatsApp Web follows the browser's locale)
MONTH_FIRST_LOCALES = frozenset({"en-US", "es-US", "en-PH"})

_PRE = re.compile(r"^\s*\[([^\]]+)\]\s*(.*?)\s*:\s*$", re.S)
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.]\d{2})?\s*([AaPp])?\.?\s*(?:[Mm]\.?)?$")
_DATE = re.compile(r"^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})\.?$")


class DateOrder(StrEnum):
    DMY = "D/M/Y"
    MDY = "M/D/Y"


@dataclass(frozen=True)
class PrePlain:
    timestamp: datetime | None  # UTC; None when the header was there but its time unreadable
    sender: str | None


def default_order(locale: str) -> DateOrder:
    return DateOrder.MDY if locale in MONTH_FIRST_LOCALES else DateOrder.DMY


def _clock(text: str) -> tuple[int, int, bool] | None:
    """Hours, minutes, and whether the clock was a 12-hour one (AM/PM)."""
    m = _TIME.match(text.strip())
    if not m:
        return None
    hh, mm, half = int(m.group(1)), int(m.group(2)), (m.group(3) or "").lower()
    if half:
        if not 1 <= hh <= 12:
            return None
        hh = hh % 12 + (12 if half == "p" else 0)
    if hh > 23 or mm > 59:
        return None
    return hh, mm, bool(half)


class TimeReader:
    """Reads row headers of one page; remembers the day/month order once a value decides it."""

    def __init__(self, locale: str) -> None:
        self.order = default_order(locale)
        self._decided = False  # a part > 12 showed which is the day

    def _date(self, text: str, twelve_hour: bool) -> tuple[int, int, int] | None:
        m = _DATE.match(text.strip())
        if not m:
            return None
        a, b, c = (int(g) for g in m.groups())
        if len(m.group(1)) == 4:  # ISO-like Y-M-D
            return a, b, c
        year = c + 2000 if c < 100 else c
        if a > 12 >= b:
            self.order, self._decided = DateOrder.DMY, True
        elif b > 12 >= a:
            self.order, self._decided = DateOrder.MDY, True
        order = self.order
        if order is DateOrder.MDY and not self._decided and not twelve_hour:
            order = DateOrder.DMY  # not the locale's month-first format (see above)
        day, month = (a, b) if order is DateOrder.DMY else (b, a)
        return year, month, day

    def read(self, pre: str | None, utc_offset_min: int = 0) -> PrePlain:
        """``utc_offset_min`` is the page's ``Date.getTimezoneOffset()`` (UTC = local + offset)."""
        m = _PRE.match(pre or "")
        if not m:
            return PrePlain(timestamp=None, sender=None)
        stamp, sender = m.group(1), m.group(2) or None
        clock: tuple[int, int, bool] | None = None
        dated: str | None = None
        for part in (p.strip() for p in stamp.split(",")):
            if _DATE.match(part):
                dated = dated or part
            else:
                clock = clock or _clock(part)
        date = self._date(dated, clock[2]) if clock is not None and dated is not None else None
        if clock is None or date is None:
            return PrePlain(timestamp=None, sender=sender)
        try:
            local = datetime(*date, *clock[:2])  # the page's wall clock; made UTC below
        except ValueError:
            return PrePlain(timestamp=None, sender=sender)
        return PrePlain(
            timestamp=(local + timedelta(minutes=utc_offset_min)).replace(tzinfo=UTC),
            sender=sender,
        )
