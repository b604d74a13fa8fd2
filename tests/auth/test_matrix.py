"""The authorization matrix: every role × every mutation and sensitive field, over HTTP.

Each row sets the target up afresh (so only the actor differs), lets each role try, and
compares who succeeded and how the others were refused with the expected table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hub.auth.actors import Role
from tests.cases import factories as cases
from tests.conftest import GraphQLClient, HubServer
from tests.whistles import factories as whistles

pytestmark = pytest.mark.usefixtures("clean")

SITE = {"lat": 39.900, "lng": 116.235}  # 鲁谷街道 (110107011), Shijingshan
STREET, DISTRICT = "110107011", "110107"
TEAM = f"{STREET}.URBAN_MANAGEMENT"
OK = "OK"


def tokens(server: HubServer, grid: str) -> dict[str, str]:
    """One actor per role, all of them close to the case (the department is the one sent)."""
    return {
        "CITY_PLATFORM": server.token(Role.CITY_PLATFORM, jurisdiction="110000"),
        "DISTRICT_PLATFORM": server.token(Role.DISTRICT_PLATFORM, jurisdiction=DISTRICT),
        "STREET_OFFICE": server.token(Role.STREET_OFFICE, jurisdiction=STREET),
        "DEPARTMENT": server.token(Role.DEPARTMENT, jurisdiction=STREET, department=TEAM),
        "GRID_WORKER": server.token(Role.GRID_WORKER, jurisdiction=grid),
        "HOTLINE": server.token(Role.HOTLINE, jurisdiction="110000"),
        "OBSERVER": server.token(Role.OBSERVER, jurisdiction="110000"),
        "ANONYMOUS": "",
    }


async def outcome(gql: GraphQLClient, query: str, token: str, **input: Any) -> str:
    payload = await cases.mutate(gql, query, token, **input)
    return OK if not payload["errors"] else str(payload["errors"][0]["code"])


async def new_case(gql: GraphQLClient, server: HubServer, state: str) -> dict[str, Any]:
    """A case at Lugu in ``state``: RECEIVED, DISPATCHED (to the team) or RESOLVED."""
    city = server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    case = await cases.ok(
        gql,
        cases.REPORT,
        city,
        description="占道经营",
        source="HOTLINE_12345",
        categoryCode="STREET_VENDOR",
        location=SITE,
        reporterContact="13912345678",
    )
    if state in ("DISPATCHED", "RESOLVED"):
        await cases.ok(gql, cases.DISPATCH, city, caseNumber=case["number"], departmentCodes=[TEAM])
    if state == "RESOLVED":
        await cases.ok(gql, cases.RESOLVE, city, caseNumber=case["number"])
    return case


F = "FORBIDDEN"
N = "NOT_FOUND"
CASE_MATRIX: list[tuple[str, str, str, dict[str, str]]] = [
    # mutation, query, state, expected outcome per role
    (
        "dispatchCase",
        cases.DISPATCH,
        "RECEIVED",
        {
            "CITY_PLATFORM": OK,
            "DISTRICT_PLATFORM": OK,
            "STREET_OFFICE": OK,
            "DEPARTMENT": N,
            "GRID_WORKER": F,
            "HOTLINE": OK,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
    (
        "respondToCase",
        cases.RESPOND,
        "DISPATCHED",
        {
            "CITY_PLATFORM": OK,
            "DISTRICT_PLATFORM": OK,
            "STREET_OFFICE": OK,
            "DEPARTMENT": OK,
            "GRID_WORKER": F,
            "HOTLINE": F,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
    (
        "resolveCase",
        cases.RESOLVE,
        "DISPATCHED",
        {
            "CITY_PLATFORM": OK,
            "DISTRICT_PLATFORM": OK,
            "STREET_OFFICE": OK,
            "DEPARTMENT": OK,
            "GRID_WORKER": F,
            "HOTLINE": F,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
    (
        "recordFeedback",
        cases.FEEDBACK,
        "RESOLVED",
        {
            "CITY_PLATFORM": OK,
            "DISTRICT_PLATFORM": F,
            "STREET_OFFICE": F,
            "DEPARTMENT": F,
            "GRID_WORKER": F,
            "HOTLINE": OK,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
    (
        "closeCase",
        cases.CLOSE,
        "RESOLVED",
        {
            "CITY_PLATFORM": OK,
            "DISTRICT_PLATFORM": OK,
            "STREET_OFFICE": OK,
            "DEPARTMENT": F,
            "GRID_WORKER": F,
            "HOTLINE": OK,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
]


async def grid_of_site(gql: GraphQLClient) -> str:
    data = await gql.execute("{ locate(point: {lat: 39.9, lng: 116.235}) { grid { code } } }")
    return str(data["locate"]["grid"]["code"])


@pytest.mark.parametrize(
    ("name", "query", "state", "expected"), CASE_MATRIX, ids=[row[0] for row in CASE_MATRIX]
)
async def test_case_mutations_by_role(
    gql: GraphQLClient,
    hub_server: HubServer,
    name: str,
    query: str,
    state: str,
    expected: dict[str, str],
) -> None:
    actors = tokens(hub_server, await grid_of_site(gql))
    extra = {"departmentCodes": [TEAM]} if name == "dispatchCase" else {}
    if name == "recordFeedback":
        extra = {"resolved": True, "satisfied": True}
    seen = {}
    for role, token in actors.items():
        case = await new_case(gql, hub_server, state)
        seen[role] = await outcome(gql, query, token, caseNumber=case["number"], **extra)
    assert seen == expected


async def test_report_case_by_role(gql: GraphQLClient, hub_server: HubServer) -> None:
    actors = tokens(hub_server, await grid_of_site(gql))
    seen = {
        role: await outcome(
            gql,
            cases.REPORT,
            token,
            description="井盖缺失",
            source="GRID_PATROL",
            categoryCode="ROAD_DAMAGE",
            location=SITE,
        )
        for role, token in actors.items()
    }
    assert seen == {role: OK for role in actors} | {"OBSERVER": F, "ANONYMOUS": F}
    # and nobody reports outside their own area
    elsewhere = {"lat": 39.9087, "lng": 116.3975}
    for role in ("DISTRICT_PLATFORM", "STREET_OFFICE", "GRID_WORKER"):
        assert (
            await outcome(
                gql,
                cases.REPORT,
                actors[role],
                description="x",
                source="GRID_PATROL",
                categoryCode="OTHER",
                location=elsewhere,
            )
            == F
        ), role


CONTACT = "query($n: String!) { case(number: $n) { reporterContact } }"


async def test_reporter_contact_by_role(gql: GraphQLClient, hub_server: HubServer) -> None:
    actors = tokens(hub_server, await grid_of_site(gql))
    case = await new_case(gql, hub_server, "DISPATCHED")
    seen = {}
    for role, token in actors.items():
        data = await gql.execute(CONTACT, {"n": case["number"]}, token=token or None)
        seen[role] = data["case"]["reporterContact"] if data["case"] else None
    full, masked = "13912345678", "139****5678"
    assert seen == {
        "CITY_PLATFORM": full,
        "HOTLINE": full,
        "DISTRICT_PLATFORM": masked,
        "STREET_OFFICE": masked,
        "DEPARTMENT": masked,
        "GRID_WORKER": masked,
        "OBSERVER": None,
        "ANONYMOUS": None,
    }


Setup = Callable[[GraphQLClient, HubServer], Awaitable[dict[str, Any]]]


async def summoned(gql: GraphQLClient, server: HubServer) -> dict[str, Any]:
    return await whistles.garbage_whistle(gql, server)


async def arrived(gql: GraphQLClient, server: HubServer) -> dict[str, Any]:
    whistle = await summoned(gql, server)
    for code in (TEAM, whistles.DISTRICT_TEAM):
        token = server.token(Role.DEPARTMENT, jurisdiction=code.split(".")[0], department=code)
        summons = whistles.party(whistle, code)
        await whistles.ok(gql, whistles.REPORT_IN, token, summonsId=summons["id"], location=SITE)
    return whistle


async def completed(gql: GraphQLClient, server: HubServer) -> dict[str, Any]:
    whistle = await arrived(gql, server)
    for code in (TEAM, whistles.DISTRICT_TEAM):
        token = server.token(Role.DEPARTMENT, jurisdiction=code.split(".")[0], department=code)
        summons = whistles.party(whistle, code)
        await whistles.ok(gql, whistles.COMPLETE, token, summonsId=summons["id"])
    return whistle


async def resolved(gql: GraphQLClient, server: HubServer) -> dict[str, Any]:
    whistle = await completed(gql, server)
    street = server.token(Role.STREET_OFFICE, jurisdiction=STREET)
    await whistles.ok(gql, whistles.RESOLVE, street, whistleNumber=whistle["number"])
    return whistle


def team_summons(whistle: dict[str, Any]) -> dict[str, Any]:
    return {"summonsId": whistles.party(whistle, TEAM)["id"]}


WHISTLE_MATRIX: list[
    tuple[str, str, Setup, Callable[[dict[str, Any]], dict[str, Any]], dict[str, str]]
] = [
    (
        "acknowledgeSummons",
        whistles.ACKNOWLEDGE,
        summoned,
        team_summons,
        {
            "CITY_PLATFORM": F,
            "DISTRICT_PLATFORM": F,
            "STREET_OFFICE": F,
            "DEPARTMENT": OK,
            "GRID_WORKER": N,
            "HOTLINE": N,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
    (
        "reportIn",
        whistles.REPORT_IN,
        summoned,
        lambda w: team_summons(w) | {"location": SITE},
        {
            "CITY_PLATFORM": F,
            "DISTRICT_PLATFORM": F,
            "STREET_OFFICE": F,
            "DEPARTMENT": OK,
            "GRID_WORKER": N,
            "HOTLINE": N,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
    (
        "completeSummons",
        whistles.COMPLETE,
        arrived,
        team_summons,
        {
            "CITY_PLATFORM": F,
            "DISTRICT_PLATFORM": F,
            "STREET_OFFICE": F,
            "DEPARTMENT": OK,
            "GRID_WORKER": N,
            "HOTLINE": N,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
    (
        "resolveWhistle",
        whistles.RESOLVE,
        completed,
        lambda w: {"whistleNumber": w["number"]},
        {
            "CITY_PLATFORM": F,  # only the caller, or a platform it escalated to
            "DISTRICT_PLATFORM": F,
            "STREET_OFFICE": OK,
            "DEPARTMENT": F,
            "GRID_WORKER": N,
            "HOTLINE": N,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
    (
        "evaluateWhistle",
        whistles.EVALUATE,
        resolved,
        lambda w: {
            "whistleNumber": w["number"],
            "ratings": [{"summonsId": whistles.party(w, TEAM)["id"], "score": 5}],
        },
        {
            "CITY_PLATFORM": F,
            "DISTRICT_PLATFORM": F,
            "STREET_OFFICE": OK,
            "DEPARTMENT": F,
            "GRID_WORKER": N,
            "HOTLINE": N,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
    (
        "escalateWhistle",
        whistles.ESCALATE,
        summoned,
        lambda w: {"whistleNumber": w["number"], "reason": "部门未到"},
        {
            "CITY_PLATFORM": OK,
            "DISTRICT_PLATFORM": OK,
            "STREET_OFFICE": OK,
            "DEPARTMENT": F,
            "GRID_WORKER": N,
            "HOTLINE": N,
            "OBSERVER": N,
            "ANONYMOUS": N,
        },
    ),
]


@pytest.mark.parametrize(
    ("name", "query", "setup", "make_input", "expected"),
    WHISTLE_MATRIX,
    ids=[row[0] for row in WHISTLE_MATRIX],
)
async def test_whistle_mutations_by_role(
    gql: GraphQLClient,
    hub_server: HubServer,
    name: str,
    query: str,
    setup: Setup,
    make_input: Callable[[dict[str, Any]], dict[str, Any]],
    expected: dict[str, str],
) -> None:
    actors = tokens(hub_server, await grid_of_site(gql))
    seen = {}
    for role, token in actors.items():
        whistle = await setup(gql, hub_server)
        seen[role] = await outcome(gql, query, token, **make_input(whistle))
    assert seen == expected, name


async def test_who_may_blow_and_who_sees_a_whistle(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = tokens(hub_server, await grid_of_site(gql))
    street = actors["STREET_OFFICE"]
    case = await whistles.report_case(
        gql, street, "垃圾", "GARBAGE", source="GRID_PATROL", location=SITE
    )
    call = {
        "callerCode": STREET,
        "kind": "DAILY_ENFORCEMENT",
        "caseNumbers": [case["number"]],
        "departmentCodes": [TEAM],
        "reason": "清运",
    }
    blown = {
        role: await outcome(gql, whistles.BLOW, token, **call) for role, token in actors.items()
    }
    # a street office blows for itself; a district platform only in its own name
    assert {role for role, result in blown.items() if result == OK} == {
        "STREET_OFFICE",
    }
    whistle = await summoned(gql, hub_server)
    sees = {
        role: await whistles.get(gql, whistle["number"], token) is not None
        for role, token in actors.items()
        if token
    }
    assert sees == {
        "CITY_PLATFORM": True,
        "DISTRICT_PLATFORM": True,
        "STREET_OFFICE": True,
        "DEPARTMENT": True,
        "GRID_WORKER": False,
        "HOTLINE": False,
        "OBSERVER": False,
    }


# ── The 12345 centre's steps ─────────────────────────────────────────────────────────────

Make = Callable[[GraphQLClient, HubServer, dict[str, Any]], Awaitable[dict[str, Any]]]


async def order_case(gql: GraphQLClient, server: HubServer, state: str) -> dict[str, Any]:
    """A case at Lugu: RECEIVED, DISPATCHED, RESOLVED, RETURNED, EXTENSION (asked), OVERDUE."""
    if state in ("RECEIVED", "DISPATCHED", "RESOLVED"):
        return await new_case(gql, server, state)
    city = server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    team = server.token(Role.DEPARTMENT, jurisdiction=STREET, department=TEAM)
    ago = "2020-01-01T09:00:00+08:00" if state == "OVERDUE" else None
    case = await cases.ok(
        gql,
        cases.REPORT,
        city,
        description="占道经营",
        source="HOTLINE_12345",
        categoryCode="STREET_VENDOR",
        location=SITE,
        **({"reportedAt": ago} if ago else {}),
    )
    number = case["number"]
    await cases.ok(gql, cases.DISPATCH, city, caseNumber=number, departmentCodes=[TEAM])
    if state == "RETURNED":
        await cases.ok(gql, cases.RETURN, team, caseNumber=number, reason="OTHER", note="非本单位")
    if state == "EXTENSION":
        await cases.ok(gql, cases.REQUEST_EXTENSION, team, **await extension(gql, server, case))
    return case


async def number_only(_: GraphQLClient, __: HubServer, case: dict[str, Any]) -> dict[str, Any]:
    return {"caseNumber": case["number"]}


def with_(**extra: Any) -> Make:
    async def make(_: GraphQLClient, __: HubServer, case: dict[str, Any]) -> dict[str, Any]:
        return {"caseNumber": case["number"], **extra}

    return make


async def extension(_: GraphQLClient, __: HubServer, case: dict[str, Any]) -> dict[str, Any]:
    until = dt.datetime.fromisoformat(case["resolveBy"]) + dt.timedelta(days=1)
    return {"caseNumber": case["number"], "until": until.isoformat(), "reason": "待协调"}


async def with_duplicate(
    gql: GraphQLClient, server: HubServer, case: dict[str, Any]
) -> dict[str, Any]:
    duplicate = await new_case(gql, server, "RECEIVED")
    return {"caseNumber": case["number"], "duplicateNumbers": [duplicate["number"]]}


UNIT_ONLY = {
    "CITY_PLATFORM": F,
    "DISTRICT_PLATFORM": F,
    "STREET_OFFICE": F,
    "DEPARTMENT": OK,
    "GRID_WORKER": F,
    "HOTLINE": F,
    "OBSERVER": N,
    "ANONYMOUS": N,
}
CENTRE = {
    "CITY_PLATFORM": OK,
    "DISTRICT_PLATFORM": OK,
    "STREET_OFFICE": F,
    "DEPARTMENT": F,
    "GRID_WORKER": F,
    "HOTLINE": OK,
    "OBSERVER": N,
    "ANONYMOUS": N,
}
BEFORE_DISPATCH = CENTRE | {"DEPARTMENT": N}  # the unit does not see an order not sent to it
ORDER_MATRIX: list[tuple[str, str, str, Make, dict[str, str]]] = [
    ("signForCase", cases.SIGN, "DISPATCHED", number_only, UNIT_ONLY),
    ("returnCase", cases.RETURN, "DISPATCHED", with_(reason="NOT_OUR_AREA", note="x"), UNIT_ONLY),
    (
        "reviewReturn",
        cases.REVIEW_RETURN,
        "RETURNED",
        with_(departmentCode=TEAM, approve=False),
        CENTRE,
    ),
    ("requestExtension", cases.REQUEST_EXTENSION, "DISPATCHED", extension, UNIT_ONLY),
    ("reviewExtension", cases.REVIEW_EXTENSION, "EXTENSION", with_(approve=True), CENTRE),
    ("urgeCase", cases.URGE, "DISPATCHED", number_only, CENTRE),
    ("superviseCase", cases.SUPERVISE, "OVERDUE", number_only, CENTRE | {"HOTLINE": F}),
    ("mergeCases", cases.MERGE, "RECEIVED", with_duplicate, BEFORE_DISPATCH),
    ("declineCase", cases.DECLINE, "RECEIVED", with_(reason="咨询"), BEFORE_DISPATCH),
    ("reviewClosure", cases.REVIEW_CLOSURE, "RESOLVED", with_(approve=True), CENTRE),
]


@pytest.mark.parametrize(
    ("name", "query", "state", "make_input", "expected"),
    ORDER_MATRIX,
    ids=[row[0] for row in ORDER_MATRIX],
)
async def test_order_steps_by_role(
    gql: GraphQLClient,
    hub_server: HubServer,
    name: str,
    query: str,
    state: str,
    make_input: Make,
    expected: dict[str, str],
) -> None:
    actors = tokens(hub_server, await grid_of_site(gql))
    seen: dict[str, str] = {}
    case: dict[str, Any] | None = None
    for role, token in actors.items():
        # A refusal changes nothing, so the same order serves until someone succeeds.
        case = case or await order_case(gql, hub_server, state)
        seen[role] = await outcome(gql, query, token, **await make_input(gql, hub_server, case))
        case = None if seen[role] == OK else case
    assert seen == expected, name


async def test_only_the_city_platform_sets_up_a_theme_of_the_month(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = tokens(hub_server, await grid_of_site(gql))
    seen = {
        role: await outcome(
            gql,
            cases.CREATE_THEME,
            token,
            month="2026-11",
            title=f"停水 {role}",
            leadDepartmentCode="110000.WATER",
            categoryCodes=["WATER_OUTAGE"],
        )
        for role, token in actors.items()
    }
    assert seen == {role: F for role in actors} | {"CITY_PLATFORM": OK}
