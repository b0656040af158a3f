"""When a failed delivery is tried again: exponential backoff with jitter, until the retry
window after its event has passed; then it is dead-lettered."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def delay_s(attempt: int, *, base_s: float, max_s: float) -> float:
    """After the ``attempt``-th failure: base, 2 x base, 4 x base... capped at ``max_s``, each
    drawn between half and all of it (retries of many deliveries spread out)."""
    full = min(base_s * 2.0 ** min(attempt - 1, 62), max_s)
    return full * random.uniform(0.5, 1.0)


def next_attempt(
    now: datetime, *, attempt: int, since: datetime, retry_for_s: float, base_s: float, max_s: float
) -> datetime | None:
    """The time of the next attempt, or None when it would fall past the retry window that
    started at ``since`` (the delivery is dead then)."""
    at = now + timedelta(seconds=delay_s(attempt, base_s=base_s, max_s=max_s))
    if at > since + timedelta(seconds=retry_for_s):
        return None
    return at
