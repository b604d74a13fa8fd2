"""Listing whistles: every relation batched, so a page of several costs what a page of one does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import GraphQLClient, HubServer, quiet_hub
from tests.whistles.factories import garbage_whistle, platform

pytestmark = pytest.mark.usefixtures("clean")

PAGE = """query($first: Int!) { whistles(first: $first) { totalCount nodes {
  number caller { code } cases { number }
  summons { department { code } whistle { number } }
  events { type summons { id } }
} } }"""


async def test_a_page_of_whistles_costs_constant_statements(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    for _ in range(3):
        await garbage_whistle(gql, hub_server)
    token = platform(hub_server, "110107")
    with quiet_hub(hub_server.settings) as (url, counter):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            quiet = GraphQLClient(http)

            async def statements_for(first: int) -> tuple[int, dict[str, Any]]:
                """The fewest of three runs: a background read can only add to a count."""
                counts = []
                for _ in range(3):
                    before = counter.count
                    data = await quiet.execute(PAGE, {"first": first}, token=token)
                    counts.append(counter.count - before)
                return min(counts), data

            one, _ = await statements_for(1)
            three, data = await statements_for(3)
    assert one == three, f"1 whistle: {one} statements, 3 whistles: {three}"
    assert data["whistles"]["totalCount"] == 3
    assert all(len(w["summons"]) == 2 for w in data["whistles"]["nodes"])
