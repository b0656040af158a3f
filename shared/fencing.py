"""Fencing tokens: what a lease grant carries, and how Postgres says a write came too late.

A grant bumps ``wa_sessions.fence`` from one sequence (``sessions.worker_grant``); the worker's
connections for that session carry ``<session id>:<token>`` in the ``app.fence`` setting and a
trigger (migration 0010) refuses their writes once a later grant exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import psycopg

FENCE_SETTING = "app.fence"
STALE_SQLSTATE = "WAF01"


@dataclass(frozen=True, slots=True)
class Fence:
    """One grant of one session's lease."""

    session_id: UUID
    token: int

    def setting(self) -> str:
        return f"{self.session_id}:{self.token}"

    def connect_options(self) -> str:
        """libpq ``options``: the setting is on the connection from its first statement."""
        return f"-c {FENCE_SETTING}={self.setting()}"


class StaleFence(Exception):
    """Postgres refused a write: a later grant of the session's lease exists."""

    def __init__(self, fence: Fence, detail: str) -> None:
        super().__init__(f"session={fence.session_id} token={fence.token} refused: {detail}")
        self.fence = fence


def is_stale(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.Error) and exc.sqlstate == STALE_SQLSTATE
