"""Helpers for the adapter tests: the real `hub` CLI, and reading runs through the API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

from hub.auth.actors import Role
from hub.db import create_engine
from tests.conftest import TEST_SECRET, GraphQLClient, HubServer

RUNS = """
query($adapter: String, $first: Int!, $q: Int!) {
  adapterRuns(adapter: $adapter, first: $first) {
    totalCount
    nodes {
      id adapter source status startedAt finishedAt read created updated unchanged rejected
      notes error
      quarantined(first: $q) { totalCount nodes { reason raw sourceId resolution } }
    }
  }
}"""

CASES_BY_STATUS = """
query($source: CaseSource!, $status: CaseStatus) {
  cases(filter: {source: $source, status: $status}, first: 1) { totalCount }
}"""


def hub(
    *args: str, url: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real `hub` command as a process, on the test database."""
    environment = {**os.environ, "HUB_JWT_SECRET": TEST_SECRET, "HUB_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        capture_output=True,
        text=True,
        env={**environment, **(env or {})},
        timeout=300,
        check=False,
    )


def city(server: HubServer) -> str:
    return server.token(Role.CITY_PLATFORM, jurisdiction="110000", sub="city-desk")


async def runs(
    gql: GraphQLClient, server: HubServer, adapter: str, quarantined: int = 40
) -> list[dict[str, Any]]:
    """The adapter's latest runs, newest first, as the API shows them."""
    data = await gql.execute(
        RUNS, {"adapter": adapter, "first": 5, "q": quarantined}, token=city(server)
    )
    nodes: list[dict[str, Any]] = data["adapterRuns"]["nodes"]
    return nodes


async def cases_by_status(gql: GraphQLClient, server: HubServer, source: str) -> dict[str, int]:
    found = {}
    for status in ("RECEIVED", "DISPATCHED", "RESPONDED", "RESOLVED", "CLOSED"):
        data = await gql.execute(
            CASES_BY_STATUS, {"source": source, "status": status}, token=city(server)
        )
        if count := data["cases"]["totalCount"]:
            found[status] = count
    return found


def counts(run: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return (run["read"], run["created"], run["updated"], run["unchanged"], run["rejected"])


async def scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar_one()
    finally:
        await engine.dispose()


async def execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
