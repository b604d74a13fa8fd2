"""Two real `hub serve` processes on one database, fanning events out through Redis.

The processes poll the database only hourly here, so an event that a subscriber on A receives
live, when it was committed on B, can only have come through a Redis notice.  "Live" is proven,
not timed: a subscription's first event (replayed or not) shows it is registered, and a
subscription registers before it replays, so every later event reaches it live.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.testdata.hotline import make_hotline_export
from hub.auth.actors import Role
from hub.config import Settings
from tests.adapters.support import hub
from tests.cases.factories import Actors, report_noise
from tests.conftest import GraphQLClient
from tests.events.client import connect
from tests.events.conftest import LiveHub, RedisServer, hub_process, top_event_id
from tests.events.test_whistle_events import MINE, POLICE, WHISTLE_EVENTS, blow, summary
from tests.whistles.factories import REPORT_IN, ok, party

pytestmark = pytest.mark.usefixtures("clean")

CASE_EVENTS = "subscription($after: ID) { caseEvents(after: $after) { id type case { number } } }"
AT_LUGU = {"lat": 39.900, "lng": 116.235}


def on_redis(redis_url: str, channel: str) -> dict[str, str]:
    """The environment of a process of the test's on Redis; hubs poll the database hourly."""
    return {
        "HUB_REDIS_URL": redis_url,
        "HUB_EVENTS_CHANNEL": f"{channel}events",
        "HUB_RATE_LIMIT_PREFIX": f"{channel}ratelimit:",
        "HUB_EVENTS_POLL_SECONDS": "3600",
    }


@contextmanager
def two_processes(
    settings: Settings, redis_url: str, channel: str
) -> Iterator[tuple[LiveHub, LiveHub]]:
    """Hubs A and B on the test's database and Redis; they poll the database only hourly."""
    environment = on_redis(redis_url, channel)
    with ExitStack() as stack:
        a, b = (
            stack.enter_context(hub_process(settings.database_url, **environment)) for _ in range(2)
        )
        yield LiveHub(a.url, settings), LiveHub(b.url, settings)


def numbers(events: list[dict[str, Any]]) -> list[str]:
    return [event["case"]["number"] for event in events]


async def test_a_subscriber_on_one_process_sees_a_whistle_opened_on_another(
    settings: Settings, shared_redis_url: str, channel: str
) -> None:
    cases_after = str(await top_event_id(settings, "case_event"))
    whistles_after = str(await top_event_id(settings, "whistle_event"))
    with two_processes(settings, shared_redis_url, channel) as (a, b):
        pinggu = a.token(Role.DISTRICT_PLATFORM, jurisdiction="110117", sub="pinggu")
        async with (
            httpx.AsyncClient(base_url=b.url, timeout=30) as client,
            connect(a.url, pinggu) as socket,
        ):
            http = GraphQLClient(client)
            whistles = await socket.subscribe(
                WHISTLE_EVENTS, after=whistles_after, jurisdiction="110117"
            )
            cases = await socket.subscribe(CASE_EVENTS, after=cases_after)
            # when B takes a case and blows a whistle on it
            whistle = await blow(http, b, [POLICE])
            number = whistle["number"]
            # then the subscriber on A sees the case, the whistle blown and its summons sent
            reported, blown = await cases.events(2, "caseEvents")
            assert (reported["type"], blown["type"]) == ("REPORTED", "WHISTLE_BLOWN")
            steps = await whistles.events(2, "whistleEvents")
            assert summary(steps) == [("BLOWN", number, None), ("SUMMONS_SENT", number, None)]
            # and when the police report in on B, A hears of it live: through Redis
            police = Actors.department(b.server, POLICE)
            await ok(http, REPORT_IN, police, summonsId=party(whistle, POLICE)["id"], location=MINE)
            [on_site] = await whistles.events(1, "whistleEvents")
            assert summary([on_site]) == [("REPORTED_IN", number, POLICE)]


async def test_redis_stopped_and_restarted_loses_no_event_for_a_resuming_client(
    settings: Settings, own_redis: RedisServer, channel: str
) -> None:
    after = str(await top_event_id(settings, "case_event"))
    with two_processes(settings, own_redis.url, channel) as (a, b):
        city = Actors(b.server).city
        async with httpx.AsyncClient(base_url=b.url, timeout=30) as client:
            http = GraphQLClient(client)
            # given subscribers on A and on B, both having seen two cases reported on B
            async with connect(a.url, city) as socket_a, connect(b.url, city) as socket_b:
                on_a = await socket_a.subscribe(CASE_EVENTS, after=after)
                on_b = await socket_b.subscribe(CASE_EVENTS, after=after)
                one = await report_noise(http, city, AT_LUGU, "案一")
                assert numbers(await on_a.events(1, "caseEvents")) == [one]
                two = await report_noise(http, city, AT_LUGU, "案二")
                [last_seen] = await on_a.events(1, "caseEvents")
                assert numbers([last_seen]) == [two]
                assert numbers(await on_b.events(2, "caseEvents")) == [one, two]
                # when A's subscriber goes away and Redis stops
                await socket_a.aclose()
                own_redis.stop()
                # then B still takes reports, and its own subscriber still hears of them
                three = await report_noise(http, city, AT_LUGU, "案三")
                assert numbers(await on_b.events(1, "caseEvents")) == [three]
            # when Redis comes back and B takes another report
            own_redis.start()
            four = await report_noise(http, city, AT_LUGU, "案四")
            # then A's subscriber, resuming after the last event it saw, gets each missed one once
            async with connect(a.url, city) as socket:
                resumed = await socket.subscribe(CASE_EVENTS, after=last_seen["id"])
                assert numbers(await resumed.events(2, "caseEvents")) == [three, four]
                # and A hears B through Redis again
                five = await report_noise(http, city, AT_LUGU, "案五")
                assert numbers(await resumed.events(1, "caseEvents")) == [five]


async def test_cases_a_command_line_sync_imports_reach_subscribers_through_redis_at_once(
    settings: Settings, shared_redis_url: str, channel: str, tmp_path: Path
) -> None:
    after = str(await top_event_id(settings, "case_event"))
    environment = on_redis(shared_redis_url, channel)
    with hub_process(settings.database_url, **environment) as served:
        live = LiveHub(served.url, settings)
        city = Actors(live.server).city
        async with (
            httpx.AsyncClient(base_url=live.url, timeout=30) as client,
            connect(live.url, city) as socket,
        ):
            # given a subscriber that is live: it has heard of a case reported on the hub
            watching = await socket.subscribe(CASE_EVENTS, after=after)
            one = await report_noise(GraphQLClient(client), city, AT_LUGU, "案一")
            assert numbers(await watching.events(1, "caseEvents")) == [one]
            # when `hub sync` imports hotline orders, a process of its own on the same Redis
            path = make_hotline_export(5, seed=3).write_jsonl(tmp_path / "orders.jsonl")
            args = ("sync", "hotline-12345", "--source", str(path))
            # (in a thread: the socket's client keeps answering the hub's pings meanwhile)
            result = await asyncio.to_thread(hub, *args, url=settings.database_url, env=environment)
            assert result.returncode == 0, result.stderr
            # then the subscriber hears of the imported cases now, not at the hub's next poll
            imported = await watching.next()
            assert imported["caseEvents"]["case"]["number"] != one
