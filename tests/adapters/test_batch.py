"""Taken in as a batch or one by one, a source's cases read the same through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.contract import AdapterContext
from adapters.hotline import HotlineAdapter, HotlineSettings
from adapters.runner import sync
from adapters.testdata.hotline import make_hotline_export
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, utcnow
from hub.geo.index import GeoIndex
from tests.adapters.support import city, execute
from tests.conftest import MUTABLE_TABLES, GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

CASES = """
query($after: String) {
  cases(filter: {source: HOTLINE_12345}, first: 10, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      externalRefs { system id }
      title description source status priority address crossesBoundary
      category { code } location { lng lat } grid { code } community { code }
      subdistrict { code } district { code } jurisdictionsCrossed { code }
      reportedAt respondBy resolveBy respondedAt resolvedAt closedAt
      respondOverdue resolveOverdue reopenCount warningLevel redispatchCount reporterContact
      feedback { resolved satisfied comment at }
      dispatches {
        department { code } status role note dispatchedAt respondedAt resolvedAt
        signBy signedAt signOverdue
      }
      events { type at note actor { sub role department { code } } }
    }
  }
}"""


async def _sync(settings: Settings, path: Path, *, batch: bool) -> None:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        geo = GeoIndex()
        await geo.load(sessionmaker)
        context = AdapterContext(settings=settings, geo=geo, now=utcnow)
        options = HotlineSettings(source=str(path), bulk=batch, batch_size=70)
        run = await sync(adapter=HotlineAdapter(options, context), sessionmaker=sessionmaker)
        assert run.created > 0
    finally:
        await engine.dispose()


async def _graph(gql: GraphQLClient, server: HubServer) -> dict[str, Any]:
    """Every hotline case as the city platform reads it, by order number."""
    found: dict[str, Any] = {}
    after = None
    while True:
        data = await gql.execute(CASES, {"after": after}, token=city(server))
        page = data["cases"]
        for node in page["nodes"]:
            (ref,) = node["externalRefs"]
            found[ref["id"]] = node
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_a_batch_and_one_by_one_give_the_same_cases_dispatches_and_timelines(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path
) -> None:
    settings = hub_server.settings
    path = make_hotline_export(100, seed=77).write_jsonl(tmp_path / "orders.jsonl")
    # given an export taken in one record at a time (intake and the case service)
    await _sync(settings, path, batch=False)
    one_by_one = await _graph(gql, hub_server)
    await execute(settings.database_url, *(f'DELETE FROM "{t}"' for t in MUTABLE_TABLES))
    # when the same export is taken in batches (report_many)
    await _sync(settings, path, batch=True)
    batched = await _graph(gql, hub_server)
    # then the API answers the same for every case, its dispatches and its timeline
    assert len(batched) > 50
    assert batched.keys() == one_by_one.keys()
    kinds = {event["type"] for case in batched.values() for event in case["events"]}
    assert {"REPORTED", "DISPATCHED", "RESPONDED", "RESOLVED", "FEEDBACK_RECORDED"} <= kinds
    assert {"CLOSED", "REOPENED"} <= kinds
    assert any(len(case["dispatches"]) > 1 for case in batched.values())
    for order, case in one_by_one.items():
        assert batched[order] == case, order
