"""接诉即办 through the HTTP API: intake, dual dispatch, return call, refusals."""

from __future__ import annotations

import re

import pytest

from hub.geo.crs import wgs84_to_gcj02
from tests.cases.factories import (
    CLOSE,
    DISPATCH,
    FEEDBACK,
    REPORT,
    RESOLVE,
    RESPOND,
    Actors,
    mutate,
    ok,
)
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU = {"lat": 39.900, "lng": 116.235}  # 鲁谷街道, Shijingshan (110107011)


async def count_cases(gql: GraphQLClient, token: str) -> int:
    data = await gql.execute("{ cases(first: 1) { totalCount } }", token=token)
    return int(data["cases"]["totalCount"])


async def test_lugu_dual_dispatch_is_done_in_a_day(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    """Lugu's parking-lock order went at once to the street's office and a second unit."""
    actors = Actors(hub_server)
    lng, lat = wgs84_to_gcj02(LUGU["lng"], LUGU["lat"])
    # given the hotline takes a call located in GCJ-02, as the 12345 system sends it
    case = await ok(
        gql,
        REPORT,
        actors.hotline,
        description="小区内有人私装地锁，占用公共车位",
        categoryCode="PARKING_LOCK",
        source="HOTLINE_12345",
        location={"lat": lat, "lng": lng, "crs": "GCJ02"},
        reporterContact="13812341234",
        externalRef={"system": "hotline-12345", "id": "GD-1"},
        reportedAt="2026-03-15T09:12:00+08:00",
    )
    assert re.fullmatch(r"C-110107-20260315-\d{6}", case["number"])
    assert case["status"] == "RECEIVED"
    assert case["subdistrict"]["code"] == "110107011"
    assert case["grid"]["code"].startswith("110107011")
    assert case["location"]["lat"] == pytest.approx(LUGU["lat"], abs=1e-6)
    assert case["reporterContact"] == "13812341234"  # the hotline calls back
    assert case["respondBy"] == "2026-03-16T01:12:00+00:00"  # routine: within a day
    street = Actors.street(hub_server, "110107011")
    # when the street office sends it to both units at once (双派单)
    both = ["110107011.URBAN_MANAGEMENT", "110107.HOUSING_CONSTRUCTION"]
    dispatched = await ok(
        gql, DISPATCH, street, caseNumber=case["number"], departmentCodes=both, note="双派单"
    )
    assert dispatched["status"] == "DISPATCHED"
    assert [d["department"]["code"] for d in dispatched["dispatches"]] == both
    assert dispatched["reporterContact"] == "138****1234"  # the street office sees it masked
    # then each unit sees it and acts on its own part
    for code in both:
        token = Actors.department(hub_server, code)
        await ok(gql, RESPOND, token, caseNumber=case["number"], note="已联系")
    resolved = await ok(
        gql,
        RESOLVE,
        Actors.department(hub_server, both[0]),
        caseNumber=case["number"],
        note="地锁已拆除",
    )
    assert resolved["status"] == "RESOLVED"
    assert {d["department"]["code"]: d["status"] for d in resolved["dispatches"]} == {
        both[0]: "RESOLVED",
        both[1]: "RESPONDED",
    }
    # and the return call closes the loop
    fed = await ok(
        gql,
        FEEDBACK,
        actors.hotline,
        caseNumber=case["number"],
        resolved=True,
        satisfied=True,
        comment="满意",
    )
    assert fed["feedback"] == {"resolved": True, "satisfied": True, "comment": "满意"}
    closed = await ok(gql, CLOSE, actors.hotline, caseNumber=case["number"])
    assert closed["status"] == "CLOSED"
    assert [e["type"] for e in closed["events"]] == [
        "REPORTED",
        "DISPATCHED",
        "RESPONDED",
        "RESPONDED",
        "RESOLVED",
        "FEEDBACK_RECORDED",
        "CLOSED",
    ]
    assert closed["events"][1]["actor"] == {"sub": "street-110107011", "role": "STREET_OFFICE"}


async def test_not_solved_on_the_return_call_reopens_the_case(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    case = await ok(
        gql,
        REPORT,
        actors.hotline,
        description="楼道灯坏了仍未修",
        categoryCode="OTHER",
        source="HOTLINE_12345",
        location=LUGU,
    )
    await ok(
        gql,
        DISPATCH,
        actors.city,
        caseNumber=case["number"],
        departmentCodes=["110107011.URBAN_MANAGEMENT"],
    )
    await ok(gql, RESOLVE, actors.city, caseNumber=case["number"])
    reopened = await ok(
        gql, FEEDBACK, actors.hotline, caseNumber=case["number"], resolved=False, satisfied=False
    )
    assert reopened["status"] == "DISPATCHED"
    assert reopened["reopenCount"] == 1
    assert reopened["resolvedAt"] is None
    assert reopened["dispatches"][0]["status"] == "DISPATCHED"
    assert reopened["events"][-1]["type"] == "REOPENED"
    refused = await mutate(gql, CLOSE, actors.hotline, caseNumber=case["number"])
    assert refused["errors"][0]["code"] == "ILLEGAL_TRANSITION"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"categoryCode": "NO_SUCH"}, "UNKNOWN_CATEGORY", "categoryCode"),
        ({"location": {"lat": 31.23, "lng": 121.47}}, "OUTSIDE_CITY", "point"),
        (
            {
                "location": None,
                "footprint": {
                    "type": "Polygon",
                    "coordinates": [
                        [[116.3, 39.9], [116.4, 40.0], [116.4, 39.9], [116.3, 40.0], [116.3, 39.9]]
                    ],
                },
            },
            "INVALID_GEOMETRY",
            "footprint",
        ),
        (
            {"location": None, "footprint": {"type": "Point", "coordinates": [116.3, 39.9]}},
            "INVALID_GEOMETRY",
            "footprint",
        ),
        ({"location": None, "address": "某小区3号楼"}, "ADDRESS_NOT_LOCATED", "address"),
        ({"location": None}, "INVALID_INPUT", "location"),
        ({"description": "   "}, "INVALID_INPUT", "description"),
        ({"reportedAt": "2099-01-01T00:00:00+08:00"}, "INVALID_INPUT", "reportedAt"),
    ],
)
async def test_bad_intake_is_refused_with_a_code_and_writes_nothing(
    gql: GraphQLClient, hub_server: HubServer, change: dict[str, object], code: str, field: str
) -> None:
    actors = Actors(hub_server)
    before = await count_cases(gql, actors.city)
    intake = {
        "description": "路面塌陷",
        "categoryCode": "ROAD_DAMAGE",
        "source": "GRID_PATROL",
        "location": LUGU,
        **change,
    }
    payload = await mutate(gql, REPORT, actors.city, **intake)
    assert payload["case"] is None
    assert payload["errors"][0]["code"] == code
    assert payload["errors"][0]["field"] == field
    assert await count_cases(gql, actors.city) == before


async def test_footprint_across_a_boundary_lists_every_street_office(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    footprint = {
        "type": "Polygon",
        "coordinates": [
            [
                [116.32, 39.865],
                [116.345, 39.865],
                [116.345, 39.89],
                [116.32, 39.89],
                [116.32, 39.865],
            ]
        ],
    }
    case = await ok(
        gql,
        REPORT,
        Actors(hub_server).city,
        description="跨界违建",
        categoryCode="ILLEGAL_CONSTRUCTION",
        source="STREET_CHIEF",
        footprint=footprint,
    )
    crossed = [j["code"] for j in case["jurisdictionsCrossed"]]
    assert case["crossesBoundary"] is True
    assert {code[:6] for code in crossed} >= {"110102", "110106"}
    assert case["subdistrict"]["code"] in crossed


async def test_an_address_alone_places_the_case_in_its_street_office(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    case = await ok(
        gql,
        REPORT,
        Actors(hub_server).hotline,
        description="噪声扰民",
        categoryCode="NOISE",
        source="HOTLINE_12345",
        address="西城区广安门外街道湾子社区5号楼",
    )
    assert case["subdistrict"]["code"] == "110102020"
    assert case["grid"] is None
    assert case["location"] is None


async def test_the_same_external_reference_returns_the_same_case(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    token = Actors(hub_server).hotline
    intake = {
        "description": "停水",
        "categoryCode": "WATER_OUTAGE",
        "source": "HOTLINE_12345",
        "location": LUGU,
        "externalRef": {"system": "hotline-12345", "id": "GD-9"},
    }
    first = await ok(gql, REPORT, token, **intake)
    again = await ok(gql, REPORT, token, **intake)
    assert again["number"] == first["number"]
    assert again["externalRefs"] == [{"system": "hotline-12345", "id": "GD-9"}]
    assert len(again["events"]) == 1


async def test_refusals_do_not_reveal_other_peoples_cases(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    case = await ok(
        gql,
        REPORT,
        actors.hotline,
        description="占道经营",
        categoryCode="STREET_VENDOR",
        source="HOTLINE_12345",
        location=LUGU,
    )
    await ok(
        gql,
        DISPATCH,
        actors.hotline,
        caseNumber=case["number"],
        departmentCodes=["110107011.URBAN_MANAGEMENT"],
    )
    outsider = Actors.department(hub_server, "110102.URBAN_MANAGEMENT")
    other_street = Actors.street(hub_server, "110102020")
    for token in (outsider, other_street):
        refused = await mutate(gql, RESOLVE, token, caseNumber=case["number"])
        assert refused["errors"][0]["code"] == "NOT_FOUND"
        missing = await mutate(gql, RESOLVE, token, caseNumber="C-110102-20260101-999999")
        assert missing["errors"][0]["code"] == "NOT_FOUND"
        assert missing["errors"][0]["message"].replace("C-110102-20260101-999999", "X") == refused[
            "errors"
        ][0]["message"].replace(case["number"], "X")
        seen = await gql.execute(
            f'{{ case(number: "{case["number"]}") {{ number }} }}', token=token
        )
        assert seen["case"] is None
    anonymous = await mutate(
        gql, REPORT, "", description="x", categoryCode="OTHER", source="CITIZEN_APP", location=LUGU
    )
    assert anonymous["errors"][0]["code"] == "FORBIDDEN"
    observer = await mutate(
        gql,
        REPORT,
        actors.observer,
        description="x",
        categoryCode="OTHER",
        source="CITIZEN_APP",
        location=LUGU,
    )
    assert observer["errors"][0]["code"] == "FORBIDDEN"


async def test_illegal_transitions_are_coded_errors(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    case = await ok(
        gql,
        REPORT,
        actors.hotline,
        description="垃圾堆放",
        categoryCode="GARBAGE",
        source="HOTLINE_12345",
        location=LUGU,
    )
    for query, extra in ((CLOSE, {}), (RESPOND, {}), (RESOLVE, {}), (FEEDBACK, {"resolved": True})):
        payload = await mutate(gql, query, actors.city, caseNumber=case["number"], **extra)
        assert payload["errors"][0]["code"] == "ILLEGAL_TRANSITION", payload
    unknown = await mutate(
        gql, DISPATCH, actors.city, caseNumber=case["number"], departmentCodes=["110107.NOPE"]
    )
    assert unknown["errors"][0]["code"] == "UNKNOWN_DEPARTMENT"
    after = await gql.execute(
        f'{{ case(number: "{case["number"]}") {{ status events {{ type }} }} }}', token=actors.city
    )
    assert after["case"] == {"status": "RECEIVED", "events": [{"type": "REPORTED"}]}


async def test_routing_suggests_the_most_local_departments_first(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    token = Actors(hub_server).city
    case = await ok(
        gql,
        REPORT,
        token,
        description="违法建设",
        categoryCode="ILLEGAL_CONSTRUCTION",
        source="GRID_PATROL",
        location=LUGU,
    )
    data = await gql.execute(
        f'{{ case(number: "{case["number"]}") {{ suggestedDepartments {{ code }} }} }}', token=token
    )
    codes = [d["code"] for d in data["case"]["suggestedDepartments"]]
    assert codes[0] == "110107011.URBAN_MANAGEMENT"
    assert codes[1:] == [
        "110107.URBAN_MANAGEMENT",
        "110107.PLANNING_NATURAL_RESOURCES",
        "110107.HOUSING_CONSTRUCTION",
    ]


async def test_cases_filter_and_jurisdiction_connection(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    token = Actors(hub_server).city
    for text in ("房屋漏雨，屋顶渗水", "房屋漏雨严重", "噪声"):
        category = "NOISE" if text == "噪声" else "HOUSE_LEAK"
        await ok(
            gql,
            REPORT,
            token,
            description=text,
            categoryCode=category,
            source="HOTLINE_12345",
            location=LUGU,
        )
    data = await gql.execute(
        '{ leaks: cases(filter: {text: "漏雨", categoryCode: "HOUSING"}) { totalCount } '
        'lugu: jurisdiction(code: "110107011") { cases(first: 2) { totalCount '
        "pageInfo { hasNextPage } edges { node { number } } } } "
        'elsewhere: jurisdiction(code: "110102") { cases { totalCount } } }',
        token=token,
    )
    assert data["leaks"]["totalCount"] == 2
    assert data["lugu"]["cases"]["totalCount"] == 3
    assert data["lugu"]["cases"]["pageInfo"]["hasNextPage"] is True
    numbers = [e["node"]["number"] for e in data["lugu"]["cases"]["edges"]]
    assert numbers == sorted(numbers, reverse=True)
    assert data["elsewhere"]["cases"]["totalCount"] == 0
