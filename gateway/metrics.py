"""Prometheus metrics: per-app registry, HTTP request counts and latencies by route, the
deployment-wide counters workers keep in Redis (page drift, media downloads, snapshot failures),
free and busy workers per host, and writes refused by fencing (read from Redis and Postgres at each
scrape)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from gateway.keys import HTTP_METRICS
from shared.fleet import Fleet

MAX_KIND_CHARS = 64


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "gateway_http_requests_total",
            "HTTP requests handled",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "gateway_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        # the labelled children, looked up once: ``labels()`` takes a lock and builds the key
        # every time (4 % of a page's samples under wrk)
        self._counted: dict[tuple[str, str, int], Counter] = {}
        self._timed: dict[str, Histogram] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        counter = self._counted.get(key)
        if counter is None:
            counter = self._counted[key] = self.requests.labels(method, route, str(status))
        counter.inc()
        timer = self._timed.get(route)
        if timer is None:
            timer = self._timed[route] = self.latency.labels(route)
        timer.observe(seconds)


def _route_label(request: web.Request) -> str:
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    elapsed = time.perf_counter() - started
    request.app[HTTP_METRICS].observe(
        request.method, _route_label(request), response.status, elapsed
    )
    return response


# worker counters (RedisNames.worker_counters field -> metric name, help)
WORKER_COUNTERS = {
    "browser_recycles": (
        "wa_browser_recycles",
        "Browsers recycled by a hand-off because their PSS stayed above APP_BROWSER_MAX_PSS_MB",
    ),
}


class WorkerCounters:
    """Counters workers keep in Redis (``wa:counters``), refreshed by the scrape handler; each
    known counter is 0 until a worker counts one, and absent while Redis cannot be read."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._counts: dict[str, float] | None = None
        registry.register(self)

    def update(self, raw: dict[bytes, bytes] | None) -> None:
        read = _counters(raw)
        self._counts = None if read is None else {n: read.get(n, 0.0) for n in WORKER_COUNTERS}

    def collect(self) -> Iterator[Metric]:
        if self._counts is None:
            return
        for field, (name, doc) in WORKER_COUNTERS.items():
            family = CounterMetricFamily(name, doc)
            family.add_metric([], self._counts[field])
            yield family


def _counters(raw: dict[bytes, bytes] | None) -> dict[str, float] | None:
    """A Redis hash of counters (field -> count) as floats; what is no number is skipped
    (HINCRBY could never have written it)."""
    if raw is None:
        return None
    counts: dict[str, float] = {}
    for field, value in raw.items():
        try:
            counts[field.decode(errors="replace")[:MAX_KIND_CHARS]] = float(value)
        except ValueError:
            continue
    return counts


class RedisCounts:
    """A deployment-wide counter family kept by workers in a Redis hash (label value -> count),
    e.g. ``wa_page_unparsed_total{kind}`` from ``wa:drift``. The scrape handler refreshes it; a
    failed read leaves it out."""

    def __init__(
        self, registry: CollectorRegistry, name: str, documentation: str, label: str
    ) -> None:
        self._name, self._documentation, self._label = name, documentation, label
        self._counts: dict[str, float] | None = None
        registry.register(self)

    def update(self, raw: dict[bytes, bytes] | None) -> None:
        self._counts = _counters(raw)

    def collect(self) -> Iterator[Metric]:
        if self._counts is None:
            return
        family = CounterMetricFamily(self._name, self._documentation, labels=[self._label])
        for kind, count in sorted(self._counts.items()):
            family.add_metric([kind], count)
        yield family


def page_drift(registry: CollectorRegistry) -> RedisCounts:
    return RedisCounts(
        registry,
        "wa_page_unparsed",
        "Things workers could not interpret on WhatsApp Web's page, by kind",
        "kind",
    )


def snapshot_failures(registry: CollectorRegistry) -> RedisCounts:
    return RedisCounts(
        registry,
        "wa_snapshot_failures",
        "Profile snapshots not made, or refused on restore (corrupt, wrong key), by reason",
        "reason",
    )


def media_downloads(registry: CollectorRegistry) -> RedisCounts:
    return RedisCounts(
        registry,
        "wa_media_downloads",
        "Workers' downloads of received media files, by outcome",
        "outcome",
    )


class Capacity:
    """``wa_workers{host,state}`` (free | busy | draining) from the workers' heartbeats, and
    ``wa_fence_refused_total`` (stale writes Postgres refused). A failed read leaves one out."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._fleet: Fleet | None = None
        self._refused: int | None = None
        registry.register(self)

    def update(self, fleet: Fleet | None, refused: int | None) -> None:
        self._fleet, self._refused = fleet, refused

    def collect(self) -> Iterator[Metric]:
        if self._fleet is not None:
            workers = GaugeMetricFamily(
                "wa_workers", "Live workers by host and state", labels=["host", "state"]
            )
            for host in self._fleet.hosts().values():
                workers.add_metric([host.host, "free"], host.free)
                workers.add_metric([host.host, "busy"], host.busy)
                workers.add_metric([host.host, "draining"], host.idle_draining)
            yield workers
        if self._refused is not None:
            yield CounterMetricFamily(
                "wa_fence_refused",
                "Worker writes Postgres refused: a later grant of the session's lease existed",
                value=self._refused,
            )
