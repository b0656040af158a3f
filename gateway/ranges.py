"""HTTP byte ranges (RFC 9110 §14) for media downloads: one range per request.

A single ``bytes=`` range is served as 206; anything else the header may say (several ranges,
another unit) is ignored and the whole file is sent. A range that cannot be satisfied, or a
malformed ``bytes=`` range, is 416 with ``Content-Range: bytes */<size>``.
"""

from __future__ import annotations

import re

from gateway.errors import RangeNotSatisfiable

_ONE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


def _refuse(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        "Range: not satisfiable for this file",
        details={"size": size},
        headers={"Content-Range": f"bytes */{size}"},
    )


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive, or None for the whole file."""
    if header is None:
        return None
    value = header.replace(" ", "")
    if not value.startswith("bytes=") or "," in value:
        return None
    match = _ONE.match(value)
    if match is None:
        raise _refuse(size)
    first, last = match.group(1), match.group(2)
    if not first:  # the last N bytes
        if not last or int(last) == 0 or size == 0:
            raise _refuse(size)
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = size - 1 if not last else min(int(last), size - 1)
    if start >= size or (last and int(last) < start):
        raise _refuse(size)
    return start, end
