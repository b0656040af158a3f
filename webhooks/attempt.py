"""One delivery attempt: the signed POST of one event to one webhook, and what it leaves the
delivery as (delivered; pending with its next attempt; or dead)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import aiohttp

from shared import events
from shared.db.repos.deliveries import Outcome, Queued
from shared.db.types import Webhook
from shared.resolver import refused_in
from shared.settings import Settings
from shared.urlpolicy import UrlRefused, is_public, literal_ip, parse
from webhooks import backoff, signing

MAX_RESPONSE_READ = 64 * 1024  # a receiver's answer is read this far, then dropped
MAX_ERROR = 200


@dataclass(frozen=True, slots=True)
class Target:
    """A webhook as the sender knows it now; ``refusal``: why its URL may not be called."""

    id: UUID
    url: str
    secret: str
    enabled: bool
    refusal: str | None = None

    @classmethod
    def of(cls, row: Webhook, *, allow_private: bool) -> Target:
        return cls(row.id, row.url, row.secret, row.enabled, _refusal(row.url, allow_private))


def body_of(payload: dict[str, object], event_id: int) -> bytes:
    """The event as receivers get it: the wire event with its ``eventId`` (the same bytes on
    every attempt)."""
    return events.encode(events.from_log(payload, event_id)).encode()


def _refusal(url: str, allow_private: bool) -> str | None:
    """Why this URL may not be called now (its syntax, or a literal non-public address)."""
    try:
        host, _ = parse(url)
    except UrlRefused as exc:
        return f"refused: {exc}"
    ip = literal_ip(host)
    if not allow_private and ip is not None and not is_public(ip):
        return f"refused: {ip} is not a public address (APP_WEBHOOK_ALLOW_PRIVATE)"
    return None


async def attempt(
    http: aiohttp.ClientSession, settings: Settings, target: Target, queued: Queued
) -> Outcome:
    d = queued.delivery
    number = d.attempts + 1
    now = datetime.now(UTC)

    def finished(status: str, code: int | None, latency: int, error: str | None) -> Outcome:
        nxt = None
        if status == "pending":
            nxt = backoff.next_attempt(
                now,
                attempt=number,
                since=d.created_at,
                retry_for_s=settings.webhook_retry_for_s,
                base_s=settings.webhook_backoff_base_s,
                max_s=settings.webhook_backoff_max_s,
            )
            status = "pending" if nxt is not None else "dead"
        text = error[:MAX_ERROR] if error else None
        return Outcome(d.id, number, now, code, latency, text, status, nxt)

    if queued.payload is None:
        return finished("dead", None, 0, "the event is no longer in the log (pruned)")
    if target.refusal is not None:
        return finished("dead", None, 0, target.refusal)
    body = body_of(queued.payload, d.event_id)
    headers = signing.headers(
        secret=target.secret,
        timestamp=int(now.timestamp()),
        body=body,
        event_type=d.event_type,
        event_id=d.event_id,
        delivery_id=d.id,
        attempt=number,
    )
    started = time.perf_counter()
    try:
        async with http.post(target.url, data=body, headers=headers, allow_redirects=False) as resp:
            await resp.content.read(MAX_RESPONSE_READ)
            code = resp.status
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        latency = round((time.perf_counter() - started) * 1000)
        refused = refused_in(exc)
        if refused is not None:
            return finished("dead", None, latency, f"refused: {refused}")
        return finished("pending", None, latency, f"{type(exc).__name__}: {exc}".strip())
    latency = round((time.perf_counter() - started) * 1000)
    if 200 <= code < 300:
        return finished("delivered", code, latency, None)
    return finished("pending", code, latency, f"HTTP {code}")
