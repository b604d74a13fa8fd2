"""What the whistle workflow refuses, and what it does not reveal."""

from __future__ import annotations

import pytest

from tests.cases.factories import Actors
from tests.conftest import GraphQLClient, HubServer
from tests.whistles.factories import (
    BLOW,
    CLOSE,
    COMPLETE,
    DISTRICT_TEAM,
    EVALUATE,
    LUGU,
    REPORT_IN,
    RESOLVE,
    REVIEW,
    SITE,
    TEAM,
    garbage_whistle,
    get,
    ok,
    party,
    platform,
    refused,
    report_case,
)

pytestmark = pytest.mark.usefixtures("clean")

MISSING = "U3VtbW9uczo5OTk5OTk5"  # Summons:9999999


async def count_whistles(gql: GraphQLClient, token: str) -> int:
    data = await gql.execute("{ whistles(first: 1) { totalCount } }", token=token)
    return int(data["whistles"]["totalCount"])


async def test_reporting_in_for_another_departments_summons_is_refused(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    whistle = await garbage_whistle(gql, hub_server)
    assert (whistle["scope"], whistle["status"]) == ("DISTRICT", "SUMMONING")
    team_summons = party(whistle, TEAM)["id"]
    # a department summoned to the same whistle sees it, but the summons is not its own
    co_summoned = Actors.department(hub_server, DISTRICT_TEAM)
    error = await refused(gql, REPORT_IN, co_summoned, summonsId=team_summons, location=SITE)
    assert (error["code"], error["field"]) == ("FORBIDDEN", "summonsId")
    # a department not summoned learns nothing: the same answer as for a summons that is not
    outsider = Actors.department(hub_server, "110102.URBAN_MANAGEMENT")
    hidden = await refused(gql, REPORT_IN, outsider, summonsId=team_summons, location=SITE)
    missing = await refused(gql, REPORT_IN, outsider, summonsId=MISSING, location=SITE)
    assert hidden["code"] == missing["code"] == "NOT_FOUND"
    assert hidden["message"].replace(team_summons, "X") == missing["message"].replace(MISSING, "X")
    assert await get(gql, whistle["number"], outsider) is None
    # and nobody reported in
    seen = await get(gql, whistle["number"], Actors.street(hub_server, LUGU))
    assert seen is not None
    assert {s["status"] for s in seen["summons"]} == {"SUMMONED"}


async def test_people_do_not_withdraw_until_done_unless_released_with_a_reason(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    street = Actors.street(hub_server, LUGU)
    whistle = await garbage_whistle(gql, hub_server)
    number, team, district = whistle["number"], party(whistle, TEAM), party(whistle, DISTRICT_TEAM)
    team_token = Actors.department(hub_server, TEAM)
    await ok(gql, REPORT_IN, team_token, summonsId=team["id"], location=SITE)
    await ok(gql, COMPLETE, team_token, summonsId=team["id"], note="已清运")
    # rating before resolution is refused
    early = await refused(
        gql, EVALUATE, street, whistleNumber=number, ratings=[{"summonsId": team["id"], "score": 5}]
    )
    assert early["code"] == "ILLEGAL_TRANSITION"
    # resolving while the district team is still out is refused (事不绝、人不撤)
    out = await refused(gql, RESOLVE, street, whistleNumber=number)
    assert (out["code"], out["field"]) == ("PARTIES_OUTSTANDING", "releases")
    assert DISTRICT_TEAM in out["message"]
    blank = await refused(
        gql,
        RESOLVE,
        street,
        whistleNumber=number,
        releases=[{"summonsId": district["id"], "reason": " "}],
    )
    assert blank["code"] == "INVALID_INPUT"
    # releasing it with a reason resolves the whistle
    resolved = await ok(
        gql,
        RESOLVE,
        street,
        whistleNumber=number,
        releases=[{"summonsId": district["id"], "reason": "街道队伍已处置完毕，无需区队到场"}],
    )
    assert resolved["status"] == "RESOLVED"
    assert party(resolved, DISTRICT_TEAM)["releaseReason"] == "街道队伍已处置完毕，无需区队到场"
    assert party(resolved, DISTRICT_TEAM)["status"] == "SUMMONED"
    assert resolved["releaseReason"] == "街道队伍已处置完毕，无需区队到场"
    # the caller rates 1–5, and must rate every party that completed before closing
    bad = await refused(
        gql, EVALUATE, street, whistleNumber=number, ratings=[{"summonsId": team["id"], "score": 6}]
    )
    assert (bad["code"], bad["field"]) == ("INVALID_INPUT", "ratings")
    unrated = await refused(gql, CLOSE, street, whistleNumber=number, feedback="已办结")
    assert unrated["code"] == "NOT_EVALUATED"
    others = await refused(
        gql,
        EVALUATE,
        team_token,
        whistleNumber=number,
        ratings=[{"summonsId": team["id"], "score": 5}],
    )
    assert others["code"] == "FORBIDDEN"
    await ok(
        gql, EVALUATE, street, whistleNumber=number, ratings=[{"summonsId": team["id"], "score": 4}]
    )
    closed = await ok(gql, CLOSE, street, whistleNumber=number, feedback="已办结")
    assert closed["status"] == "CLOSED"


async def test_observers_and_the_hotline_see_no_individual_whistles(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    whistle = await garbage_whistle(gql, hub_server)
    actors = Actors(hub_server)
    query = """query($number: String!, $whistle: ID!, $summons: ID!) {
      whistle(number: $number) { number }
      whistles { totalCount }
      w: node(id: $whistle) { id } s: node(id: $summons) { id }
    }"""
    variables = {
        "number": whistle["number"],
        "whistle": whistle["id"],
        "summons": party(whistle, TEAM)["id"],
    }
    for token in (actors.observer, actors.hotline, None):
        data = await gql.execute(query, variables, token=token)
        assert data == {"whistle": None, "whistles": {"totalCount": 0}, "w": None, "s": None}
    seen = await gql.execute(query, variables, token=Actors.department(hub_server, TEAM))
    assert seen["w"] == {"id": whistle["id"]}
    assert seen["s"] == {"id": variables["summons"]}
    summons = await gql.execute(
        "query($id: ID!) { node(id: $id) "
        "{ ... on Summons { department { code } whistle { number } } } }",
        {"id": variables["summons"]},
        token=platform(hub_server, "110107"),
    )
    assert summons["node"] == {
        "department": {"code": TEAM},
        "whistle": {"number": whistle["number"]},
    }


async def test_bad_whistles_are_refused_with_a_code_and_write_nothing(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    street = Actors.street(hub_server, LUGU)
    city = Actors(hub_server).city
    case = await report_case(
        gql, street, "占道经营", "STREET_VENDOR", source="GRID_PATROL", location=SITE
    )
    hidden = await report_case(
        gql,
        city,
        "别处的案件",
        "NOISE",
        source="HOTLINE_12345",
        location={"lat": 39.888, "lng": 116.335},
    )
    call = {
        "callerCode": LUGU,
        "kind": "DAILY_ENFORCEMENT",
        "caseNumbers": [case["number"]],
        "departmentCodes": [TEAM],
        "reason": "占道经营",
    }
    cases = [
        ({"callerCode": "110107001"}, "FORBIDDEN", "callerCode"),
        ({"departmentCodes": ["110107.NOPE"]}, "UNKNOWN_DEPARTMENT", "departmentCodes"),
        ({"departmentCodes": []}, "INVALID_INPUT", "departmentCodes"),
        ({"partnerCodes": [LUGU]}, "UNKNOWN_JURISDICTION", "partnerCodes"),
        ({"caseNumbers": [hidden["number"]]}, "NOT_FOUND", "caseNumbers"),
        ({"caseNumbers": []}, "INVALID_INPUT", "caseNumbers"),
        ({"reason": "  "}, "INVALID_INPUT", "reason"),
        ({"reportWithinMinutes": 0}, "INVALID_INPUT", "reportWithinMinutes"),
    ]
    for change, code, field in cases:
        error = await refused(gql, BLOW, street, **(call | change))
        assert (error["code"], error["field"]) == (code, field), change
    assert await count_whistles(gql, city) == 0


async def test_the_platform_above_rejects_with_a_reason_and_nobody_is_summoned(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    whistle = await garbage_whistle(
        gql, hub_server, departmentCodes=[TEAM, "110108.URBAN_MANAGEMENT"]
    )
    assert (whistle["scope"], whistle["status"]) == ("CROSS_DISTRICT", "PENDING_REVIEW")
    shijingshan = platform(hub_server, "110107")
    mute = await refused(gql, REVIEW, shijingshan, whistleNumber=whistle["number"], approve=False)
    assert (mute["code"], mute["field"]) == ("INVALID_INPUT", "note")
    rejected = await ok(
        gql,
        REVIEW,
        shijingshan,
        whistleNumber=whistle["number"],
        approve=False,
        note="属地可自行处置",
    )
    assert (rejected["status"], rejected["events"][-1]["type"]) == ("REJECTED", "REJECTED")
    assert await get(gql, whistle["number"], Actors.department(hub_server, TEAM)) is None
    district = await garbage_whistle(gql, hub_server)
    needless = await refused(
        gql, REVIEW, shijingshan, whistleNumber=district["number"], approve=True
    )
    assert needless["code"] == "ILLEGAL_TRANSITION"
