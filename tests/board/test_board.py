"""The whistle board (/board) in a real browser, on a closed network, against a live hub.

Each test gets a hub of its own (its event stream starts where the test's data does); the
browser is launched once for the module. Screenshots: var/screenshots/test_board/.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from hub.app import create_app
from hub.board import STATIC
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, utcnow
from hub.sweeper import sweep_once
from tests.cases.factories import Actors
from tests.conftest import GraphQLClient, HubServer, StatementCounter
from tests.support.browser import HubPage, OpenPage
from tests.support.server import serve_in_thread
from tests.whistles.factories import (
    ACKNOWLEDGE,
    BLOW,
    DISTRICT_TEAM,
    LUGU,
    REPORT_IN,
    SITE,
    TEAM,
    garbage_whistle,
    ok,
    party,
    platform,
    report_case,
)

SHIJINGSHAN = "110107"
HAIDIAN_TEAM = "110108.URBAN_MANAGEMENT"
COMMAND_CENTRE = {"width": 1920, "height": 1080}
# The board shows an event as soon as the socket brings it; the deadline only bounds a wait
# on a loaded machine (BENCHMARKS.md has the measured latency).
LIVE_DEADLINE_MS = 5_000
LOAD_DEADLINE_MS = 20_000


@pytest.fixture
def board_hub(settings: Settings, clean: None) -> Iterator[HubServer]:
    assert (STATIC / "index.html").is_file(), "the board is not built: run `make board`"
    app = create_app(settings.model_copy(update={"ws_ping_seconds": 60.0}))
    with serve_in_thread(app) as url:
        yield HubServer(url=url, settings=settings, statements=StatementCounter())


@pytest.fixture
async def api(board_hub: HubServer) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=board_hub.url, timeout=30) as client:
        yield GraphQLClient(client)


async def signed_in(open_page: OpenPage, hub: HubServer, token: str, **size: Any) -> HubPage:
    """The board, signed in through the token the page keeps in sessionStorage."""
    view = await open_page(hub.url, **size)
    await view.context.add_init_script(f"sessionStorage.setItem('hub.token', {json.dumps(token)})")
    await view.page.goto(f"{hub.url}/board")
    await expect(view.page.locator("body")).to_have_attribute(
        "data-ready", "true", timeout=LOAD_DEADLINE_MS
    )
    await expect(live_state(view.page)).to_have_attribute("data-live-state", "live")
    return view


def live_state(page: Page) -> Any:
    return page.locator("[data-live-state]")


def whistle_row(page: Page, number: str) -> Any:
    return page.locator(f'.whistle-list [data-whistle-number="{number}"]')


def case_row(page: Page, number: str) -> Any:
    return page.locator(f'.case-list [data-case-number="{number}"]')


async def sweep_at(settings: Settings, now: dt.datetime) -> None:
    """One pass of every sweep at ``now``, as a hub process's sweeper would make it."""
    engine = create_engine(settings.database_url)
    try:
        await sweep_once(create_sessionmaker(engine), now=now)
    finally:
        await engine.dispose()


async def other_district_whistle(api: GraphQLClient, hub: HubServer) -> str:
    """A whistle blown in Xicheng, which a Shijingshan street office may not see."""
    where = {"lat": 39.8895, "lng": 116.3400}
    located = await api.execute(
        "query($p: GeoPointInput!) { locate(point: $p) { subdistrict { code } } }", {"p": where}
    )
    street = located["locate"]["subdistrict"]["code"]
    token = Actors.street(hub, street)
    case = await report_case(
        api, token, "路口占道经营", "STREET_VENDOR", source="GRID_PATROL", location=where
    )
    whistle = await ok(
        api,
        BLOW,
        token,
        callerCode=street,
        kind="DAILY_ENFORCEMENT",
        caseNumbers=[case["number"]],
        departmentCodes=[f"{street}.URBAN_MANAGEMENT"],
        reason="占道经营整治",
    )
    return str(whistle["number"])


async def test_a_street_office_signs_in_and_sees_its_ground_and_only_its_whistles(
    board_hub: HubServer, api: GraphQLClient, open_page: OpenPage
) -> None:
    ours = await garbage_whistle(api, board_hub)
    theirs = await other_district_whistle(api, board_hub)

    view = await open_page(board_hub.url, viewport=COMMAND_CENTRE)
    await view.page.goto(f"{board_hub.url}/board")
    await expect(view.page.locator(".sign-in")).to_be_visible()
    await view.page.fill("textarea[name=token]", Actors.street(board_hub, LUGU))
    await view.page.click(".sign-in button[type=submit]")
    page = view.page
    await expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
    await expect(live_state(page)).to_have_attribute("data-live-state", "live")

    await expect(page.locator("[data-ground]")).to_have_attribute("data-ground", SHIJINGSHAN)
    district = await api.execute(
        "query($c: String!) { jurisdiction(code: $c) { children { code } } }", {"c": SHIJINGSHAN}
    )
    street_offices = len(district["jurisdiction"]["children"])
    outlines = int(await page.locator("#map").get_attribute("data-outlines") or 0)
    assert outlines > 1 + street_offices  # the district, its street offices, Lugu's grids
    await expect(whistle_row(page, ours["number"])).to_have_attribute(
        "data-whistle-status", "SUMMONING"
    )
    assert await page.locator(".whistle-list [data-whistle-number]").count() == 1
    assert await whistle_row(page, theirs).count() == 0
    case_number = ours["cases"][0]["number"]
    assert await page.locator(f'#map [data-case-number="{case_number}"]').count() == 1
    await expect(page.locator(".rate")).to_have_count(3)

    await view.screenshot("street-office-1920x1080")
    assert view.offsite == []
    assert view.errors == []


async def test_the_list_follows_a_whistle_live_and_misses_nothing_across_a_dropped_socket(
    board_hub: HubServer, api: GraphQLClient, open_page: OpenPage
) -> None:
    view = await signed_in(open_page, board_hub, Actors.department(board_hub, DISTRICT_TEAM))
    page = view.page

    whistle = await garbage_whistle(api, board_hub)
    row = whistle_row(page, whistle["number"])
    await expect(row).to_have_attribute(
        "data-whistle-status", "SUMMONING", timeout=LIVE_DEADLINE_MS
    )

    # The district team acknowledges from its panel, through the same mutation as any client.
    await row.click()
    panel = page.locator(f'.panel[data-panel-whistle="{whistle["number"]}"]')
    ours = party(whistle, DISTRICT_TEAM)["id"]
    await panel.locator(f'button[data-summons="{ours}"]').click()
    await expect(panel.locator(f'[data-summons-id="{ours}"]')).to_have_attribute(
        "data-summons-status", "ACKNOWLEDGED", timeout=LIVE_DEADLINE_MS
    )
    await view.screenshot("department-panel")

    # The street's own team reports in through the API: the whistle moves to IN_ACTION.
    team = Actors.department(board_hub, TEAM)
    await ok(api, ACKNOWLEDGE, team, summonsId=party(whistle, TEAM)["id"])
    await ok(api, REPORT_IN, team, summonsId=party(whistle, TEAM)["id"], location=SITE)
    await expect(row).to_have_attribute(
        "data-whistle-status", "IN_ACTION", timeout=LIVE_DEADLINE_MS
    )

    # The socket drops; what happens meanwhile shows once it is back.
    await view.drop_sockets()
    await expect(live_state(page)).not_to_have_attribute("data-live-state", "live")
    second = await garbage_whistle(api, board_hub, reason="垃圾清运（二）")
    await ok(
        api, REPORT_IN, Actors.department(board_hub, DISTRICT_TEAM), summonsId=ours, location=SITE
    )
    await view.screenshot("offline")
    view.restore_sockets()
    await expect(live_state(page)).to_have_attribute(
        "data-live-state", "live", timeout=LOAD_DEADLINE_MS
    )
    await expect(whistle_row(page, second["number"])).to_have_attribute(
        "data-whistle-status", "SUMMONING", timeout=LIVE_DEADLINE_MS
    )
    await expect(panel.locator(f'[data-summons-id="{ours}"]')).to_have_attribute(
        "data-summons-status", "ARRIVED", timeout=LIVE_DEADLINE_MS
    )
    await view.screenshot("restored")
    assert view.offsite == []
    assert view.errors == []


async def test_overdue_and_red_warned_cases_are_listed_live_and_the_hotspot_is_on_the_map(
    board_hub: HubServer, api: GraphQLClient, open_page: OpenPage
) -> None:
    # given a garbage heap at one address reported twice in Lugu: the first report is past its
    # respond-by when the district's platform opens the board, the second is not yet
    street = Actors.street(board_hub, LUGU)
    heap = {"source": "GRID_PATROL", "location": SITE, "address": "鲁谷东街12号院"}
    late = await report_case(api, street, "小区门口垃圾堆放", "GARBAGE", **heap)
    await sweep_at(board_hub.settings, utcnow() + dt.timedelta(days=2))
    fresh = await report_case(api, street, "垃圾堆放又出现了", "GARBAGE", **heap)
    view = await signed_in(
        open_page, board_hub, platform(board_hub, SHIJINGSHAN), viewport=COMMAND_CENTRE
    )
    page = view.page

    # then the late one is in the list of cases needing attention, and only it
    await expect(case_row(page, late["number"])).to_have_attribute("data-case-status", "RECEIVED")
    await expect(case_row(page, fresh["number"])).to_have_count(0)
    await expect(page.locator("[data-case-count]")).to_have_text("1")
    # and the month's hotspot (two reports of one problem at one place) is drawn on the map
    hotspot = page.locator('#map [data-hotspot="鲁谷东街12号院 · GARBAGE"]')
    await expect(hotspot).to_have_count(1, timeout=LOAD_DEADLINE_MS)
    await view.screenshot("overdue-and-hotspot")

    # when a week later both are past their resolve-by: the sweeper raises red warnings
    await sweep_at(board_hub.settings, utcnow() + dt.timedelta(days=8))

    # then both show as red-warned, the second one arriving live
    for case in (late, fresh):
        await expect(case_row(page, case["number"])).to_have_attribute(
            "data-warning-level", "RED", timeout=LIVE_DEADLINE_MS
        )
    await expect(page.locator("[data-case-count]")).to_have_text("2")
    await view.screenshot("red-warnings")
    assert view.offsite == []
    assert view.errors == []


async def test_the_platform_reviews_a_cross_district_whistle_from_its_panel(
    board_hub: HubServer, api: GraphQLClient, open_page: OpenPage
) -> None:
    # given Lugu summoning a Haidian department too: a cross-district whistle waits for review
    whistle = await garbage_whistle(api, board_hub, departmentCodes=[TEAM, HAIDIAN_TEAM])
    assert (whistle["scope"], whistle["status"]) == ("CROSS_DISTRICT", "PENDING_REVIEW")
    number = whistle["number"]

    # then Lugu, which blew it, has neither a review to give nor a step to take on it
    lugu = await signed_in(open_page, board_hub, Actors.street(board_hub, LUGU))
    await whistle_row(lugu.page, number).click()
    lugu_panel = lugu.page.locator(f'.panel[data-panel-whistle="{number}"]')
    await expect(lugu_panel.locator(".status")).to_have_attribute(
        "data-whistle-status", "PENDING_REVIEW"
    )
    await expect(lugu_panel.locator("button[data-review], button[data-step]")).to_have_count(0)
    # and its team, not summoned until the review, does not see it yet
    team = await signed_in(open_page, board_hub, Actors.department(board_hub, TEAM))
    await expect(whistle_row(team.page, number)).to_have_count(0)

    # when Shijingshan's platform opens it, it may approve or reject (and has no summons of its
    # own to act on), and approves
    view = await signed_in(open_page, board_hub, platform(board_hub, SHIJINGSHAN))
    page = view.page
    row = whistle_row(page, number)
    await expect(row).to_have_attribute("data-whistle-status", "PENDING_REVIEW")
    await row.click()
    panel = page.locator(f'.panel[data-panel-whistle="{number}"]')
    await expect(panel.locator("button[data-review]")).to_have_count(2)
    await expect(panel.locator("button[data-step]")).to_have_count(0)
    await expect(panel.locator(".summons-state")).to_have_text(["待审核后发出"] * 2)
    await view.screenshot("platform-review")
    await panel.locator('button[data-review="true"]').click()

    # then the whistle summons, in the platform's panel and list and live on Lugu's board
    await expect(panel.locator(".status")).to_have_attribute("data-whistle-status", "SUMMONING")
    await expect(panel.locator("button[data-review]")).to_have_count(0)
    await expect(row).to_have_attribute("data-whistle-status", "SUMMONING")
    await expect(lugu_panel.locator(".status")).to_have_attribute(
        "data-whistle-status", "SUMMONING", timeout=LIVE_DEADLINE_MS
    )
    # and it reaches the team's board, where the team may acknowledge its own summons only
    team_row = whistle_row(team.page, number)
    await expect(team_row).to_have_attribute(
        "data-whistle-status", "SUMMONING", timeout=LIVE_DEADLINE_MS
    )
    await team_row.click()
    team_panel = team.page.locator(f'.panel[data-panel-whistle="{number}"]')
    ours = party(whistle, TEAM)["id"]
    await expect(team_panel.locator("button[data-step]")).to_have_count(1)
    await expect(team_panel.locator(f'button[data-summons="{ours}"]')).to_have_attribute(
        "data-step", "acknowledgeSummons"
    )
    await team.screenshot("department-after-review")
    for board in (lugu, team, view):
        assert board.offsite == []
        assert board.errors == []
