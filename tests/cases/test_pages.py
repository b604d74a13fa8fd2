"""Pages of a few thousand cases: the same rows, in the same order, as a straightforward query
gives them, newest first by when reported; totals exact up to a cap, in the page's statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from hub import pagination
from hub.app import create_app
from hub.cases.models import Case, CaseJurisdiction, CaseStatus
from hub.categories.models import Category
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker
from hub.demo.synthetic import Plan
from hub.reference import ReferenceData
from tests.cases.factories import DISPATCH, REPORT, Actors, ok, synthetic_cases
from tests.conftest import GraphQLClient, HubServer, StatementCounter, quiet_hub
from tests.support.server import serve_in_thread

XICHENG, FENGTAI = "110102", "110106"
ACROSS = {  # from Xicheng into Fengtai
    "type": "Polygon",
    "coordinates": [
        [[116.32, 39.865], [116.345, 39.865], [116.345, 39.89], [116.32, 39.89], [116.32, 39.865]]
    ],
}
OPEN = [CaseStatus.RECEIVED, CaseStatus.DISPATCHED, CaseStatus.RESPONDED]
PAGE = """
query($filter: CaseFilterInput, $first: Int!, $after: String) {
  cases(filter: $filter, first: $first, after: $after) {
    edges { cursor node { number reportedAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture(scope="module")
async def month(settings: Settings) -> AsyncIterator[None]:
    """3,000 synthetic cases over a month, left behind for this module only."""
    end = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    async with synthetic_cases(settings, Plan(per_day=100, days=30, end=end)):
        yield


async def _reference(settings: Settings, *conditions: Any) -> list[str]:
    """Case numbers, newest first by when reported (ties by intake), the plain way."""
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            query = select(Case.number).where(*conditions)
            rows = await session.scalars(query.order_by(Case.reported_at.desc(), Case.id.desc()))
            return list(rows)
    finally:
        await engine.dispose()


async def _walk(
    gql: GraphQLClient, token: str, case_filter: dict[str, Any], first: int
) -> list[str]:
    numbers: list[str] = []
    after = None
    while True:
        data = await gql.execute(
            PAGE, {"filter": case_filter, "first": first, "after": after}, token=token
        )
        page = data["cases"]
        numbers += [edge["node"]["number"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return numbers
        after = page["pageInfo"]["endCursor"]


@pytest.mark.usefixtures("month")
async def test_pages_walk_every_case_newest_first_as_a_plain_query_orders_them(
    settings: Settings, gql: GraphQLClient, hub_server: HubServer
) -> None:
    city = Actors(hub_server).city
    # given a case reported today over a boundary, and a month of cases reported before it
    crossing = await ok(
        gql,
        REPORT,
        city,
        description="跨界违建",
        categoryCode="ILLEGAL_CONSTRUCTION",
        source="STREET_CHIEF",
        footprint=ACROSS,
    )
    # when every page is walked, unfiltered and by district and open status
    everything = await _walk(gql, city, {}, 100)
    fengtai_open = await _walk(
        gql, city, {"jurisdictionCode": FENGTAI, "statuses": [s.value for s in OPEN]}, 7
    )
    # then the pages hold exactly the plain query's rows, in its order: newest reported first
    assert len(everything) > 3000
    assert everything == await _reference(settings)
    assert everything[0] == crossing["number"]  # reported now, not in the seed years
    in_fengtai = Case.district_code == FENGTAI
    crossed_in = Case.id.in_(
        select(CaseJurisdiction.case_id).where(
            CaseJurisdiction.subdistrict_code.startswith(FENGTAI)
        )
    )
    expected = await _reference(settings, in_fengtai | crossed_in, Case.status.in_(OPEN))
    assert fengtai_open == expected
    assert crossing["number"] in fengtai_open  # footprints crossing in included
    # and by a category group (the cases of its leaves) and by one of its leaves, as the
    # categories table has them
    tree = await gql.execute("{ categories { code children { code } } }", token=city)
    [group] = [
        root["code"]
        for root in tree["categories"]
        if "NOISE" in {child["code"] for child in root["children"]}
    ]
    in_group = Case.category_code.in_(
        select(Category.code).where((Category.code == group) | (Category.parent_code == group))
    )
    by_group = await _walk(gql, city, {"categoryCode": group}, 50)
    assert by_group == await _reference(settings, in_group)
    assert len(by_group) > 100
    by_leaf = await _walk(gql, city, {"categoryCode": "NOISE"}, 50)
    assert by_leaf == await _reference(settings, Case.category_code == "NOISE")
    assert by_leaf
    assert set(by_leaf) <= set(by_group)


@pytest.mark.usefixtures("month")
async def test_a_list_of_districts_pages_each_as_its_own_filter_does(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    city = Actors(hub_server).city
    nested = """
    query($after: String) { jurisdictions(level: DISTRICT, first: 16) { nodes { code
      cases(first: 3, after: $after, filter: {statuses: [RECEIVED, RESPONDED]}) {
        edges { node { number } } pageInfo { hasNextPage endCursor } } } } }"""
    districts = (await gql.execute(nested, token=city))["jurisdictions"]["nodes"]
    for district in districts:
        case_filter = {"jurisdictionCode": district["code"], "statuses": ["RECEIVED", "RESPONDED"]}
        alone = await gql.execute(PAGE, {"filter": case_filter, "first": 3}, token=city)
        numbers = [edge["node"]["number"] for edge in alone["cases"]["edges"]]
        assert [edge["node"]["number"] for edge in district["cases"]["edges"]] == numbers
        assert district["cases"]["pageInfo"] == alone["cases"]["pageInfo"]


@pytest.mark.usefixtures("month")
async def test_the_total_is_counted_only_when_asked_and_exactly_only_up_to_the_cap(
    settings: Settings, gql: GraphQLClient, hub_server: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    city = Actors(hub_server).city
    counted = "{ cases(first: 5) { totalCount totalCountPrecision edges { cursor } } }"
    plain = "{ cases(first: 5) { edges { cursor } } }"
    # when a page is asked for with its total, and without
    with quiet_hub(settings) as (url, counter):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            quiet = GraphQLClient(client)
            await quiet.execute(plain, token=city)  # the feed's first look
            before = counter.count
            with_total = (await quiet.execute(counted, token=city))["cases"]
            between = counter.count
            without = (await quiet.execute(plain, token=city))["cases"]
            after = counter.count
    # then the same page comes back, and the total rides along in the page's one statement
    assert with_total["edges"] == without["edges"]
    assert with_total["totalCount"] >= 3000
    assert with_total["totalCountPrecision"] == "EXACT"
    assert between - before == after - between == 1
    # and past the cap, the count says it is a floor
    monkeypatch.setattr(pagination, "COUNT_CAP", 1000)
    capped = (await gql.execute(counted, token=city))["cases"]
    assert (capped["totalCount"], capped["totalCountPrecision"]) == (1000, "AT_LEAST")


@pytest.mark.usefixtures("month")
async def test_a_cursor_from_another_list_or_made_up_is_refused_with_a_code(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    city = Actors(hub_server).city
    jurisdictions = await gql.execute(
        "{ jurisdictions(first: 1) { pageInfo { endCursor } } }", token=city
    )
    for cursor in (jurisdictions["jurisdictions"]["pageInfo"]["endCursor"], "WzEsMiwzXQ==", "!"):
        response = await gql.post(PAGE, {"first": 5, "after": cursor}, token=city)
        body = response.json()
        assert response.status_code == 200
        assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR", body


LIST_VIEW = """query($first: Int!) { cases(first: $first, filter: {jurisdictionCode: "110106"}) {
  edges { node { number category { code name } subdistrict { code name } district { code name }
    community { code } dispatches { status department { code name } }
    events(last: 2) { id type } } } } }"""


@pytest.mark.usefixtures("month")
async def test_a_front_ends_list_page_reads_reference_rows_held_and_only_the_latest_events(
    settings: Settings, hub_server: HubServer
) -> None:
    city = Actors(hub_server).city
    app = create_app(settings.model_copy(update={"events_poll_seconds": 3600.0}))
    counter = StatementCounter()
    event.listen(app.state.hub.engine.sync_engine, "before_cursor_execute", counter)
    every_event = "query($n: String!) { case(number: $n) { events { id type } } }"
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            gql = GraphQLClient(client)
            # given a hub holding the reference rows (read at start)
            held = app.state.hub.reference
            assert held.jurisdictions
            assert held.categories
            # when a list page asks for each case's places, dispatches and latest events
            counts: dict[int, int] = {}
            for first in (5, 20):
                before = counter.count
                page = await gql.execute(LIST_VIEW, {"first": first}, token=city)
                counts[first] = counter.count - before
            # then the page, its cases' dispatches and their departments (which a roster sync
            # changes while the hub runs) are its only statements (besides the events'),
            # whatever its size: categories and places are the process's
            assert counts[5] == counts[20] == 3, counts
            # and the answer is the one the request's own loaders give
            app.state.hub.reference = ReferenceData()
            loaded = await gql.execute(LIST_VIEW, {"first": 20}, token=city)
            app.state.hub.reference = held
            assert loaded == page
            # and each case's latest events are the tail of its whole timeline
            nodes = [edge["node"] for edge in page["cases"]["edges"]]
            assert len(nodes) == 20
            for node in nodes[:5]:
                whole = await gql.execute(every_event, {"n": node["number"]}, token=city)
                assert node["events"] == whole["case"]["events"][-2:]
            assert any(node["dispatches"] for node in nodes)


@pytest.mark.usefixtures("clean")
async def test_the_latest_events_of_a_case_with_fewer_are_all_of_them(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    city = Actors(hub_server).city
    # given a case reported and dispatched (a short timeline)
    case = await ok(
        gql,
        REPORT,
        city,
        description="楼道堆物",
        categoryCode="GARBAGE",
        source="HOTLINE_12345",
        footprint=ACROSS,
    )
    departments = ["110102.URBAN_MANAGEMENT"]
    await ok(gql, DISPATCH, city, caseNumber=case["number"], departmentCodes=departments)
    query = """query($number: String!, $last: Int) {
      case(number: $number) { events(last: $last) { type at } } }"""
    every = await gql.execute(query, {"number": case["number"], "last": None}, token=city)
    timeline = every["case"]["events"]
    # when more of its latest events are asked for than it has
    latest = await gql.execute(
        query, {"number": case["number"], "last": len(timeline) + 1}, token=city
    )
    # then the whole timeline comes back, in order
    assert len(timeline) >= 2  # reported, then dispatched
    assert latest["case"]["events"] == timeline
