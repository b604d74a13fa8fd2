"""Traces of a real `hub serve` exported to a real OTLP/HTTP receiver on loopback."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from hub.config import Settings
from tests.support.processes import HubProcess, hub_env, hub_processes

PATIENCE = 60.0  # a deadline for the batch to arrive, not a measurement


class Collector:
    """An OTLP/HTTP trace receiver: decodes each export and keeps its spans."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.changed = threading.Condition()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                found = [
                    {
                        "name": span.name,
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_id": span.parent_span_id.hex(),
                        "attributes": {a.key: _value(a.value) for a in span.attributes},
                        "service": {a.key: _value(a.value) for a in spans.resource.attributes},
                    }
                    for spans in request.resource_spans
                    for scoped in spans.scope_spans
                    for span in scoped.spans
                ]
                with collector.changed:
                    collector.paths.append(self.path)
                    collector.spans.extend(found)
                    collector.changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, found: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        with self.changed:
            assert self.changed.wait_for(lambda: found(self.spans), timeout=PATIENCE), self.spans
            return list(self.spans)


def _sql(span: dict[str, Any]) -> bool:
    """A statement's span (the old and the stable database conventions name it differently)."""
    return "db.statement" in span["attributes"] or "db.query.text" in span["attributes"]


def _value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    return getattr(value, kind) if kind else None


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    receiver = Collector()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def traced_hub(
    settings: Settings, collector: Collector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    env = hub_env(
        settings,
        HUB_OTLP_ENDPOINT=collector.url,
        HUB_OTLP_SERVICE_NAME="hub-under-test",
        OTEL_BSP_SCHEDULE_DELAY="100",  # ms: export soon after each request
    )
    with hub_processes(1, env, Path(tmp_path_factory.mktemp("traced"))) as [hub]:
        yield hub


def test_a_request_is_one_trace_continued_from_the_client_down_to_its_sql(
    traced_hub: HubProcess, collector: Collector
) -> None:
    # given a front end that started a trace of its own
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    query = """query Chaoyang { jurisdiction(code: "110105") {
      name departments(first: 1) { nodes { code } } } }"""
    response = httpx.post(
        f"{traced_hub.url}/graphql",
        json={"query": query},
        headers={"traceparent": f"00-{trace_id}-{parent}-01"},
        timeout=30,
    )
    assert response.json()["data"]["jurisdiction"]["name"] == "朝阳区"
    httpx.get(f"{traced_hub.url}/healthz", timeout=30)

    def in_trace(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [span for span in spans if span["trace_id"] == trace_id]

    def complete(spans: list[dict[str, Any]]) -> bool:
        mine = in_trace(spans)
        return (
            any(s["name"] == "query Chaoyang" for s in mine)
            and any(_sql(s) for s in mine)
            # the server span ends last, with the response: it may come in a later export
            and any(s["parent_id"] == parent for s in mine)
        )

    spans = in_trace(collector.wait_for(complete))
    by_id = {span["span_id"]: span for span in spans}
    # then the hub's server span continues the client's trace,
    (server,) = [s for s in spans if s["parent_id"] == parent]
    assert server["name"].startswith("POST")
    assert server["service"]["service.name"] == "hub-under-test"
    # the operation is a span beneath it, named and typed,
    (operation,) = [s for s in spans if s["name"] == "query Chaoyang"]
    assert operation["attributes"]["graphql.operation.type"] == "query"
    assert operation["attributes"]["graphql.operation.name"] == "Chaoyang"

    def ancestors(span: dict[str, Any]) -> list[str]:
        chain = []
        while span["parent_id"] in by_id:
            span = by_id[span["parent_id"]]
            chain.append(span["span_id"])
        return chain

    assert server["span_id"] in ancestors(operation)
    # and its SQL statements beneath the operation
    statements = [s for s in spans if _sql(s)]
    assert statements
    assert all(operation["span_id"] in ancestors(s) for s in statements)
    assert all(path == "/v1/traces" for path in collector.paths)
    # while the hub's background statements start no traces of their own,
    requests = {s["trace_id"] for s in collector.spans if s["name"].startswith(("POST", "GET"))}
    assert {s["trace_id"] for s in collector.spans} == requests
    # and the health probe is not traced at all
    assert not [s for s in collector.spans if "/healthz" in s["name"]]
    assert not [s for s in collector.spans if "/healthz" in str(s["attributes"])]
