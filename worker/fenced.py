"""The connections a worker writes a session through while it holds that session's lease.

A small pool whose every connection carries the grant's fencing token (``app.fence``): Postgres
refuses its writes once another worker has been granted the lease. A refusal raises ``StaleFence``
out of ``connection()``, after ``on_refused`` has been told (the process counts it, logs it once
and drops the session).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from shared.db.pool import CONNECT_TIMEOUT_S
from shared.fencing import Fence, StaleFence, is_stale

log = logging.getLogger(__name__)


class FencedPool(AsyncConnectionPool):  # typed as the pools the Publisher takes
    def __init__(
        self, dsn: str, *, fence: Fence, on_refused: Callable[[StaleFence], None], max_size: int = 3
    ) -> None:
        kwargs: dict[str, Any] = {
            "row_factory": dict_row,
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": fence.connect_options(),
        }
        super().__init__(
            dsn,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs=kwargs,
            timeout=3.0,
            name=f"fenced:{fence.session_id}",
        )
        self.fence = fence
        self._on_refused = on_refused

    @asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[AsyncConnection[Any]]:
        try:
            async with super().connection(timeout) as conn:
                yield conn
        except Exception as exc:
            if not is_stale(exc):
                raise
            stale = StaleFence(self.fence, str(exc).splitlines()[0])
            self._on_refused(stale)
            raise stale from exc
