"""A whistle up to the city: Daxing's district mayor summons three city commissions (2019)."""

from __future__ import annotations

import pytest

from tests.cases.factories import Actors
from tests.conftest import GraphQLClient, HubServer
from tests.whistles.factories import (
    ACKNOWLEDGE,
    BLOW,
    COMPLETE,
    EVALUATE,
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

DAXING = "110115"
GUOLING_HOLIDAY = {"lat": 39.7366, "lng": 116.3297}  # 果岭假日小区, Huangcun (110115005)
# 市住建委、市发改委、市规划委, in the order the responsibility matrix names them.
CITY_COMMISSIONS = [
    "110000.HOUSING_CONSTRUCTION",
    "110000.DEVELOPMENT_REFORM",
    "110000.PLANNING_NATURAL_RESOURCES",
]
SUMMONED = ["110115.HOUSING_CONSTRUCTION", *CITY_COMMISSIONS]

PERFORMANCE = """query($department: String, $jurisdiction: String) {
  departmentPerformance(departmentCode: $department, jurisdictionCode: $jurisdiction) {
    department { code } summonsReceived acknowledgedInTime arrivedInTime
    medianMinutesToArrive averageRating overdue
  }
}"""


async def unfinished_estate(gql: GraphQLClient, server: HubServer) -> dict[str, object]:
    return await report_case(
        gql,
        Actors(server).hotline,
        "果岭假日小区烂尾十八年，214户交了全款无法交房，无暖气、无天然气、无市政电",
        "UNFINISHED_BUILDING",
        source="HOTLINE_12345",
        location=GUOLING_HOLIDAY,
        externalRef={"system": "hotline-12345", "id": "GL-2019"},
    )


async def test_the_matrix_sends_an_unfinished_estate_up_to_the_city(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    case = await unfinished_estate(gql, hub_server)
    data = await gql.execute(
        "query($n: [String!]!) { suggestSummons(caseNumbers: $n) "
        "{ scope departments { code } partners { code } } }",
        {"n": [case["number"]]},
        token=platform(hub_server, DAXING),
    )
    assert data["suggestSummons"] == {
        "scope": "CITY",
        "departments": [{"code": code} for code in SUMMONED],
        "partners": [],
    }


async def test_daxing_whistles_the_city_commissions_and_rates_them(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    daxing = platform(hub_server, DAXING)
    city = Actors(hub_server).city
    case = await unfinished_estate(gql, hub_server)
    # given the district mayor whistles the city's commissions (区政府向市级部门吹哨)
    whistle = await ok(
        gql,
        BLOW,
        daxing,
        callerCode=DAXING,
        kind="KEY_TASK",
        caseNumbers=[case["number"]],
        departmentCodes=SUMMONED,
        reason="烂尾楼问题涉及市区两级多个部门",
        reportWithinMinutes=7 * 24 * 60,
    )
    number = whistle["number"]
    assert (whistle["scope"], whistle["status"]) == ("CITY", "PENDING_REVIEW")
    # then the commissions see nothing until the city platform accepts, and Daxing cannot
    # accept its own whistle to the city
    commission = Actors.department(hub_server, "110000.DEVELOPMENT_REFORM")
    assert await get(gql, number, commission) is None
    own = await refused(gql, REVIEW, daxing, whistleNumber=number, approve=True)
    assert own["code"] == "FORBIDDEN"
    whistle = await ok(gql, REVIEW, city, whistleNumber=number, approve=True, note="市级统筹")
    assert whistle["status"] == "SUMMONING"
    assert whistle["reportWithinMinutes"] == 7 * 24 * 60
    # when each department acknowledges and reports in on site
    for code in SUMMONED:
        token = Actors.department(hub_server, code)
        summons_id = party(whistle, code)["id"]
        await ok(gql, ACKNOWLEDGE, token, summonsId=summons_id)
        await ok(gql, REPORT_IN, token, summonsId=summons_id, location=GUOLING_HOLIDAY)
    whistle = await ok(
        gql,
        SCHEDULE,
        daxing,
        whistleNumber=number,
        at="2020-03-30T09:00:00+08:00",
        place="果岭假日小区现场",
        assignments=[
            {"summonsId": party(whistle, SUMMONED[0])["id"], "task": "协调出图、申报燃气电力"}
        ],
    )
    for code in SUMMONED:
        await ok(
            gql, COMPLETE, Actors.department(hub_server, code), summonsId=party(whistle, code)["id"]
        )
    whistle = await ok(gql, RESOLVE, daxing, whistleNumber=number, note="完成验收，正式交房")
    scores = dict(zip(SUMMONED, (5, 4, 5, 3), strict=True))  # 区住建委 5, 市住建委 4, …
    await ok(
        gql,
        EVALUATE,
        daxing,
        whistleNumber=number,
        ratings=[{"summonsId": party(whistle, c)["id"], "score": s} for c, s in scores.items()],
    )
    # then the report-in figures count each commission's summons, on time, and its rating
    data = await gql.execute(
        PERFORMANCE, {"jurisdiction": "110000"}, token=Actors(hub_server).observer
    )
    rows = {row["department"]["code"]: row for row in data["departmentPerformance"]}
    assert sorted(rows) == sorted(SUMMONED)
    reform = rows["110000.DEVELOPMENT_REFORM"]
    assert reform["summonsReceived"] == 1
    assert (reform["acknowledgedInTime"], reform["arrivedInTime"], reform["overdue"]) == (1, 1, 0)
    assert reform["averageRating"] == 5.0
    assert 0 <= reform["medianMinutesToArrive"] < 7 * 24 * 60
    assert rows["110000.PLANNING_NATURAL_RESOURCES"]["averageRating"] == 3.0
    district_only = await gql.execute(PERFORMANCE, {"jurisdiction": DAXING}, token=daxing)
    assert [r["department"]["code"] for r in district_only["departmentPerformance"]] == [
        SUMMONED[0]
    ]
    never = await gql.execute(PERFORMANCE, {"department": "110000.FINANCE"}, token=daxing)
    assert never["departmentPerformance"] == [
        {
            "department": {"code": "110000.FINANCE"},
            "summonsReceived": 0,
            "acknowledgedInTime": 0,
            "arrivedInTime": 0,
            "medianMinutesToArrive": None,
            "averageRating": None,
            "overdue": 0,
        }
    ]
    anonymous = await gql.post(PERFORMANCE, {"department": "110000.FINANCE"})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
