"""Prometheus metrics: per-app registry, HTTP request counts and latencies by route, and what
workers could not interpret on WhatsApp Web's page (read from Redis at each scrape)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, Metric

from gateway.keys import HTTP_METRICS

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
        if raw is None:
            self._counts = None
            return
        counts = dict.fromkeys(WORKER_COUNTERS, 0.0)
        for field, value in raw.items():
            name = field.decode(errors="replace")
            if name in counts:
                try:
                    counts[name] = float(value)
                except ValueError:
                    continue  # not a counter: HINCRBY could never have written it
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        if self._counts is None:
            return
        for field, (name, doc) in WORKER_COUNTERS.items():
            family = CounterMetricFamily(name, doc)
            family.add_metric([], self._counts[field])
            yield family


class PageDrift:
    """``wa_page_unparsed_total{kind}``: the deployment-wide ``wa:drift`` hash (kind -> count)
    that workers increment. The scrape handler refreshes it; a failed read leaves it out."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._counts: dict[str, float] | None = None
        registry.register(self)

    def update(self, raw: dict[bytes, bytes] | None) -> None:
        if raw is None:
            self._counts = None
            return
        counts: dict[str, float] = {}
        for kind, value in raw.items():
            try:
                counts[kind.decode(errors="replace")[:MAX_KIND_CHARS]] = float(value)
            except ValueError:
                continue  # not a counter: HINCRBY could never have written it
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        if self._counts is None:
            return
        family = CounterMetricFamily(
            "wa_page_unparsed",
            "Things workers could not interpret on WhatsApp Web's page, by kind",
            labels=["kind"],
        )
        for kind, count in sorted(self._counts.items()):
            family.add_metric([kind], count)
        yield family
