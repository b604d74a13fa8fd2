"""What an operator watches: /metrics (parsed by prometheus_client) and the JSON log lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.auth.actors import Role
from tests.conftest import TEST_SECRET, GraphQLClient, HubServer
from tests.events.client import connect
from tests.support.databases import closed_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, metric: str, /, **labels: str) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


async def test_metrics_count_a_known_mix_of_requests(
    hub_server: HubServer, gql: GraphQLClient
) -> None:
    token = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    before = scrape(hub_server.url)
    # given three named queries, one anonymous refusal, one syntax error and one mutation
    for _ in range(3):
        await gql.execute('query Districts { jurisdiction(code: "110102") { name } }')
    await gql.post("{ locate(point: {lat: 31.23, lng: 121.47}) { grid { code } } }")
    await gql.post("{ jurisdiction(")
    await gql.post(
        'mutation Report { blowWhistle(input: {callerCode: "110102020", kind: KEY_TASK,'
        ' caseNumbers: ["C-none"], reason: "x"}) { errors { code } } }',
        token=token,
    )
    # and one socket with one subscription open while the figures are read
    async with connect(hub_server.url, token) as socket:
        await socket.subscribe("subscription { caseEvents { id } }")
        during = await _until_gauge(hub_server.url, "hub_subscriptions_active", before)
    after = scrape(hub_server.url)

    def grew(metric: str, /, **labels: str) -> float:
        return value(after, metric, **labels) - value(before, metric, **labels)

    assert grew("hub_graphql_operations_total", type="query", name="Districts") == 3
    assert grew("hub_graphql_operations_total", type="query", name="anonymous") == 2
    assert grew("hub_graphql_operations_total", type="mutation", name="Report") == 1
    assert grew("hub_graphql_errors_total", code="OUTSIDE_CITY") == 1
    assert grew("hub_graphql_errors_total", code="GRAPHQL_ERROR") == 1
    assert grew("hub_graphql_operation_duration_seconds_count", type="query") == 5
    assert grew("hub_graphql_operation_duration_seconds_count", type="mutation") == 1
    assert value(during, "hub_websockets_open") == value(before, "hub_websockets_open") + 1
    assert (
        value(during, "hub_subscriptions_active") == value(before, "hub_subscriptions_active") + 1
    )
    assert value(after, "hub_db_connections_in_use") >= 0


async def _until_gauge(url: str, name: str, before: Samples, deadline: float = 15) -> Samples:
    """Scrape until the gauge has moved past its earlier value (the subscribe is asynchronous)."""
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        samples = scrape(url)
        if value(samples, name) > value(before, name):
            return samples
    raise AssertionError(f"{name} never rose")


@pytest.mark.backends("sqlite")
def test_workers_share_their_metrics_and_log_json_lines(
    backend: str, loaded_database: str, tmp_path: Path
) -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "hub.log"
    env = {
        **os.environ,
        "HUB_DATABASE_URL": loaded_database,
        "HUB_JWT_SECRET": TEST_SECRET,
        "HUB_LOG_FORMAT": "json",
        "HUB_LOG_LEVEL": "INFO",
        "HUB_SWEEP_INTERVAL_SECONDS": "0",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # `hub serve --workers` makes its own
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stderr=stderr,
        )
    try:
        _until_ready(url)
        token = subprocess.run(
            [
                sys.executable,
                "-m",
                "hub.cli",
                "token",
                "--role",
                "OBSERVER",
                "--jurisdiction",
                "110000",
                "--sub",
                "ops-1",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for _ in range(20):  # new connections, so the kernel spreads them over both workers
            httpx.post(
                f"{url}/graphql",
                json={"query": "query Counted { me { sub } }"},
                headers={"Authorization": f"Bearer {token}"},
            ).raise_for_status()
        samples = scrape(url)
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert value(samples, "hub_graphql_operations_total", type="query", name="Counted") == 20
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    operations = [line for line in lines if line.get("operation") == "Counted"]
    assert len(operations) == 20
    assert {line["sub"] for line in operations} == {"ops-1"}
    assert all(line["duration_ms"] >= 0 and line["level"] == "info" for line in operations)
    assert any(line["logger"] == "uvicorn.error" for line in lines)


def _until_ready(url: str, deadline: float = 300) -> None:
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # polling a starting server, not synchronising on a guess
    raise AssertionError("hub serve never became ready")
