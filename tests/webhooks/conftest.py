"""Two real `hub serve` processes on the test database and Redis, and webhook receivers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from tests.adapters.support import execute
from tests.conftest import MUTABLE_TABLES, GraphQLClient
from tests.support.processes import HubProcess, hub_env, hub_processes

RECEIVER = Path(__file__).parent / "receiver.py"
TIANANMEN = {"lat": 39.9087, "lng": 116.3975}

CREATE = """
mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    webhook { id url eventTypes } secret errors { code message field } }
}"""
REPORT = """
mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { number } errors { code } } }
"""


@pytest.fixture(scope="module")
def hubs(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[HubProcess]]:
    workdir = tmp_path_factory.mktemp("hubs")
    with hub_processes(2, hub_env(settings), workdir) as running:
        yield running


@pytest.fixture(scope="module")
async def emptied(settings: Settings) -> AsyncIterator[None]:
    yield
    await execute(settings.database_url, *(f'DELETE FROM "{t}"' for t in MUTABLE_TABLES))


@pytest.fixture
async def gql(hubs: list[HubProcess], emptied: None) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=hubs[0].url, timeout=30) as client:
        yield GraphQLClient(client)


def city(settings: Settings) -> str:
    return mint(settings, role=Role.CITY_PLATFORM, jurisdiction="110000", sub="city-systems")


async def register(gql: GraphQLClient, token: str, port: int, **fields: Any) -> tuple[str, str]:
    """A webhook for ``http://127.0.0.1:port/hook``: its id and secret."""
    created = await gql.execute(
        CREATE, {"input": {"url": f"http://127.0.0.1:{port}/hook", **fields}}, token=token
    )
    payload = created["createWebhook"]
    assert not payload["errors"], payload["errors"]
    return payload["webhook"]["id"], payload["secret"]


async def report(gql: GraphQLClient, token: str, count: int) -> list[str]:
    """``count`` new cases (one REPORTED event each), in order."""
    numbers = []
    for index in range(count):
        data = {
            "description": f"webhook test {index}",
            "categoryCode": "GARBAGE",
            "source": "CITIZEN_APP",
            "location": TIANANMEN,
        }
        done = await gql.execute(REPORT, {"input": data}, token=token)
        assert not done["reportCase"]["errors"]
        numbers.append(done["reportCase"]["case"]["number"])
    return numbers


@contextmanager
def receiver(secret: str, port: int, log: Path, **options: float) -> Iterator[None]:
    """The receiver process on ``port``, until the block ends (then it is killed)."""
    args = [sys.executable, str(RECEIVER), "--port", str(port), "--secret", secret]
    args += ["--log", str(log)]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        yield
    finally:
        process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def received(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line]


def accepted(log: Path) -> list[dict[str, Any]]:
    return [record for record in received(log) if record["status"] == 200]


def numbers_of(records: list[dict[str, Any]]) -> list[str]:
    return [record["body"]["data"]["case"]["number"] for record in records]
