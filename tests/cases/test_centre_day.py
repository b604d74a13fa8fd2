"""The demo's day at the 12345 centre loads once, each order where the day left it."""

from __future__ import annotations

import pytest

from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, transaction
from hub.demo.centre_day import load_centre_day
from hub.geo.index import GeoIndex
from tests.cases.factories import Actors
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

DAY = """{
  cases(filter: {reportedFrom: "2026-11-01T00:00:00+08:00"}, first: 10) { nodes {
    externalRefs { id } status warningLevel mergedInto { externalRefs { id } }
    returns { reason decision } extensions { decision } events { type } } }
  monthlyThemes(month: "2026-11") { title cases { totalCount } } }"""


async def load_twice(settings: Settings) -> list[int]:
    engine = create_engine(settings.database_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        geo = GeoIndex()
        await geo.load(sessionmaker)
        loaded = []
        for _ in range(2):
            async with transaction(sessionmaker) as session:
                loaded.append(await load_centre_day(session=session, geo=geo, settings=settings))
        return loaded
    finally:
        await engine.dispose()


async def test_the_centre_day_loads_once_with_each_step_on_its_orders(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    assert await load_twice(hub_server.settings) == [6, 0]
    data = await gql.execute(DAY, token=Actors(hub_server).city)
    orders = {
        c["externalRefs"][0]["id"].removeprefix("centre-day-"): c for c in data["cases"]["nodes"]
    }
    bounce = orders["bounce"]
    assert bounce["status"] == "CLOSED"
    assert [(r["reason"], r["decision"]) for r in bounce["returns"]] == [
        ("NOT_OUR_DUTY", "APPROVED"),
        ("SHARED_DUTY", "REJECTED"),
    ]
    assert orders["outage"]["extensions"] == [{"decision": "APPROVED"}]
    assert [orders[f"lift-{i}"]["status"] for i in range(3)] == ["DISPATCHED", "MERGED", "MERGED"]
    assert orders["lift-1"]["mergedInto"] == {"externalRefs": [{"id": "centre-day-lift-0"}]}
    assert "SUPERVISED" in [e["type"] for e in orders["late"]["events"]]
    assert data["monthlyThemes"] == [{"title": "老旧小区电梯停运", "cases": {"totalCount": 3}}]
