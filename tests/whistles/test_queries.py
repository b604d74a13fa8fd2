"""Listing whistles: every relation batched, so a page of several costs what a page of one does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from hub.app import create_app
from hub.config import Settings
from tests.conftest import GraphQLClient, HubServer, StatementCounter
from tests.support.server import serve_in_thread
from tests.whistles.factories import garbage_whistle, platform

pytestmark = pytest.mark.usefixtures("clean")

PAGE = """query($first: Int!) { whistles(first: $first) { totalCount nodes {
  number caller { code } cases { number }
  summons { department { code } whistle { number } }
  events { type summons { id } }
} } }"""


@contextmanager
def quiet_hub(settings: Settings) -> Iterator[tuple[str, StatementCounter]]:
    """A second hub process that only reads, so the statements it counts are the requests' own.

    The shared server's event feed reads new events after each commit and every second; this
    one commits nothing, polls hourly, and does not wait on gaps in event ids (PostgreSQL leaves
    them after rollbacks) beyond its first look.
    """
    quiet = {"events_poll_seconds": 3600.0, "events_gap_timeout_seconds": 0.001}
    app = create_app(settings.model_copy(update=quiet))
    counter = StatementCounter()
    event.listen(app.state.hub.engine.sync_engine, "before_cursor_execute", counter)
    with serve_in_thread(app) as url:
        yield url, counter


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
