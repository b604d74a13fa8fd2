"""whistleEvents over WebSocket: a whistle blown, its summons sent, a department on site."""

from __future__ import annotations

from typing import Any

import pytest

from hub.auth.actors import Role
from tests.cases.factories import Actors
from tests.conftest import GraphQLClient
from tests.events.client import connect
from tests.events.conftest import LiveHub, top_event_id
from tests.whistles.factories import BLOW, REPORT_IN, ok, party, report_case

pytestmark = pytest.mark.usefixtures("clean")

JINHAIHU = "110117006"  # 金海湖地区, Pinggu
MINE = {"lat": 40.1616, "lng": 117.3186}
POLICE, ENVIRONMENT, WATER = (
    "110117.PUBLIC_SECURITY",
    "110117.ECOLOGY_ENVIRONMENT",
    "110117.WATER",
)

WHISTLE_EVENTS = """
subscription($after: ID, $jurisdiction: String, $department: String, $number: String) {
  whistleEvents(after: $after, jurisdictionCode: $jurisdiction, departmentCode: $department,
                whistleNumber: $number) {
    id type at note actor { sub role }
    summons { department { code } status arrivedAt }
    summonsSent { department { code } }
    whistle { number status }
  }
}"""


def summary(events: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [
        (
            event["type"],
            event["whistle"]["number"],
            (event["summons"] or {}).get("department", {}).get("code"),
        )
        for event in events
    ]


async def blow(http: GraphQLClient, live: LiveHub, departments: list[str]) -> dict[str, Any]:
    """Jinhaihu blows an emergency whistle: every department is summoned at once."""
    town = Actors.street(live.server, JINHAIHU)
    case = await report_case(
        http, town, "山体盗采金矿，夜间有人作业", "OTHER", source="GRID_PATROL", location=MINE
    )
    return await ok(
        http,
        BLOW,
        town,
        callerCode=JINHAIHU,
        kind="EMERGENCY",
        caseNumbers=[case["number"]],
        departmentCodes=departments,
        reason="盗采金矿，各部门30分钟内到达指定点位",
    )


async def test_a_whistle_blown_summoned_and_reported_in_reaches_who_may_see_it(
    live: LiveHub, http: GraphQLClient
) -> None:
    # given Pinggu's platform watching its district, the police watching its own summons,
    # and the water authority, which is not summoned, watching every whistle it may see
    after = str(await top_event_id(live.settings, "whistle_event"))
    pinggu = live.token(Role.DISTRICT_PLATFORM, jurisdiction="110117", sub="platform-110117")
    police = Actors.department(live.server, POLICE)
    water = Actors.department(live.server, WATER)
    async with (
        connect(live.url, pinggu) as platform_socket,
        connect(live.url, police) as police_socket,
        connect(live.url, water) as water_socket,
    ):
        platform_sees = await platform_socket.subscribe(
            WHISTLE_EVENTS, after=after, jurisdiction="110117"
        )
        police_sees = await police_socket.subscribe(WHISTLE_EVENTS, after=after, department=POLICE)
        water_sees = await water_socket.subscribe(WHISTLE_EVENTS, after=after)
        # when Jinhaihu blows its whistle and the police report in on site
        whistle = await blow(http, live, [POLICE, ENVIRONMENT])
        number = whistle["number"]
        summons_id = party(whistle, POLICE)["id"]
        await ok(http, REPORT_IN, police, summonsId=summons_id, location=MINE, note="已到达")
        # and later a whistle summons the water authority too
        second = await blow(http, live, [WATER])
        # then the platform and the police see the whistle's steps, the report-in with the
        # summons that changed; the water authority sees nothing of the first whistle
        steps = [("BLOWN", number, None), ("SUMMONS_SENT", number, None)]
        on_site = ("REPORTED_IN", number, POLICE)
        platform_events = await platform_sees.events(3, "whistleEvents")
        assert summary(platform_events) == [*steps, on_site]
        assert summary(await police_sees.events(3, "whistleEvents")) == [*steps, on_site]
        assert summary(await water_sees.events(1, "whistleEvents")) == [
            ("BLOWN", second["number"], None)
        ]
    sent = platform_events[1]["summonsSent"]
    assert sorted(one["department"]["code"] for one in sent) == sorted([POLICE, ENVIRONMENT])
    assert platform_events[2]["summonsSent"] == []
    reported_in = platform_events[2]
    assert reported_in["summons"]["status"] == "ARRIVED"
    assert reported_in["summons"]["arrivedAt"] is not None
    assert reported_in["note"] == "已到达"
    assert reported_in["actor"] == {"sub": f"dept-{POLICE}", "role": "DEPARTMENT"}
    assert reported_in["whistle"]["status"] == "IN_ACTION"


async def test_a_whistle_by_number_resumes_where_it_stopped(
    live: LiveHub, http: GraphQLClient
) -> None:
    # given the caller watching its own whistle, which saw the first two events
    town = Actors.street(live.server, JINHAIHU)
    whistle = await blow(http, live, [POLICE, ENVIRONMENT])
    number = whistle["number"]
    async with connect(live.url, town) as socket:
        first = await socket.subscribe(WHISTLE_EVENTS, number=number, after="0")
        seen = await first.events(2, "whistleEvents")
    # when both departments report in while it is away
    for code in (POLICE, ENVIRONMENT):
        token = Actors.department(live.server, code)
        await ok(http, REPORT_IN, token, summonsId=party(whistle, code)["id"], location=MINE)
    # then resuming after its last event gives both, once each
    async with connect(live.url, town) as socket:
        resumed = await socket.subscribe(WHISTLE_EVENTS, number=number, after=seen[-1]["id"])
        missed = await resumed.events(2, "whistleEvents")
    assert summary(seen) == [("BLOWN", number, None), ("SUMMONS_SENT", number, None)]
    assert summary(missed) == [
        ("REPORTED_IN", number, POLICE),
        ("REPORTED_IN", number, ENVIRONMENT),
    ]


CURSORS = "{ eventCursors { whistleEvents caseEvents } }"


async def test_the_event_cursors_follow_on_from_a_list_read_after_them(
    live: LiveHub, http: GraphQLClient
) -> None:
    # given a whistle whose events the hub has already sent to a watcher
    pinggu = live.token(Role.DISTRICT_PLATFORM, jurisdiction="110117", sub="platform-110117")
    after = str(await top_event_id(live.settings, "whistle_event"))
    async with connect(live.url, pinggu) as socket:
        watching = await socket.subscribe(WHISTLE_EVENTS, after=after)
        before = await blow(http, live, [POLICE])
        seen = await watching.events(2, "whistleEvents")
    # when a board takes the cursors, a whistle is blown before it has subscribed, and it
    # subscribes after the cursors
    cursors = (await http.execute(CURSORS, token=pinggu))["eventCursors"]
    assert int(cursors["whistleEvents"]) >= int(seen[-1]["id"])
    assert int(cursors["caseEvents"]) >= 0
    meanwhile = await blow(http, live, [WATER])
    async with connect(live.url, pinggu) as socket:
        resumed = await socket.subscribe(WHISTLE_EVENTS, after=cursors["whistleEvents"])
        events = await resumed.events(2, "whistleEvents")
    # then it gets the whistle blown meanwhile, and nothing of the one it read before
    assert summary(seen) == [
        ("BLOWN", before["number"], None),
        ("SUMMONS_SENT", before["number"], None),
    ]
    assert summary(events) == [
        ("BLOWN", meanwhile["number"], None),
        ("SUMMONS_SENT", meanwhile["number"], None),
    ]


async def test_event_cursors_need_a_token(http: GraphQLClient) -> None:
    response = await http.post(CURSORS)
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
