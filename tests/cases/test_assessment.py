"""A crafted month worked out by hand: the three rates by the centre's rules, the monthly
assessment with its bottom unit, and a theme of the month with its matching cases."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from hub.cases.calendar import BEIJING
from tests.cases.factories import (
    CREATE_THEME,
    DECLINE,
    DISPATCH,
    FEEDBACK,
    MERGE,
    REPORT,
    REQUEST_EXTENSION,
    RESOLVE,
    RESPOND,
    RETURN,
    REVIEW_EXTENSION,
    REVIEW_RETURN,
    URGE,
    Actors,
    mutate,
    ok,
    refused,
)
from tests.cases.test_clocks import sweep
from tests.conftest import TEST_SECRET, GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU, JINDING = "110107011", "110107006"
AT = {LUGU: {"lat": 39.900, "lng": 116.235}, JINDING: {"lat": 39.935, "lng": 116.200}}
TEAM, TEAM_J = f"{LUGU}.URBAN_MANAGEMENT", f"{JINDING}.URBAN_MANAGEMENT"
PLANNING = "110107.PLANNING_NATURAL_RESOURCES"


async def report(gql: GraphQLClient, actors: Actors, street: str, category: str, at: str) -> str:
    case = await ok(
        gql,
        REPORT,
        actors.hotline,
        description=f"{category} 投诉",
        categoryCode=category,
        source="HOTLINE_12345",
        location=AT[street],
        reportedAt=at,
    )
    assert case["subdistrict"]["code"] == street
    return str(case["number"])


async def worked(
    gql: GraphQLClient,
    hub_server: HubServer,
    actors: Actors,
    number: str,
    unit: str,
    *,
    solved: bool,
) -> None:
    department = Actors.department(hub_server, unit)
    await ok(gql, RESPOND, department, caseNumber=number)
    await ok(gql, RESOLVE, department, caseNumber=number)
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=number, resolved=solved, satisfied=solved)


ASSESSMENT = """query($month: String!, $level: AssessmentLevel!, $bottom: Int) {
  monthlyAssessment(month: $month, level: $level, parentCode: "110107", bottomCount: $bottom) {
    jurisdiction { code } department { code } score rank bottom
    rates { received responded rated resolved satisfied }
    returnsAccepted returnsRejected extensions repeatDispatches urgings overdue } }"""

THEMES = """query($month: String!) { monthlyThemes(month: $month) {
  title leadDepartment { code } cases(first: 10) { totalCount nodes { number } }
  serviceRates { received rated resolved satisfied } ratesBefore { received }
  openCasesByUnit { department { code } openCases } } }"""


async def test_a_crafted_month_ranks_by_the_rules_and_names_the_bottom_unit(
    gql: GraphQLClient, hub_server: HubServer, loaded_database: str
) -> None:
    actors = Actors(hub_server)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    month, at = now.astimezone(BEIJING).strftime("%Y-%m"), now.isoformat()
    # given Lugu's month: two orders worked (one solved, one not, that one urged first),
    # a duplicate merged into the first, and a request declined
    c1, c2, c3, c4 = [await report(gql, actors, LUGU, "ILLEGAL_CONSTRUCTION", at) for _ in "1234"]
    for number in (c1, c2):
        await ok(gql, DISPATCH, actors.hotline, caseNumber=number, departmentCodes=[TEAM])
    await ok(gql, MERGE, actors.hotline, caseNumber=c1, duplicateNumbers=[c3])
    await ok(gql, DECLINE, actors.hotline, caseNumber=c4, reason="非本市事项")
    await ok(gql, URGE, actors.hotline, caseNumber=c2)
    await worked(gql, hub_server, actors, c1, TEAM, solved=True)
    await worked(gql, hub_server, actors, c2, TEAM, solved=False)
    # and Jinding's: one order returned by planning, re-dispatched to the street's team,
    # extended, then solved
    j1 = await report(gql, actors, JINDING, "WATER_OUTAGE", at)
    await ok(gql, DISPATCH, actors.hotline, caseNumber=j1, departmentCodes=[PLANNING])
    planning, team_j = (
        Actors.department(hub_server, PLANNING),
        Actors.department(hub_server, TEAM_J),
    )
    await ok(gql, RETURN, planning, caseNumber=j1, reason="NOT_OUR_DUTY", note="非规划事项")
    await ok(
        gql,
        REVIEW_RETURN,
        actors.hotline,
        caseNumber=j1,
        departmentCode=PLANNING,
        approve=True,
        redispatchTo=[TEAM_J],
    )
    until = (now + dt.timedelta(days=9)).isoformat()
    await ok(gql, REQUEST_EXTENSION, team_j, caseNumber=j1, until=until, reason="待供水公司")
    await ok(gql, REVIEW_EXTENSION, actors.hotline, caseNumber=j1, approve=True)
    await worked(gql, hub_server, actors, j1, TEAM_J, solved=True)
    # then Lugu counts 2 received (declined and merged left out), 2 responded, 2 rated,
    # 1 resolved, 1 satisfied: 100 × (0.1 × 1 + 0.45 × ½ + 0.45 × ½) = 55; Jinding scores 100
    rates = await gql.execute(
        f'{{ serviceRates(jurisdictionCode: "{LUGU}", from: "{at}") '
        "{ received responded rated resolved satisfied } }",
        token=actors.observer,
    )
    assert rates["serviceRates"] == {
        "received": 2,
        "responded": 2,
        "rated": 2,
        "resolved": 1,
        "satisfied": 1,
    }
    streets = (
        await gql.execute(
            ASSESSMENT, {"month": month, "level": "SUBDISTRICT"}, token=actors.observer
        )
    )["monthlyAssessment"]
    assert [(r["jurisdiction"]["code"], r["score"], r["rank"], r["bottom"]) for r in streets] == [
        (JINDING, 100.0, 1, False),
        (LUGU, 55.0, 2, True),
    ]  # 10% of 2 units, rounded up
    figures = (
        "returnsAccepted",
        "returnsRejected",
        "extensions",
        "repeatDispatches",
        "urgings",
        "overdue",
    )
    assert [[r[f] for f in figures] for r in streets] == [[1, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 0]]
    assert streets[1]["rates"] == rates["serviceRates"]
    # departments are ranked on the orders still with them; none named when asked for none
    units = (
        await gql.execute(
            ASSESSMENT, {"month": month, "level": "DEPARTMENT", "bottom": 0}, token=actors.observer
        )
    )["monthlyAssessment"]
    assert [(r["department"]["code"], r["score"], r["bottom"], r["extensions"]) for r in units] == [
        (TEAM_J, 100.0, False, 1),
        (TEAM, 55.0, False, 0),
    ]
    # and a theme of the month on illegal construction in Shijingshan gathers its cases
    theme = {
        "month": month,
        "title": "违法建设整治",
        "leadDepartmentCode": "110107.URBAN_MANAGEMENT",
        "departmentCodes": [TEAM],
        "categoryCodes": ["ILLEGAL_CONSTRUCTION"],
        "jurisdictionCode": "110107",
    }
    street = Actors.street(hub_server, LUGU)
    assert await refused(gql, CREATE_THEME, street, **theme) == "FORBIDDEN"
    assert await refused(gql, CREATE_THEME, actors.city, **theme | {"month": "2026-13"}) == (
        "INVALID_MONTH"
    )
    assert await refused(gql, CREATE_THEME, actors.city, **theme | {"categoryCodes": []}) == (
        "EMPTY_THEME"
    )
    assert (await mutate(gql, CREATE_THEME, actors.city, **theme))["errors"] == []
    assert await refused(gql, CREATE_THEME, actors.city, **theme) == "THEME_EXISTS"
    c5 = await report(
        gql, actors, LUGU, "ILLEGAL_CONSTRUCTION", dt.datetime.now(dt.UTC).isoformat()
    )
    env = {**os.environ, "HUB_DATABASE_URL": loaded_database, "HUB_JWT_SECRET": TEST_SECRET}
    assert (await sweep(env, dt.datetime.now(dt.UTC)))["themes"] == 1  # the new case joins
    [found] = (await gql.execute(THEMES, {"month": month}, token=actors.city))["monthlyThemes"]
    assert found["cases"]["totalCount"] == 5
    assert {node["number"] for node in found["cases"]["nodes"]} == {c1, c2, c3, c4, c5}
    assert found["serviceRates"] == {"received": 3, "rated": 2, "resolved": 1, "satisfied": 1}
    assert found["ratesBefore"] == {"received": 0}
    assert found["openCasesByUnit"] == [{"department": {"code": TEAM}, "openCases": 1}]
