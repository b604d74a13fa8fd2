"""Pinggu's 30 minutes: an emergency whistle, a late department, overdue and escalation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.cases.factories import Actors
from tests.conftest import GraphQLClient, HubServer
from tests.whistles.factories import (
    BLOW,
    ESCALATE,
    REPORT_IN,
    at,
    get,
    ok,
    party,
    platform,
    refused,
    report_case,
    sweep,
    sweep_concurrently,
)

pytestmark = pytest.mark.usefixtures("clean")

JINHAIHU = "110117006"  # 金海湖地区, Pinggu
MINE = {"lat": 40.1616, "lng": 117.3186}
ON_TIME = [
    "110117.PUBLIC_SECURITY",
    "110117.PLANNING_NATURAL_RESOURCES",
    "110117.EMERGENCY_MANAGEMENT",
]
LATE = "110117.ECOLOGY_ENVIRONMENT"
MINUTE = dt.timedelta(minutes=1)


async def gold_mine_whistle(gql: GraphQLClient, server: HubServer) -> dict[str, Any]:
    """Jinhaihu whistles four district departments to an illegal gold mine at night."""
    town = Actors.street(server, JINHAIHU)
    case = await report_case(
        gql, town, "山体盗采金矿，夜间有人作业", "OTHER", source="GRID_PATROL", location=MINE
    )
    whistle = await ok(
        gql,
        BLOW,
        town,
        callerCode=JINHAIHU,
        kind="EMERGENCY",
        caseNumbers=[case["number"]],
        departmentCodes=[*ON_TIME, LATE],
        reason="双安双打：盗采金矿，各部门30分钟内到达指定点位",
    )
    for code in ON_TIME:
        token = Actors.department(server, code)
        await ok(gql, REPORT_IN, token, summonsId=party(whistle, code)["id"], location=MINE)
    return whistle


async def test_a_department_not_on_site_in_30_minutes_goes_overdue_and_the_whistle_escalates(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    # given an emergency whistle: every party summoned at once with 30 minutes to arrive
    whistle = await gold_mine_whistle(gql, hub_server)
    number = whistle["number"]
    assert (whistle["scope"], whistle["status"]) == ("DISTRICT", "SUMMONING")
    report_by = at(whistle["reportBy"])
    assert report_by - at(whistle["openedAt"]) == 30 * MINUTE
    # when the sweeper runs before the deadline, nothing is overdue
    assert await sweep(hub_server.settings, report_by - MINUTE) == 0
    # when it runs after, the one department not on site is flagged, and the whistle rises
    assert await sweep(hub_server.settings, report_by + MINUTE) == 1
    town = Actors.street(hub_server, JINHAIHU)
    seen = await get(gql, number, town)
    assert seen is not None
    assert seen["status"] == "IN_ACTION"
    assert seen["overdue"] is True
    assert seen["escalationLevel"] == 1
    assert [code for code in [*ON_TIME, LATE] if party(seen, code)["overdue"]] == [LATE]
    overdue, escalated = seen["events"][-2:]
    assert (overdue["type"], overdue["summons"]) == (
        "SUMMONS_OVERDUE",
        {"id": party(seen, LATE)["id"]},
    )
    assert escalated["type"] == "ESCALATED"
    assert escalated["actor"] == {"sub": "system", "role": "CITY_PLATFORM"}
    # then sweeping again changes nothing
    assert await sweep(hub_server.settings, report_by + 10 * MINUTE) == 0
    again = await get(gql, number, town)
    assert again is not None
    assert again["events"] == seen["events"]
    # and the department is counted against in the report-in figures
    figures = await gql.execute(
        '{ departmentPerformance(jurisdictionCode: "110117") '
        "{ department { code } summonsReceived arrivedInTime overdue } }",
        token=platform(hub_server, "110117"),
    )
    by_code = {row["department"]["code"]: row for row in figures["departmentPerformance"]}
    assert by_code[LATE] == {
        "department": {"code": LATE},
        "summonsReceived": 1,
        "arrivedInTime": 0,
        "overdue": 1,
    }
    assert all(by_code[code]["arrivedInTime"] == 1 for code in ON_TIME)
    # and when it does report in, it stays overdue
    late = Actors.department(hub_server, LATE)
    arrived = await ok(gql, REPORT_IN, late, summonsId=party(seen, LATE)["id"], location=MINE)
    assert party(arrived, LATE)["status"] == "ARRIVED"
    assert party(arrived, LATE)["overdue"]


async def test_several_hub_processes_sweeping_at_once_flag_each_summons_once(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    whistle = await gold_mine_whistle(gql, hub_server)
    late = at(whistle["reportBy"]) + MINUTE
    counts = await sweep_concurrently(hub_server.settings, late, processes=4)
    assert sorted(counts) == [0, 0, 0, 1]
    seen = await get(gql, whistle["number"], Actors(hub_server).city)
    assert seen is not None
    assert seen["escalationLevel"] == 1
    types = [event["type"] for event in seen["events"]]
    assert (types.count("SUMMONS_OVERDUE"), types.count("ESCALATED")) == (1, 1)


async def test_overdue_whistles_are_found_by_filter_and_escalated_by_hand_to_the_city(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    whistle = await gold_mine_whistle(gql, hub_server)
    pinggu = platform(hub_server, "110117")
    query = "{ whistles(filter: {overdue: true}) { totalCount nodes { number } } }"
    assert (await gql.execute(query, token=pinggu))["whistles"]["totalCount"] == 0
    await sweep(hub_server.settings, at(whistle["reportBy"]) + MINUTE)
    found = await gql.execute(query, token=pinggu)
    assert found["whistles"]["nodes"] == [{"number": whistle["number"]}]
    # a department may not escalate; the district platform raises it to the city platform
    denied = await refused(
        gql,
        ESCALATE,
        Actors.department(hub_server, LATE),
        whistleNumber=whistle["number"],
        reason="x",
    )
    assert denied["code"] == "FORBIDDEN"
    raised = await ok(gql, ESCALATE, pinggu, whistleNumber=whistle["number"], reason="部门迟迟未到")
    assert raised["escalationLevel"] == 2
    top = await refused(gql, ESCALATE, pinggu, whistleNumber=whistle["number"], reason="再升级")
    assert top["code"] == "ILLEGAL_TRANSITION"
    # and no further sweep escalates past the city, nor flags anyone twice
    assert await sweep(hub_server.settings, at(whistle["reportBy"]) + 60 * MINUTE) == 0
