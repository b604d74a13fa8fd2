"""The reference JavaScript client, graphql-ws, against the hub (tests/js/graphql_ws_check.mjs)."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.config import Settings
from tests.cases.factories import REPORT, Actors, ok
from tests.conftest import GraphQLClient
from tests.events.client import TIMEOUT
from tests.events.conftest import LiveHub, live_hub, top_event_id

pytestmark = pytest.mark.usefixtures("clean")

SCRIPT = Path(__file__).parents[1] / "js" / "graphql_ws_check.mjs"
CASE_EVENTS = "subscription($after: ID) { caseEvents(after: $after) { id type case { number } } }"


@pytest.fixture
def pinging(settings: Settings) -> Iterator[LiveHub]:
    with live_hub(settings.model_copy(update={"ws_ping_seconds": 0.2})) as hub:
        yield hub


class Node:
    """The check script as a process: its output one JSON object a line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), TIMEOUT)
        assert raw, "graphql_ws_check.mjs ended early"
        line: dict[str, Any] = json.loads(raw)
        return line

    async def next_result(self) -> dict[str, Any]:
        """The next subscription result, past any ping lines."""
        while "ping" in (line := await self.line()):
            pass
        return line

    async def ping(self) -> None:
        while "ping" not in await self.line():
            pass


@asynccontextmanager
async def graphql_ws_check(
    hub: LiveHub, token: str, query: str, count: int, **variables: Any
) -> AsyncIterator[Node]:
    node = shutil.which("node")
    assert node, "node is required for the graphql-ws check"
    assert (SCRIPT.parent / "node_modules" / "graphql-ws").is_dir(), (
        "graphql-ws is not installed: run `npm ci --prefix tests/js`"
    )
    ws_url = hub.url.replace("http://", "ws://") + "/graphql"
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        ws_url,
        token,
        query,
        json.dumps(variables),
        str(count),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield Node(process)
    finally:
        if process.returncode is None:
            process.kill()
        await process.communicate()


async def report(http: GraphQLClient, token: str) -> str:
    case = await ok(
        http,
        REPORT,
        token,
        description="夜间施工",
        categoryCode="NOISE",
        source="HOTLINE_12345",
        location={"lat": 39.900, "lng": 116.235},
    )
    return str(case["number"])


async def test_graphql_ws_subscribes_answers_pings_and_completes(pinging: LiveHub) -> None:
    city = Actors(pinging.server).city
    after = str(await top_event_id(pinging.settings, "case_event"))
    async with (
        httpx.AsyncClient(base_url=pinging.url, timeout=30) as client,
        graphql_ws_check(pinging, city, CASE_EVENTS, 2, after=after) as node,
    ):
        http = GraphQLClient(client)
        # when a case is reported, the reference client receives its event
        first = await report(http, city)
        result = await node.next_result()
        assert result["next"]["data"]["caseEvents"]["case"]["number"] == first
        # it answers the server's pings, so the socket stays open for the next event
        await node.ping()
        second = await report(http, city)
        result = await node.next_result()
        assert result["next"]["data"]["caseEvents"]["case"]["number"] == second
        # and, having had enough, it completes the subscription and disposes of the socket
        done = await node.next_result()
        assert done["done"] is True
        assert done["pings"] >= 1
        assert await asyncio.wait_for(node.process.wait(), TIMEOUT) == 0


async def test_graphql_ws_is_refused_with_4403_for_a_bad_token(live: LiveHub) -> None:
    async with graphql_ws_check(live, "forged", CASE_EVENTS, 1) as node:
        assert await node.next_result() == {"closed": {"code": 4403, "reason": "Forbidden"}}
        assert await asyncio.wait_for(node.process.wait(), TIMEOUT) == 1
