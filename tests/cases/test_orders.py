"""The 12345 centre's steps through the HTTP API: sign, return and ruling, lead and assist,
closing review, merge and decline — each with its refusals."""

from __future__ import annotations

import pytest

from tests.cases.factories import (
    DECLINE,
    DISPATCH,
    FEEDBACK,
    MERGE,
    REPORT,
    RESOLVE,
    RETURN,
    REVIEW_CLOSURE,
    REVIEW_RETURN,
    SIGN,
    Actors,
    ok,
    refused,
)
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU = {"lat": 39.900, "lng": 116.235}
TEAM = "110107011.URBAN_MANAGEMENT"
HOUSING = "110107.HOUSING_CONSTRUCTION"
WATER = "110107.WATER"
PLANNING = "110107.PLANNING_NATURAL_RESOURCES"


async def report(gql: GraphQLClient, token: str, text: str, where: dict[str, float] = LUGU) -> str:
    case = await ok(
        gql,
        REPORT,
        token,
        description=text,
        categoryCode="ILLEGAL_CONSTRUCTION",
        source="HOTLINE_12345",
        location=where,
        reporterContact="13900001111",
    )
    return str(case["number"])


def types(case: dict[str, object]) -> list[str]:
    return [event["type"] for event in case["events"]]  # type: ignore[attr-defined, index]


async def test_a_return_bounces_once_is_ruled_and_the_lead_closes_the_order(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    team, housing = Actors.department(hub_server, TEAM), Actors.department(hub_server, HOUSING)
    water = Actors.department(hub_server, WATER)
    number = await report(gql, actors.hotline, "楼顶私搭乱建")
    # given the order goes to the street's team (lead) with housing assisting
    await ok(gql, DISPATCH, actors.hotline, caseNumber=number, departmentCodes=[TEAM, HOUSING])
    signed = await ok(gql, SIGN, team, caseNumber=number)
    assert [(d["role"], bool(d["signedAt"])) for d in signed["dispatches"]] == [
        ("LEAD", True),
        ("ASSIST", False),
    ]
    assert await refused(gql, SIGN, team, caseNumber=number) == "ILLEGAL_TRANSITION"
    assert await refused(gql, SIGN, water, caseNumber=number) == "NOT_FOUND"
    # a return needs a reason and an explanation
    assert await refused(gql, RETURN, team, caseNumber=number, note="不归我们") == "REASON_REQUIRED"
    assert await refused(gql, RETURN, team, caseNumber=number, reason="NOT_OUR_DUTY") == (
        "REASON_REQUIRED"
    )
    # when the team returns it and the hotline accepts, sending it to water at once
    await ok(gql, RETURN, team, caseNumber=number, reason="NOT_OUR_DUTY", note="属规划执法")
    assert await refused(gql, RETURN, team, caseNumber=number, reason="OTHER", note="x") == (
        "ILLEGAL_TRANSITION"
    )
    assert (
        await refused(
            gql, REVIEW_RETURN, team, caseNumber=number, departmentCode=TEAM, approve=True
        )
        == "FORBIDDEN"
    )
    moved = await ok(
        gql,
        REVIEW_RETURN,
        actors.hotline,
        caseNumber=number,
        departmentCode=TEAM,
        approve=True,
        redispatchTo=[WATER],
        note="转水务",
    )
    assert {d["department"]["code"]: (d["role"], d["status"]) for d in moved["dispatches"]} == {
        TEAM: ("LEAD", "WITHDRAWN"),
        HOUSING: ("ASSIST", "DISPATCHED"),
        WATER: ("LEAD", "DISPATCHED"),
    }
    # then water returns it too, and the city platform rules it water's (审定)
    await ok(gql, RETURN, water, caseNumber=number, reason="SHARED_DUTY", note="职能交叉")
    ruled = await ok(
        gql,
        REVIEW_RETURN,
        actors.city,
        caseNumber=number,
        departmentCode=WATER,
        approve=False,
        note="审定：水务主办",
    )
    assert [
        (r["department"]["code"], r["reason"], r["decision"], r["decidedBy"]["sub"])
        for r in ruled["returns"]
    ] == [
        (TEAM, "NOT_OUR_DUTY", "APPROVED", "12345-agent"),
        (WATER, "SHARED_DUTY", "REJECTED", "city-desk"),
    ]
    assert ruled["returns"][0]["redispatchedTo"] == [{"code": WATER}]
    assert await refused(gql, RETURN, water, caseNumber=number, reason="OTHER", note="再退") == (
        "RETURN_RULED"
    )
    assert await refused(gql, SIGN, team, caseNumber=number) == "FORBIDDEN"
    # the assisting unit's part does not close the order; the lead's does
    assisted = await ok(gql, RESOLVE, housing, caseNumber=number)
    assert assisted["status"] == "DISPATCHED"
    resolved = await ok(gql, RESOLVE, water, caseNumber=number, note="已拆除")
    assert resolved["status"] == "RESOLVED"
    # the closing review sends a thin reply back, then approves the order
    assert await refused(gql, REVIEW_CLOSURE, actors.hotline, caseNumber=number, approve=False) == (
        "REASON_REQUIRED"
    )
    assert await refused(gql, REVIEW_CLOSURE, water, caseNumber=number, approve=True) == "FORBIDDEN"
    back = await ok(
        gql, REVIEW_CLOSURE, actors.hotline, caseNumber=number, approve=False, note="缺现场照片"
    )
    assert back["status"] == "DISPATCHED"
    await ok(gql, RESOLVE, water, caseNumber=number, note="补照片")
    closed = await ok(gql, REVIEW_CLOSURE, actors.hotline, caseNumber=number, approve=True)
    assert closed["status"] == "CLOSED"
    assert types(closed) == [
        "REPORTED",
        "DISPATCHED",
        "SIGNED",
        "RETURNED",
        "RETURN_APPROVED",
        "DISPATCHED",
        "RETURNED",
        "RETURN_REJECTED",
        "ASSIST_RESOLVED",
        "RESOLVED",
        "CLOSURE_REJECTED",
        "RESOLVED",
        "CLOSURE_APPROVED",
    ]
    # a return approved with no one to send it to puts a single-unit order back in the queue
    other = await report(gql, actors.hotline, "违建二")
    await ok(gql, DISPATCH, actors.hotline, caseNumber=other, departmentCodes=[PLANNING])
    planning = Actors.department(hub_server, PLANNING)
    await ok(gql, RETURN, planning, caseNumber=other, reason="NOT_OUR_AREA", note="不在辖区")
    back_in_queue = await ok(
        gql, REVIEW_RETURN, actors.city, caseNumber=other, departmentCode=PLANNING, approve=True
    )
    assert back_in_queue["status"] == "RECEIVED"


async def test_duplicates_merge_into_one_order_and_a_declined_request_is_set_aside(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    main = await report(gql, actors.hotline, "电梯停运")
    again = [await report(gql, actors.hotline, f"电梯停运 {i}") for i in range(2)]
    elsewhere = await report(gql, actors.hotline, "电梯停运", {"lat": 39.9087, "lng": 116.3975})
    await ok(gql, DISPATCH, actors.hotline, caseNumber=again[0], departmentCodes=[TEAM])
    # a merge across districts, or by a street office, is refused
    assert (
        await refused(gql, MERGE, actors.hotline, caseNumber=main, duplicateNumbers=[elsewhere])
        == "CROSS_DISTRICT_MERGE"
    )
    street = Actors.street(hub_server, "110107011")
    assert await refused(gql, MERGE, street, caseNumber=main, duplicateNumbers=again) == "FORBIDDEN"
    # when the hotline merges the two duplicates into the main order
    merged = await ok(gql, MERGE, actors.hotline, caseNumber=main, duplicateNumbers=again)
    assert sorted(d["number"] for d in merged["duplicates"]) == sorted(again)
    query = (
        "query($n: String!) { case(number: $n) { status mergedInto { number } "
        "reporterContact dispatches { status } } }"
    )
    duplicate = (await gql.execute(query, {"n": again[0]}, token=actors.hotline))["case"]
    # then each keeps its number and caller, follows the main order, and its unit stands down
    assert duplicate == {
        "status": "MERGED",
        "mergedInto": {"number": main},
        "reporterContact": "13900001111",
        "dispatches": [{"status": "WITHDRAWN"}],
    }
    assert (
        await refused(gql, MERGE, actors.hotline, caseNumber=main, duplicateNumbers=[again[1]])
        == "ILLEGAL_TRANSITION"
    )
    # a duplicate's caller gets a return call once the main order is resolved
    assert (
        await refused(
            gql, FEEDBACK, actors.hotline, caseNumber=again[1], resolved=True, satisfied=True
        )
        == "ILLEGAL_TRANSITION"
    )
    await ok(gql, DISPATCH, actors.hotline, caseNumber=main, departmentCodes=[TEAM])
    await ok(gql, RESOLVE, Actors.department(hub_server, TEAM), caseNumber=main)
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=again[1], resolved=True, satisfied=True)
    # declining needs a reason, and takes only an order not yet worked on
    assert await refused(gql, DECLINE, actors.hotline, caseNumber=elsewhere) == "REASON_REQUIRED"
    declined = await ok(gql, DECLINE, actors.hotline, caseNumber=elsewhere, reason="咨询类，非诉求")
    assert declined["status"] == "DECLINED"
    assert await refused(gql, DECLINE, actors.hotline, caseNumber=main, reason="x") == (
        "ILLEGAL_TRANSITION"
    )


MERGED_CASE = """
query($n: String!) { case(number: $n) {
  status reopenCount feedback { resolved satisfied }
  dispatches { department { code } status } events { type note } } }"""


async def test_a_main_orders_reopening_reaches_its_duplicates_and_their_callers(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    team = Actors.department(hub_server, TEAM)
    main = await report(gql, actors.hotline, "小区电梯停运")
    again = [await report(gql, actors.hotline, f"小区电梯停运 {i}") for i in range(3)]
    await ok(gql, MERGE, actors.hotline, caseNumber=main, duplicateNumbers=again)
    await ok(gql, DISPATCH, actors.hotline, caseNumber=main, departmentCodes=[TEAM])
    await ok(gql, RESOLVE, team, caseNumber=main)

    async def read(number: str) -> dict[str, object]:
        data = await gql.execute(MERGED_CASE, {"n": number}, token=actors.hotline)
        found: dict[str, object] = data["case"]
        return found

    # given a duplicate's caller already called back on this resolution: not a second time
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=again[0], resolved=True, satisfied=True)
    assert (
        await refused(
            gql, FEEDBACK, actors.hotline, caseNumber=again[0], resolved=True, satisfied=False
        )
        == "ILLEGAL_TRANSITION"
    )
    # a duplicate's caller solved but dissatisfied does not reopen the main order: the caller's
    # own "solved, not satisfied" does not either; only "not solved" sends it back to work
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=again[1], resolved=True, satisfied=False)
    assert (await read(main))["status"] == "RESOLVED"
    # when the main order's own caller says it is not solved
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=main, resolved=False, satisfied=False)
    # then the main order is back with its unit, and every duplicate's timeline says so
    reopened = await read(main)
    assert (reopened["status"], reopened["reopenCount"]) == ("DISPATCHED", 1)
    for number in again:
        duplicate = await read(number)
        assert duplicate["status"] == "MERGED"
        assert types(duplicate)[-1] == "MAIN_ORDER_REOPENED"
    # and a duplicate's caller waits for the main order again, then gets a new return call
    assert (
        await refused(gql, FEEDBACK, actors.hotline, caseNumber=again[0], resolved=True)
        == "ILLEGAL_TRANSITION"
    )
    await ok(gql, RESOLVE, team, caseNumber=main)
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=again[0], resolved=True, satisfied=True)
    # when a duplicate's caller, reached this time, says it is not solved
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=again[2], resolved=False, satisfied=False)
    # then the main order reopens as if its own caller had said so, and says whose call it was
    main_now = await read(main)
    assert (main_now["status"], main_now["reopenCount"]) == ("DISPATCHED", 2)
    assert main_now["dispatches"] == [{"department": {"code": TEAM}, "status": "DISPATCHED"}]
    last = main_now["events"][-2:]  # type: ignore[index]
    assert [event["type"] for event in last] == ["REOPENED", "RED_WARNING"]
    assert again[2] in last[0]["note"]
    # the main caller's own answer stands: the rates count the problem once, by the main order
    assert main_now["feedback"] == {"resolved": False, "satisfied": False}
    assert (await read(again[2]))["feedback"] == {"resolved": False, "satisfied": False}
    assert types(await read(again[1]))[-1] == "MAIN_ORDER_REOPENED"
    # a closed main order is not reopened by a duplicate's call: it was reviewed and archived,
    # the caller's answer is on record (a new complaint is a new order)
    await ok(gql, RESOLVE, team, caseNumber=main)
    await ok(gql, REVIEW_CLOSURE, actors.hotline, caseNumber=main, approve=True)
    await ok(gql, FEEDBACK, actors.hotline, caseNumber=again[1], resolved=False, satisfied=False)
    assert (await read(main))["status"] == "CLOSED"
