"""caseEvents over WebSocket: what a subscriber sees, filtered, within its rights, resumable."""

from __future__ import annotations

from typing import Any

import pytest

from hub.auth.actors import Role
from tests.cases.factories import DISPATCH, REPORT, RESOLVE, RESPOND, Actors, ok, report_noise
from tests.conftest import GraphQLClient
from tests.events.client import connect
from tests.events.conftest import LiveHub, top_event_id

pytestmark = pytest.mark.usefixtures("clean")

LUGU, GUANGWAI = "110107011", "110102020"  # street offices in Shijingshan and Xicheng
AT_LUGU = {"lat": 39.900, "lng": 116.235}
AT_GUANGWAI = {"lat": 39.8802, "lng": 116.3162}
LUGU_TEAM = f"{LUGU}.URBAN_MANAGEMENT"

CASE_EVENTS = """
subscription($after: ID, $jurisdiction: String, $department: String, $number: String) {
  caseEvents(after: $after, jurisdictionCode: $jurisdiction, departmentCode: $department,
             caseNumber: $number) {
    id type at note actor { sub role } case { number subdistrict { code } }
  }
}"""


def summary(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(event["type"], event["case"]["number"]) for event in events]


async def test_a_subscriber_sees_each_change_with_its_id_type_time_actor_and_case(
    live: LiveHub, http: GraphQLClient
) -> None:
    # given Shijingshan's platform watching its district (Lugu is one of its street offices)
    after = await top_event_id(live.settings, "case_event")
    district = live.token(Role.DISTRICT_PLATFORM, jurisdiction="110107", sub="platform-110107")
    street = Actors.street(live.server, LUGU)
    team = Actors.department(live.server, LUGU_TEAM)
    async with connect(live.url, district) as socket:
        watching = await socket.subscribe(CASE_EVENTS, after=str(after), jurisdiction="110107")
        # when Lugu reports a case, dispatches it and its team responds
        number = await report_noise(http, street, AT_LUGU, "夜间施工噪声扰民")
        await ok(http, DISPATCH, street, caseNumber=number, departmentCodes=[LUGU_TEAM])
        await ok(http, RESPOND, team, caseNumber=number, note="已到场")
        events = await watching.events(3, "caseEvents")
    # then each change arrives once, in order, with who did it and the case it concerns
    assert summary(events) == [("REPORTED", number), ("DISPATCHED", number), ("RESPONDED", number)]
    ids = [int(event["id"]) for event in events]
    assert ids == sorted(ids)
    assert ids[0] > after
    assert [event["actor"] for event in events] == [
        {"sub": f"street-{LUGU}", "role": "STREET_OFFICE"},
        {"sub": f"street-{LUGU}", "role": "STREET_OFFICE"},
        {"sub": f"dept-{LUGU_TEAM}", "role": "DEPARTMENT"},
    ]
    assert events[2]["note"] == "已到场"
    assert all(event["case"]["subdistrict"]["code"] == LUGU for event in events)
    assert events[0]["at"] <= events[1]["at"] <= events[2]["at"]


async def test_filters_by_case_jurisdiction_and_department(
    live: LiveHub, http: GraphQLClient
) -> None:
    # given a case at Lugu dispatched to Lugu's team, and one at Guangwai to Guangwai's
    after = str(await top_event_id(live.settings, "case_event"))
    lugu, guangwai = Actors.street(live.server, LUGU), Actors.street(live.server, GUANGWAI)
    team = Actors.department(live.server, LUGU_TEAM)
    number = await report_noise(http, lugu, AT_LUGU, "广场舞音响扰民")
    await ok(http, DISPATCH, lugu, caseNumber=number, departmentCodes=[LUGU_TEAM])
    other = await report_noise(http, guangwai, AT_GUANGWAI, "商户外放音乐")
    await ok(
        http, DISPATCH, guangwai, caseNumber=other, departmentCodes=[f"{GUANGWAI}.URBAN_MANAGEMENT"]
    )
    # when the city platform watches by case, by street office (of Shijingshan) and by team
    async with connect(live.url, Actors(live.server).city) as socket:
        by_number = await socket.subscribe(CASE_EVENTS, after=after, number=number)
        by_street = await socket.subscribe(CASE_EVENTS, after=after, jurisdiction=LUGU)
        by_team = await socket.subscribe(CASE_EVENTS, after=after, department=LUGU_TEAM)
        by_district = await socket.subscribe(CASE_EVENTS, after=after, jurisdiction="110107")
        # and Lugu's team responds, Lugu reports another case, the team resolves the first
        await ok(http, RESPOND, team, caseNumber=number)
        another = await report_noise(http, lugu, AT_LUGU, "另一起")
        await ok(http, RESOLVE, team, caseNumber=number)
        # then each subscription gets exactly what it asked for, and nothing of Guangwai's
        ours = [("REPORTED", number), ("DISPATCHED", number), ("RESPONDED", number)]
        assert summary(await by_number.events(4, "caseEvents")) == [*ours, ("RESOLVED", number)]
        assert summary(await by_team.events(4, "caseEvents")) == [*ours, ("RESOLVED", number)]
        everything = [*ours, ("REPORTED", another), ("RESOLVED", number)]
        assert summary(await by_street.events(5, "caseEvents")) == everything
        assert summary(await by_district.events(5, "caseEvents")) == everything


async def test_a_subscriber_gets_nothing_of_a_case_it_may_not_see(
    live: LiveHub, http: GraphQLClient
) -> None:
    # given two street offices, each subscribed to every case event it may see
    after = str(await top_event_id(live.settings, "case_event"))
    lugu, guangwai = Actors.street(live.server, LUGU), Actors.street(live.server, GUANGWAI)
    observer = Actors(live.server).observer
    async with connect(live.url, lugu) as at_lugu, connect(live.url, guangwai) as at_guangwai:
        lugu_sees = await at_lugu.subscribe(CASE_EVENTS, after=after)
        guangwai_sees = await at_guangwai.subscribe(CASE_EVENTS, after=after)
        # when each reports a case, Lugu's going on to be dispatched, then each a second one
        mine = await report_noise(http, lugu, AT_LUGU, "施工噪声")
        await ok(http, DISPATCH, lugu, caseNumber=mine, departmentCodes=[LUGU_TEAM])
        theirs = await report_noise(http, guangwai, AT_GUANGWAI, "装修噪声")
        lugu_next = await report_noise(http, lugu, AT_LUGU, "鲁谷哨兵")
        guangwai_next = await report_noise(http, guangwai, AT_GUANGWAI, "广外哨兵")
        # then each sees its own cases only: events are in id order, so the other's would
        # have come before the second case's
        assert summary(await lugu_sees.events(3, "caseEvents")) == [
            ("REPORTED", mine),
            ("DISPATCHED", mine),
            ("REPORTED", lugu_next),
        ]
        assert summary(await guangwai_sees.events(2, "caseEvents")) == [
            ("REPORTED", theirs),
            ("REPORTED", guangwai_next),
        ]
    # and an observer, who reads aggregates only, is refused outright
    async with connect(live.url, observer) as socket:
        refused = await (await socket.subscribe(CASE_EVENTS, after=after)).ended()
    assert refused.kind == "error"
    assert refused.payload[0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_subscriber_that_resumes_after_its_last_event_gets_every_event_exactly_once(
    live: LiveHub, http: GraphQLClient
) -> None:
    # given a subscriber that has seen one case reported, then disconnects
    after = str(await top_event_id(live.settings, "case_event"))
    city, street = Actors(live.server).city, Actors.street(live.server, LUGU)
    async with connect(live.url, city) as socket:
        first = await socket.subscribe(CASE_EVENTS, after=after)
        a = await report_noise(http, street, AT_LUGU, "案一")
        [seen] = await first.events(1, "caseEvents")
    assert summary([seen]) == [("REPORTED", a)]
    # when, while it is away, a case is dispatched and another reported
    await ok(http, DISPATCH, street, caseNumber=a, departmentCodes=[LUGU_TEAM])
    b = await report_noise(http, street, AT_LUGU, "案二")
    # then resuming after its last event replays exactly what it missed, and carries on live
    async with connect(live.url, city) as socket:
        resumed = await socket.subscribe(CASE_EVENTS, after=seen["id"])
        c = await report_noise(http, street, AT_LUGU, "案三")
        missed = await resumed.events(3, "caseEvents")
        await ok(http, DISPATCH, street, caseNumber=c, departmentCodes=[LUGU_TEAM])
        [live_event] = await resumed.events(1, "caseEvents")
    assert summary(missed) == [("DISPATCHED", a), ("REPORTED", b), ("REPORTED", c)]
    assert summary([live_event]) == [("DISPATCHED", c)]
    ids = [int(event["id"]) for event in [seen, *missed, live_event]]
    assert ids == sorted(set(ids))


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"after": "yesterday"}, "INVALID_CURSOR"),
        ({"jurisdiction": "nowhere"}, "UNKNOWN_JURISDICTION"),
        ({"number": "C-110107-20200101-999999"}, "NOT_FOUND"),
    ],
)
async def test_a_subscription_it_cannot_serve_is_refused_with_a_code(
    live: LiveHub, variables: dict[str, str], code: str
) -> None:
    async with connect(live.url, Actors(live.server).city) as socket:
        end = await (await socket.subscribe(CASE_EVENTS, **variables)).ended()
    assert end.kind == "error"
    assert end.payload[0]["extensions"]["code"] == code


async def test_the_same_subscription_is_answered_as_each_viewer_may_see_it(
    live: LiveHub, http: GraphQLClient
) -> None:
    # given the hotline and Lugu's street office with the very same subscription (one
    # execution is shared by subscribers who see alike; these two do not)
    after = str(await top_event_id(live.settings, "case_event"))
    document = (
        "subscription($after: ID) { caseEvents(after: $after) { id case { reporterContact } } }"
    )
    hotline, street = Actors(live.server).hotline, Actors.street(live.server, LUGU)
    async with connect(live.url, hotline) as calls, connect(live.url, street) as office:
        for_hotline = await calls.subscribe(document, after=after)
        for_office = await office.subscribe(document, after=after)
        # when a caller's case is taken in with a telephone number
        await ok(
            http,
            REPORT,
            hotline,
            description="楼上漏水",
            categoryCode="HOUSE_LEAK",
            source="HOTLINE_12345",
            location=AT_LUGU,
            reporterContact="13812345678",
        )
        # then the hotline, who calls back, sees it; the street office sees it masked
        [heard] = await for_hotline.events(1, "caseEvents")
        [seen] = await for_office.events(1, "caseEvents")
    assert heard["id"] == seen["id"]
    assert heard["case"]["reporterContact"] == "13812345678"
    assert seen["case"]["reporterContact"] == "138****5678"
