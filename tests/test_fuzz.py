"""Property-based requests from the committed schema against the real hub over HTTP.

Documents come from ``schema/schema.graphql`` (hypothesis-graphql: valid queries and mutations,
and invalid ones with wrong argument types), sent with no token, a street office's, a
department's or the city platform's. Whatever the hub is sent: no 5xx, no ``INTERNAL``, and a
refused mutation leaves the data as it was. Bounded and derandomised: the same examples every
run, a few seconds per backend.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from sqlalchemy import text

from hub.auth.actors import Role
from hub.db import create_engine
from tests.conftest import MUTABLE_TABLES, HubServer

pytestmark = pytest.mark.usefixtures("clean")

SCHEMA = (Path(__file__).parents[1] / "schema" / "schema.graphql").read_text("utf-8")
EXAMPLES = 60

LITERALS = [
    '{type: "Polygon", coordinates: [[[116.3, 39.9], [116.301, 39.9], [116.301, 39.901],'
    " [116.3, 39.9]]]}",
    '{type: "Point", coordinates: [116.3, 39.9]}',
    '{type: "Polygon", coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}',
    '{type: "Polygon", coordinates: []}',
    "{}",
    "[1, [2, [3, [4]]]]",
    '"text"',
    "null",
    "1e400",
]
JSONISH = st.sampled_from(LITERALS).map(graphql.parse_value)
DATETIME = st.one_of(
    st.datetimes(
        min_value=dt.datetime(1, 1, 1),
        max_value=dt.datetime(9999, 12, 31),
        timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8))]),
    ).map(lambda moment: moment.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat()),  # no offset
    st.text(max_size=24),
).map(nodes.String)
SCALARS = {"DateTime": DATETIME, "GeoJSON": JSONISH, "JSON": JSONISH}
DOCUMENTS = st.one_of(
    queries(SCHEMA, custom_scalars=SCALARS),
    mutations(SCHEMA, custom_scalars=SCALARS),
    mutations(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    queries(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
)


class Fingerprint:
    """Row counts of every table a mutation writes (but the audit log, which every attempt
    writes): a refused mutation must leave them all as they were."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.engine = create_engine(url)
        tables = [table for table in MUTABLE_TABLES if table != "audit_log"]
        self.statement = text(
            "SELECT " + ", ".join(f'(SELECT count(*) FROM "{table}")' for table in tables)
        )

    def __call__(self) -> tuple[int, ...]:
        return self.loop.run_until_complete(self._read())

    async def _read(self) -> tuple[int, ...]:
        async with self.engine.connect() as connection:
            return tuple((await connection.execute(self.statement)).one())

    def close(self) -> None:
        self.loop.run_until_complete(self.engine.dispose())
        self.loop.close()


@pytest.fixture
def fingerprint(hub_server: HubServer) -> Iterator[Fingerprint]:
    reader = Fingerprint(hub_server.settings.database_url)
    try:
        yield reader
    finally:
        reader.close()


def tokens(server: HubServer) -> list[str | None]:
    return [
        None,
        server.token(Role.CITY_PLATFORM, jurisdiction="110000", sub="fuzz-city"),
        server.token(Role.STREET_OFFICE, jurisdiction="110107011", sub="fuzz-street"),
        server.token(
            Role.DEPARTMENT,
            jurisdiction="110102",
            department="110102.URBAN_MANAGEMENT",
            sub="fuzz-department",
        ),
    ]


def refused(body: dict[str, Any]) -> bool:
    """No field did anything: a request error, or every mutation payload carrying errors."""
    data = body.get("data")
    if not data:
        return True
    payloads = [value for value in data.values() if isinstance(value, dict)]
    return bool(payloads) and len(payloads) == len(data) and all(p.get("errors") for p in payloads)


def codes(body: dict[str, Any]) -> list[str]:
    found = [str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or []]
    for value in (body.get("data") or {}).values():
        if isinstance(value, dict):
            found += [str(error.get("code")) for error in value.get("errors") or []]
    return found


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=DOCUMENTS, who=st.integers(min_value=0, max_value=3))
def test_whatever_the_schema_allows_or_not_the_hub_answers_without_a_fault(
    hub_server: HubServer, fingerprint: Fingerprint, document: str, who: int
) -> None:
    token = tokens(hub_server)[who]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    is_mutation = document.lstrip().startswith("mutation")
    before = fingerprint() if is_mutation else None
    response = httpx.post(
        f"{hub_server.url}/graphql", json={"query": document}, headers=headers, timeout=60
    )
    assert response.status_code < 500, response.text
    body = json.loads(response.text)
    assert "INTERNAL" not in codes(body), (document, body)
    if is_mutation and refused(body):
        assert fingerprint() == before, (document, body)
