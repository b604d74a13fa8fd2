"""The three rates, rankings and the Daxing leak search, through the HTTP API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.cases.factories import CLOSE, DISPATCH, FEEDBACK, REPORT, RESOLVE, RESPOND, Actors, ok
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU = {"lat": 39.900, "lng": 116.235}
NOW = dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


async def report(gql: GraphQLClient, token: str, *, ago: dt.timedelta, **fields: Any) -> str:
    case = await ok(
        gql,
        REPORT,
        token,
        source="HOTLINE_12345",
        reportedAt=iso(NOW - ago),
        **{"description": "诉求", "categoryCode": "OTHER", "location": LUGU, **fields},
    )
    return str(case["number"])


RATES = """query($j: String, $d: String, $from: DateTime, $to: DateTime) {
  serviceRates(jurisdictionCode: $j, departmentCode: $d, from: $from, to: $to) {
    received responded resolved rated satisfied responseRate resolutionRate satisfactionRate } }"""


async def test_service_rates_count_what_the_definitions_say(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    team = "110107011.URBAN_MANAGEMENT"
    quick = [await report(gql, actors.hotline, ago=dt.timedelta(hours=1)) for _ in range(3)]
    late = await report(gql, actors.hotline, ago=dt.timedelta(days=3))
    elsewhere = await report(
        gql, actors.hotline, ago=dt.timedelta(hours=1), location={"lat": 39.9087, "lng": 116.3975}
    )
    for number in [*quick, late]:
        await ok(gql, DISPATCH, actors.hotline, caseNumber=number, departmentCodes=[team])
        await ok(gql, RESPOND, Actors.department(hub_server, team), caseNumber=number)
    for number, solved, happy in ((quick[0], True, True), (quick[1], False, False)):
        await ok(gql, RESOLVE, actors.city, caseNumber=number)
        await ok(gql, FEEDBACK, actors.hotline, caseNumber=number, resolved=solved, satisfied=happy)
    window = {"from": iso(NOW - dt.timedelta(days=7)), "to": iso(NOW + dt.timedelta(hours=1))}
    expected = {
        "received": 4,
        "responded": 3,
        "resolved": 1,
        "rated": 2,
        "satisfied": 1,
        "responseRate": 0.75,
        "resolutionRate": 0.5,
        "satisfactionRate": 0.5,
    }
    for scope in ({"j": "110107011"}, {"j": "110107"}, {"d": team}):
        rates = await gql.execute(RATES, {**scope, **window}, token=actors.observer)
        assert rates["serviceRates"] == expected, scope
    city = await gql.execute(RATES, {"j": "110000", **window}, token=actors.observer)
    assert city["serviceRates"]["received"] == 5
    empty = await gql.execute(RATES, {"j": "110102020", **window}, token=actors.observer)
    assert empty["serviceRates"]["received"] == 0
    assert empty["serviceRates"]["responseRate"] is None
    assert elsewhere


async def test_rankings_order_street_offices_by_weighted_rates(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    good = await report(gql, actors.hotline, ago=dt.timedelta(hours=2))
    poor = await report(
        gql, actors.hotline, ago=dt.timedelta(days=3), location={"lat": 39.925, "lng": 116.2}
    )  # elsewhere in Shijingshan
    for number in (good, poor):
        await ok(
            gql,
            DISPATCH,
            actors.city,
            caseNumber=number,
            departmentCodes=["110107.URBAN_MANAGEMENT"],
        )
        await ok(gql, RESOLVE, actors.city, caseNumber=number)
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=good, resolved=True, satisfied=True)
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=poor, resolved=False, satisfied=False)
    data = await gql.execute(
        "query($from: DateTime, $to: DateTime) { rankings(level: SUBDISTRICT, parentCode: "
        '"110107", from: $from, to: $to) { rank score jurisdiction { code } rates { received } } }',
        {"from": iso(NOW - dt.timedelta(days=7)), "to": iso(NOW + dt.timedelta(hours=1))},
        token=actors.observer,
    )
    ranked = data["rankings"]
    assert [r["rank"] for r in ranked] == [1, 2]
    assert ranked[0]["jurisdiction"]["code"] == "110107011"
    assert ranked[0]["score"] == 100.0  # responded in time, solved, satisfied
    assert ranked[1]["score"] == 0.0
    assert ranked[0]["jurisdiction"]["code"] != ranked[1]["jurisdiction"]["code"]


HOTSPOTS = """query($from: DateTime, $to: DateTime) {
  hotspots(jurisdictionCode: "110115", from: $from, to: $to, text: "漏雨", unresolvedOnly: true) {
    totalHotspots totalCases
    hotspots { address caseCount category { code } firstReportedAt lastReportedAt
               cases(first: 10) { totalCount edges { node { number address } } } } } }"""


async def test_daxing_leaking_roofs_are_one_call(gql: GraphQLClient, hub_server: HubServer) -> None:
    """Two years of complaints → the homes that keep leaking, before the rainy season."""
    actors = Actors(hub_server)
    home_a, home_b = "大兴区黄村地区枣园小区3号楼501", "大兴区黄村地区枣园小区5号楼201"
    for days in (700, 400, 30):
        await report(
            gql,
            actors.hotline,
            ago=dt.timedelta(days=days),
            address=home_a,
            location=None,
            categoryCode="HOUSE_LEAK",
            description="房屋漏雨，屋顶渗水",
        )
    fixed = await report(
        gql,
        actors.hotline,
        ago=dt.timedelta(days=300),
        address=home_b,
        location=None,
        categoryCode="HOUSE_LEAK",
        description="卧室漏雨",
    )
    await report(
        gql,
        actors.hotline,
        ago=dt.timedelta(days=20),
        address=home_b,
        location=None,
        categoryCode="HOUSE_LEAK",
        description="又漏雨了",
    )
    await report(
        gql,
        actors.hotline,
        ago=dt.timedelta(days=10),
        address=home_a,
        location=None,
        categoryCode="NOISE",
        description="楼上漏雨维修噪声",
    )
    await ok(
        gql,
        DISPATCH,
        actors.city,
        caseNumber=fixed,
        departmentCodes=["110115.HOUSING_CONSTRUCTION"],
    )
    await ok(gql, RESOLVE, actors.city, caseNumber=fixed)
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=fixed, resolved=True, satisfied=True)
    await ok(gql, CLOSE, actors.hotline, caseNumber=fixed)
    window = {"from": iso(NOW - dt.timedelta(days=730)), "to": iso(NOW)}
    report_ = (await gql.execute(HOTSPOTS, window, token=actors.city))["hotspots"]
    assert report_["totalHotspots"] == 1
    assert report_["totalCases"] == 3
    (spot,) = report_["hotspots"]
    assert spot["address"] == home_a
    assert spot["caseCount"] == 3
    assert spot["category"]["code"] == "HOUSE_LEAK"
    assert spot["cases"]["totalCount"] == 3
    assert {edge["node"]["address"] for edge in spot["cases"]["edges"]} == {home_a}
    assert spot["firstReportedAt"] < spot["lastReportedAt"]
    everything = await gql.execute(
        'query($from: DateTime, $to: DateTime) { hotspots(jurisdictionCode: "110115", '
        'from: $from, to: $to, text: "漏雨") { totalHotspots totalCases } }',
        window,
        token=actors.observer,
    )
    assert everything["hotspots"] == {"totalHotspots": 2, "totalCases": 5}
    # an observer reads the aggregate but not the cases behind it
    hidden = await gql.execute(HOTSPOTS, window, token=actors.observer)
    assert hidden["hotspots"]["hotspots"][0]["cases"]["totalCount"] == 0


async def test_aggregates_need_a_token(gql: GraphQLClient) -> None:
    body = (await gql.post("{ serviceRates { received } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
