"""The chats and messages pages' response bodies, kept per process and dropped by events.

A page is read from Postgres once and served from here until something of its company changes:
every committed change of a chat, a message, its media or a session writes an event, whose
wake-up (``events.decode_hint``) reaches every gateway's relay, which forgets the company's
pages before anything else; a grant changed or a user disabled is announced on the access
channel and forgets them too; a change made through this gateway (any successful request that
is not a GET) forgets them before its answer leaves. An event the feed finds in the log without
a wake-up (its writer died between commit and publish) forgets them when the feed reads it. A
page is kept ``APP_PAGE_CACHE_TTL_S`` at most, which bounds what a change whose wake-up and log
read this gateway both missed could leave behind (a company with no socket on this gateway).

Like the user cache, it is used only while the relay listens: across a gap in the wake-ups
(Redis down, reconnecting) every page is read from Postgres. Each company has a generation,
bumped by every forget: a page read while a change was committed is not kept after the change
was heard of, and a kept page of an older generation is never served.

The key holds the company, the session, the viewer (the manager whose grant the read checked,
or nobody for admins and API keys) and the whole query: a page is served only to a caller for
whom the same read would have been made. ``APP_PAGE_CACHE_ENTRIES=0`` turns it off.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel

from gateway.jsonio import json_response, ok_body
from gateway.keys import PAGE_CACHE, PRINCIPAL


@dataclass(frozen=True, slots=True)
class _Page:
    company_id: UUID
    generation: int
    expires_at: float
    body: bytes


class PageCache:
    def __init__(self, entries: int, ttl_s: float, registry: CollectorRegistry) -> None:
        self.max_entries = entries
        self.ttl_s = ttl_s
        self._pages: OrderedDict[Hashable, _Page] = OrderedDict()  # least recently used first
        self._generations: dict[UUID, int] = {}
        self._trusted = False  # set by the relay while it listens for wake-ups
        self._epoch = 0  # bumped by clear(): generations of every company start over
        counted = Counter(
            "gateway_page_cache_total",
            "Chats and messages pages: served from the cache (hit), read from Postgres (miss),"
            " or read from Postgres because the cache could not be trusted (bypass: the relay"
            " is not listening, or the cache is off)",
            ["result"],
            registry=registry,
        )
        self._hit, self._miss, self._bypass = (counted.labels(r) for r in ("hit", "miss", "bypass"))

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.ttl_s > 0 and self._trusted

    def trust(self, listening: bool) -> None:
        """The relay (un)subscribed: nothing kept across a gap in the wake-ups survives."""
        self._trusted = listening
        self.clear()

    def generation(self, company_id: UUID) -> tuple[int, int]:
        """Taken before a page is read: ``put`` keeps the page only if it is still current."""
        return self._epoch, self._generations.get(company_id, 0)

    def get(self, company_id: UUID, key: Hashable) -> bytes | None:
        if not self.enabled:
            self._bypass.inc()
            return None
        page = self._pages.get(key)
        if page is None:
            self._miss.inc()
            return None
        if (
            page.company_id != company_id  # keys hold the company; this is a second lock
            or page.generation != self._generations.get(company_id, 0)
            or page.expires_at <= time.monotonic()
        ):
            del self._pages[key]
            self._miss.inc()
            return None
        self._pages.move_to_end(key)
        self._hit.inc()
        return page.body

    def put(
        self, company_id: UUID, key: Hashable, generation: tuple[int, int], body: bytes
    ) -> None:
        """Keep a page read while ``generation`` was current (a page read across a change that
        was heard of meanwhile is not kept)."""
        if not self.enabled or generation != self.generation(company_id):
            return
        self._pages[key] = _Page(company_id, generation[1], time.monotonic() + self.ttl_s, body)
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_entries:
            self._pages.popitem(last=False)

    def forget(self, company_id: UUID | None) -> None:
        """Something of this company changed (None: of any company, or of one not known)."""
        if company_id is None:
            self.clear()
            return
        self._generations[company_id] = self._generations.get(company_id, 0) + 1

    def clear(self) -> None:
        self._epoch += 1
        self._generations.clear()
        self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


async def serve_page(
    request: web.Request,
    name: str,
    query: BaseModel,
    read: Callable[[], Awaitable[Any]],
    *path: Hashable,
) -> web.Response:
    """A page's success answer: from the cache, or ``read()`` (the envelope's ``data``, read
    from Postgres; raising for a 404 or 400, which are not kept) and kept. The key is the page,
    the caller (company, user or key) and everything of the request that the read depends on
    (``path``: the path's ids, ``query``: the parsed query)."""
    principal = request[PRINCIPAL]
    cache = request.app[PAGE_CACHE]
    company = principal.tenant
    key = (name, company, principal.user_id, principal.role, *path, *query.__dict__.items())
    body = cache.get(company, key)
    if body is None:
        generation = cache.generation(company)
        body = ok_body(await read())
        cache.put(company, key, generation, body)
    return json_response(body)
