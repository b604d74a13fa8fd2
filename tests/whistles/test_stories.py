"""The demo stories load idempotently, each whistle in its state, visible through the API."""

from __future__ import annotations

import pytest

from hub.config import Settings
from hub.db import create_engine, create_sessionmaker
from hub.demo.whistle_stories import load_whistle_stories
from hub.geo.index import GeoIndex
from tests.cases.factories import Actors
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

STORIES = """{ whistles(first: 5) { totalCount nodes {
  number kind scope status escalationLevel overdue caller { code }
  cases { externalRefs { id } }
  summons { status overdue rating { score } department { code } partner { code } }
} } }"""


async def load_twice(settings: Settings) -> list[int]:
    """How many stories each of two loads created."""
    engine = create_engine(settings.database_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        geo = GeoIndex()
        await geo.load(sessionmaker)
        return [await load_whistle_stories(sessionmaker, geo, settings) for _ in range(2)]
    finally:
        await engine.dispose()


async def test_the_three_whistles_load_once_in_their_states(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    assert await load_twice(hub_server.settings) == [3, 0]
    data = await gql.execute(STORIES, token=Actors(hub_server).city)
    assert data["whistles"]["totalCount"] == 3
    by_ref = {w["cases"][0]["externalRefs"][0]["id"]: w for w in data["whistles"]["nodes"]}
    guangwai, guoling, jinhaihu = by_ref["guangwai-1"], by_ref["guoling-1"], by_ref["jinhaihu-1"]
    assert guangwai["number"] == "W-110102-20180507-000001"
    assert (guangwai["scope"], guangwai["status"]) == ("CROSS_DISTRICT", "CLOSED")
    assert len(guangwai["summons"]) == 5
    assert {(s["status"], s["rating"]["score"]) for s in guangwai["summons"]} == {("DONE", 5)}
    assert (guoling["scope"], guoling["status"], guoling["caller"]) == (
        "CITY",
        "RESOLVED",
        {"code": "110115"},
    )
    assert all(s["rating"] for s in guoling["summons"])
    assert (jinhaihu["kind"], jinhaihu["status"], jinhaihu["escalationLevel"]) == (
        "EMERGENCY",
        "IN_ACTION",
        1,
    )
    late = [s["department"]["code"] for s in jinhaihu["summons"] if s["overdue"]]
    assert late == ["110117.ECOLOGY_ENVIRONMENT"]
