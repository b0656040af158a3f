"""Byte ranges: one range served, the rest of what a Range header may say ignored, the
unsatisfiable refused with the size."""

from __future__ import annotations

import pytest

from gateway.errors import RangeNotSatisfiable
from gateway.ranges import byte_range


@pytest.mark.parametrize(
    "header,size,expected",
    [
        (None, 10, None),
        ("bytes=0-0", 1, (0, 0)),
        ("bytes=2-", 10, (2, 9)),
        ("bytes=2-100", 10, (2, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-50", 10, (0, 9)),
        ("bytes = 1 - 2", 10, (1, 2)),
        ("bytes=0-1,4-5", 10, None),  # several ranges: the whole file
        ("items=0-1", 10, None),  # another unit
    ],
)
def test_ranges(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, size) == expected


@pytest.mark.parametrize(
    "header", ["bytes=10-", "bytes=5-4", "bytes=-0", "bytes=-", "bytes=a-b", "bytes=1-2-3"]
)
def test_unsatisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as err:
        byte_range(header, 10)
    assert err.value.headers == {"Content-Range": "bytes */10"}
