"""OpenTelemetry tracing, on when ``HUB_OTLP_ENDPOINT`` names an OTLP/HTTP collector.

Each HTTP request is a server span (W3C ``traceparent`` from the client continued, so an
agency's front end and the hub share one trace), its GraphQL operation a child span named like
``query CasesPage``, and each SQL statement the operation sends a span beneath it.  Spans leave
in batches (the SDK's ``BatchSpanProcessor``; ``OTEL_BSP_*`` tune it) to
``<endpoint>/v1/traces``.  ``HUB_OTLP_SAMPLE_RATIO`` (1.0) is the share of requests traced
that arrive without a sampled ``traceparent``; a client's sampled trace is always continued.

Not traced: WebSockets (a subscriber's socket lives for hours and carries thousands of
events; ``hub_events_delivered_total`` counts them instead), ``/healthz``, ``/readyz`` and
``/metrics``.  With no endpoint nothing is installed, and the operation span below costs one
check of the current span.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.config import Settings

__all__ = ["Tracing", "operation_span"]

UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

_tracer = trace.get_tracer("hub.graphql")


class Tracing:
    """A process's tracer provider, exporting to the configured collector."""

    def __init__(self, settings: Settings) -> None:
        assert settings.otlp_endpoint
        resource = Resource.create(
            {
                "service.name": settings.otlp_service_name,
                "service.instance.id": f"{os.uname().nodename}:{os.getpid()}",
            }
        )
        sampler = ParentBased(root=_RequestRoots(settings.otlp_sample_ratio))
        self.provider = TracerProvider(resource=resource, sampler=sampler)
        exporter = OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint.rstrip('/')}/v1/traces")
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        # The operation spans' tracer is the global one: a process serves one hub.
        trace.set_tracer_provider(self.provider)

    def instrument_engine(self, engine: AsyncEngine) -> None:
        # The instrumentation declares SQLAlchemy < 2.1; it hooks the cursor events, which 2.1
        # keeps (tests/test_tracing.py sees each statement's span).
        SQLAlchemyInstrumentor().instrument(
            engine=engine.sync_engine,
            tracer_provider=self.provider,
            enable_commenter=False,
            skip_dep_check=True,
        )

    def middleware(self, app: ASGIApp) -> ASGIApp:
        traced = OpenTelemetryMiddleware(
            app, tracer_provider=self.provider, exclude_spans=["receive", "send"]
        )

        async def only_http(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope.get("path") not in UNTRACED_PATHS:
                await traced(scope, receive, send)
            else:
                await app(scope, receive, send)

        return only_http

    def shutdown(self) -> None:
        """Send what is batched, then stop."""
        self.provider.shutdown()


class _RequestRoots(Sampler):
    """Traces start at requests only, a share ``ratio`` of them.

    The hub's own background work (the event feed's polls, leases, the sweeper) sends
    statements every second; as roots of their own they would flood the collector.
    """

    def __init__(self, ratio: float) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if kind is not SpanKind.SERVER:
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"RequestRoots({self._ratio.get_description()})"


def recording() -> bool:
    """Whether a traced request is under way here (``operation_span`` would open a span)."""
    return trace.get_current_span().is_recording()


@contextmanager
def operation_span() -> Iterator[trace.Span | None]:
    """A child span for a GraphQL operation inside a traced request; None outside one."""
    if not trace.get_current_span().is_recording():
        yield None
        return
    with _tracer.start_as_current_span("graphql operation") as span:
        yield span
