"""跨区吹哨 through the HTTP API: Guangwai (Xicheng) and Taipingqiao (Fengtai) demolish together."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hub.geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from tests.cases.factories import DISPATCH, RESPOND, Actors, mutate
from tests.cases.factories import ok as case_ok
from tests.conftest import GraphQLClient, HubServer
from tests.whistles.factories import (
    ACKNOWLEDGE,
    BLOW,
    CLOSE,
    COMPLETE,
    EVALUATE,
    JOIN,
    REPORT_IN,
    RESOLVE,
    REVIEW,
    SCHEDULE,
    get,
    ok,
    party,
    platform,
    refused,
    report_case,
)

pytestmark = pytest.mark.usefixtures("clean")

GUANGWAI, TAIPINGQIAO = "110102020", "110106002"
# The two-storey building astride the Xicheng/Fengtai line, and a point on Guangwai's side.
BUILDING = {
    "type": "Polygon",
    "coordinates": [
        [
            [116.314, 39.8787],
            [116.317, 39.8787],
            [116.317, 39.8817],
            [116.314, 39.8817],
            [116.314, 39.8787],
        ]
    ],
}
ON_SITE = {"lat": 39.8802, "lng": 116.3162}
XICHENG_TEAMS = [f"{GUANGWAI}.URBAN_MANAGEMENT", "110102.URBAN_MANAGEMENT"]
FENGTAI_TEAMS = [f"{TAIPINGQIAO}.URBAN_MANAGEMENT", "110106.URBAN_MANAGEMENT"]


async def boundary_case(gql: GraphQLClient, server: HubServer) -> dict[str, object]:
    return await report_case(
        gql,
        Actors.street(server, GUANGWAI),
        "农贸市场旁二层违建骑跨西城、丰台两区交界线，使用者称“有本事把楼锯了”",
        "ILLEGAL_CONSTRUCTION",
        source="STREET_CHIEF",
        location=ON_SITE,
        footprint=BUILDING,
    )


async def test_the_case_suggests_the_street_across_the_line(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    case = await boundary_case(gql, hub_server)
    assert [j["code"] for j in case["jurisdictionsCrossed"]] == [GUANGWAI, TAIPINGQIAO]  # type: ignore[index]
    data = await gql.execute(
        "query($n: [String!]!) { suggestSummons(caseNumbers: $n) "
        "{ scope departments { code } partners { code } } }",
        {"n": [case["number"]]},
        token=Actors.street(hub_server, GUANGWAI),
    )
    suggestion = data["suggestSummons"]
    assert suggestion["scope"] == "CROSS_DISTRICT"
    assert suggestion["partners"] == [{"code": TAIPINGQIAO}]
    # Xicheng's own departments only: Taipingqiao brings Fengtai's.
    assert [d["code"] for d in suggestion["departments"]] == [
        f"{GUANGWAI}.URBAN_MANAGEMENT",
        "110102.URBAN_MANAGEMENT",
        "110102.PLANNING_NATURAL_RESOURCES",
        "110102.HOUSING_CONSTRUCTION",
    ]


async def blow_across(gql: GraphQLClient, server: HubServer, number: str) -> dict[str, Any]:
    """Guangwai whistles Taipingqiao and its own enforcement teams on the case (跨区吹哨)."""
    return await ok(
        gql,
        BLOW,
        Actors.street(server, GUANGWAI),
        callerCode=GUANGWAI,
        kind="KEY_TASK",
        caseNumbers=[number],
        departmentCodes=XICHENG_TEAMS,
        partnerCodes=[TAIPINGQIAO],
        reason="交界违建，两区联合拆除",
    )


async def test_guangwai_and_taipingqiao_demolish_the_building_together(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    guangwai = Actors.street(hub_server, GUANGWAI)
    taipingqiao = Actors.street(hub_server, TAIPINGQIAO)
    case = await boundary_case(gql, hub_server)
    # given Guangwai whistles Taipingqiao and its own enforcement teams (跨区吹哨)
    whistle = await blow_across(gql, hub_server, str(case["number"]))
    number = whistle["number"]
    assert re.fullmatch(r"W-110102-\d{8}-000001", number)
    assert (whistle["scope"], whistle["status"]) == ("CROSS_DISTRICT", "PENDING_REVIEW")
    assert all(s["summonedAt"] is None for s in whistle["summons"])
    # then nobody is summoned before Xicheng's platform accepts it, so Fengtai sees nothing yet
    assert await get(gql, number, taipingqiao) is None
    fengtai = await refused(
        gql, REVIEW, platform(hub_server, "110106"), whistleNumber=number, approve=True
    )
    assert fengtai["code"] == "NOT_FOUND"
    # when Xicheng's district platform accepts it (区级平台受理)
    whistle = await ok(
        gql,
        REVIEW,
        platform(hub_server, "110102"),
        whistleNumber=number,
        approve=True,
        note="同意立项",
    )
    assert whistle["status"] == "SUMMONING"
    assert all(s["summonedAt"] is not None and s["reportBy"] for s in whistle["summons"])
    # then Taipingqiao sees the whole whistle and brings Fengtai's departments
    seen = await get(gql, number, taipingqiao)
    assert seen is not None
    assert seen["cases"] == [{"number": case["number"]}]
    partner = party(seen, TAIPINGQIAO)
    await ok(gql, ACKNOWLEDGE, taipingqiao, summonsId=partner["id"])
    foreign = await refused(
        gql, JOIN, taipingqiao, whistleNumber=number, departmentCodes=["110102.PUBLIC_SECURITY"]
    )
    assert (foreign["code"], foreign["field"]) == ("FORBIDDEN", "departmentCodes")
    whistle = await ok(gql, JOIN, taipingqiao, whistleNumber=number, departmentCodes=FENGTAI_TEAMS)
    for code in FENGTAI_TEAMS:
        assert party(whistle, code)["invitedBy"] == {"id": partner["id"]}
    # and both sides fix time, place and division of labour
    parties = [*XICHENG_TEAMS, TAIPINGQIAO, *FENGTAI_TEAMS]
    whistle = await ok(
        gql,
        SCHEDULE,
        guangwai,
        whistleNumber=number,
        at="2026-05-08T09:30:00+08:00",
        place="西城、丰台交界农贸市场二层违建",
        assignments=[
            {"summonsId": party(whistle, code)["id"], "task": f"拆除分工：{code}"}
            for code in parties
        ],
    )
    assert whistle["status"] == "IN_ACTION"
    assert whistle["jointAction"]["at"] == "2026-05-08T01:30:00+00:00"
    # when every party reports in on site, each with its own token and its own map's CRS
    gcj = wgs84_to_gcj02(ON_SITE["lng"], ON_SITE["lat"])
    bd = wgs84_to_bd09(ON_SITE["lng"], ON_SITE["lat"])
    points = [
        {"lat": gcj[1], "lng": gcj[0], "crs": "GCJ02"},
        {"lat": bd[1], "lng": bd[0], "crs": "BD09"},
    ]
    for index, code in enumerate(parties):
        token = taipingqiao if code == TAIPINGQIAO else Actors.department(hub_server, code)
        summons_id = party(whistle, code)["id"]
        await ok(
            gql, REPORT_IN, token, summonsId=summons_id, location=points[index % 2], note="已到场"
        )
    whistle = await get(gql, number, guangwai)  # type: ignore[assignment]
    for code in parties:
        arrived = party(whistle, code)
        assert arrived["status"] == "ARRIVED"
        assert not arrived["overdue"]
        assert arrived["arrivedLocation"]["lat"] == pytest.approx(ON_SITE["lat"], abs=1e-5)
        assert arrived["task"] == f"拆除分工：{code}"
    # then the whistle cannot be resolved while anyone is still at work (事不绝、人不撤)
    early = await refused(gql, RESOLVE, guangwai, whistleNumber=number)
    assert (early["code"], early["field"]) == ("PARTIES_OUTSTANDING", "releases")
    for code in parties:
        token = taipingqiao if code == TAIPINGQIAO else Actors.department(hub_server, code)
        await ok(gql, COMPLETE, token, summonsId=party(whistle, code)["id"], note="已拆除")
    whistle = await ok(gql, RESOLVE, guangwai, whistleNumber=number, note="违建全部拆除")
    assert whistle["status"] == "RESOLVED"
    assert whistle["resolvedAt"]
    # and the caller rates the departments (the partner street office is no department it
    # assesses), then feeds the result back and closes
    ratings = [
        {"summonsId": party(whistle, code)["id"], "score": 5, "comment": "配合到位"}
        for code in parties
        if code != TAIPINGQIAO
    ]
    whistle = await ok(gql, EVALUATE, guangwai, whistleNumber=number, ratings=ratings)
    assert party(whistle, TAIPINGQIAO)["rating"] is None
    assert {s["rating"]["score"] for s in whistle["summons"] if s["rating"]} == {5}
    whistle = await ok(gql, CLOSE, guangwai, whistleNumber=number, feedback="两区联手，违建拆除")
    assert (whistle["status"], whistle["feedback"]) == ("CLOSED", "两区联手，违建拆除")
    assert [e["type"] for e in whistle["events"]] == [
        "BLOWN",
        "APPROVED",
        "SUMMONS_SENT",
        "SUMMONS_ACKNOWLEDGED",
        "JOINED",
        "SUMMONS_SENT",
        "JOINT_ACTION_SCHEDULED",
        *["REPORTED_IN"] * 5,
        *["SUMMONS_COMPLETED"] * 5,
        "RESOLVED",
        *["RATED"] * 4,  # the departments only
        "CLOSED",
    ]
    assert whistle["events"][1]["actor"] == {"sub": "platform-110102", "role": "DISTRICT_PLATFORM"}


async def test_both_districts_find_the_whistle_in_their_lists(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    case = await boundary_case(gql, hub_server)
    whistle = await ok(
        gql,
        BLOW,
        Actors.street(hub_server, GUANGWAI),
        callerCode=GUANGWAI,
        kind="EMERGENCY",
        caseNumbers=[case["number"]],
        partnerCodes=[TAIPINGQIAO],
        reason="违建存在坍塌危险",
    )
    # an emergency summons at once, and is reviewed after
    assert (whistle["scope"], whistle["status"], whistle["reviewedAt"]) == (
        "CROSS_DISTRICT",
        "SUMMONING",
        None,
    )
    query = """query($case: String!) {
      fengtai: whistles(filter: {jurisdictionCode: "110106", scope: CROSS_DISTRICT}) {
        totalCount nodes { number } }
      street: jurisdiction(code: "110106002") { whistles { nodes { number } } }
      case(number: $case) { whistles { totalCount nodes { number } } }
    }"""
    fengtai = await gql.execute(
        query, {"case": case["number"]}, token=platform(hub_server, "110106")
    )
    assert fengtai["fengtai"] == {"totalCount": 1, "nodes": [{"number": whistle["number"]}]}
    assert fengtai["street"]["whistles"]["nodes"] == [{"number": whistle["number"]}]
    assert fengtai["case"]["whistles"]["nodes"] == [{"number": whistle["number"]}]
    reviewed = await ok(
        gql, REVIEW, platform(hub_server, "110102"), whistleNumber=whistle["number"], approve=True
    )
    assert reviewed["status"] == "SUMMONING"
    assert reviewed["reviewedAt"] is not None
    again = await refused(
        gql, REVIEW, platform(hub_server, "110000"), whistleNumber=whistle["number"], approve=True
    )
    assert again["code"] == "ILLEGAL_TRANSITION"


SEEN = """query($number: String!) {
  case(number: $number) { number }
  cases { totalCount nodes { number } }
}"""


async def test_a_summoned_department_reads_the_whistles_case_once_summoned_but_acts_on_dispatch(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    guangwai = Actors.street(hub_server, GUANGWAI)
    team, stranger = "110102.URBAN_MANAGEMENT", "110102.PUBLIC_SECURITY"
    case = await boundary_case(gql, hub_server)
    number = str(case["number"])
    # given Guangwai's whistle on the case, summoning Xicheng's teams once it is accepted
    whistle = await blow_across(gql, hub_server, number)
    # then before the summons goes out, the team sees nothing of the case
    nothing = {"case": None, "cases": {"totalCount": 0, "nodes": []}}
    seen = await gql.execute(SEEN, {"number": number}, token=Actors.department(hub_server, team))
    assert seen == nothing
    # when Xicheng's platform accepts the whistle and the summons goes out
    await ok(
        gql, REVIEW, platform(hub_server, "110102"), whistleNumber=whistle["number"], approve=True
    )
    # then the summoned team reads the case it is summoned for, by number and in its list
    seen = await gql.execute(SEEN, {"number": number}, token=Actors.department(hub_server, team))
    listed = {"totalCount": 1, "nodes": [{"number": number}]}
    assert seen == {"case": {"number": number}, "cases": listed}
    # and a department not summoned still sees nothing
    stranger_token = Actors.department(hub_server, stranger)
    assert await gql.execute(SEEN, {"number": number}, token=stranger_token) == nothing
    # and the team acts on the case only once it is dispatched to it
    payload = await mutate(gql, RESPOND, Actors.department(hub_server, team), caseNumber=number)
    [refusal] = payload["errors"]
    assert (refusal["code"], refusal["field"]) == ("FORBIDDEN", "caseNumber")
    await case_ok(gql, DISPATCH, guangwai, caseNumber=number, departmentCodes=[team])
    responded = await case_ok(gql, RESPOND, Actors.department(hub_server, team), caseNumber=number)
    assert responded["status"] == "RESPONDED"
