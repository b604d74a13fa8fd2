"""Prometheus metrics, served at ``GET /metrics`` (``prometheus-client``).

One process keeps its figures in memory. With several processes (``hub serve --workers N``)
``PROMETHEUS_MULTIPROC_DIR`` names a directory they share (``hub serve`` sets one up), each
writes its own files there and ``/metrics`` on any of them answers for all.

Label sets are bounded: operation names are clients' words, so only the first
``MAX_OPERATION_NAMES`` well-formed names a process sees are kept, the rest are ``other``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
MAX_OPERATION_NAMES = 200
RECENT_EVENT = dt.timedelta(hours=1)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_names: set[str] = set()

REQUESTS = Counter(
    "hub_graphql_operations",
    "GraphQL operations answered, by type and operation name.",
    ["type", "name"],
)
DURATION = Histogram(
    "hub_graphql_operation_duration_seconds",
    "Time to answer a query or mutation.",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter("hub_graphql_errors", "GraphQL errors in answers, by code.", ["code"])
SOCKETS = Gauge("hub_websockets_open", "Open WebSockets.", multiprocess_mode="livesum")
SUBSCRIPTIONS = Gauge(
    "hub_subscriptions_active", "Subscriptions running.", multiprocess_mode="livesum"
)
EVENTS_PUBLISHED = Counter(
    "hub_events_published", "Events the live feed released, by stream.", ["stream"]
)
EVENTS_DELIVERED = Counter("hub_events_delivered", "Events sent to subscribers.")
FEED_LAG = Histogram(
    "hub_event_feed_lag_seconds",
    "From an event's time to its release by the feed (events of the last hour).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
ADAPTER_RECORDS = Counter(
    "hub_adapter_records", "Records adapters took in, by outcome.", ["adapter", "outcome"]
)
ADAPTER_RUNS = Counter("hub_adapter_runs", "Adapter runs ended, by status.", ["adapter", "status"])
SWEEPS = Counter("hub_sweeper_passes", "Sweeper passes, by outcome.", ["outcome"])
SWEEP_FLAGS = Counter("hub_sweeper_flags", "Overdue items flagged, by sweep.", ["sweep"])
POOL_IN_USE = Gauge(
    "hub_db_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)


def operation_name(name: str | None) -> str:
    """A bounded label for a client's operation name."""
    if not name:
        return "anonymous"
    if name in _names:
        return name
    if len(_names) >= MAX_OPERATION_NAMES or not _NAME.fullmatch(name):
        return "other"
    _names.add(name)
    return name


def observe_operation(kind: str, name: str | None, seconds: float, codes: list[str]) -> None:
    REQUESTS.labels(kind, operation_name(name)).inc()
    if kind != "subscription":
        DURATION.labels(kind).observe(seconds)
    for code in codes:
        ERRORS.labels(code).inc()


def observe_release(stream: str, at: dt.datetime, now: dt.datetime) -> None:
    EVENTS_PUBLISHED.labels(stream).inc()
    lag = now - at
    if dt.timedelta(0) <= lag <= RECENT_EVENT:
        FEED_LAG.observe(lag.total_seconds())


def watch_pool(engine: AsyncEngine) -> None:
    """Count connections in use from the pool's own checkout and checkin events."""
    pool = engine.sync_engine.pool
    # A connection record counts once between its checkout and its checkin: a checkin without a
    # counted checkout (a record invalidated, reset or checked in while disposing) is not counted.
    out: set[int] = set()

    def checked_out(_connection: Any, record: Any, *_: Any) -> None:
        if id(record) not in out:
            out.add(id(record))
            POOL_IN_USE.inc()

    def checked_in(_connection: Any, record: Any) -> None:
        if id(record) in out:
            out.discard(id(record))
            POOL_IN_USE.dec()

    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", checked_in)


def process_ended() -> None:
    """Drop this process's live gauges from the shared directory (multi-process mode)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


async def metrics_endpoint(_: Request) -> Response:
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
