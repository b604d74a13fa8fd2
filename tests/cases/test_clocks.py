"""Deadline clocks: working days from China's calendar, extensions, graded warnings raised by
the sweeper exactly once per level, urging before and supervision after the deadline."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from typing import Any

import pytest

from hub.cases.calendar import BEIJING, add_working_days
from tests.cases.factories import (
    DISPATCH,
    REPORT,
    REQUEST_EXTENSION,
    REVIEW_EXTENSION,
    SUPERVISE,
    URGE,
    Actors,
    ok,
    refused,
)
from tests.conftest import TEST_SECRET, GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU = {"lat": 39.900, "lng": 116.235}
TEAM = "110107011.URBAN_MANAGEMENT"


def test_working_days_skip_holidays_and_count_adjusted_weekend_workdays() -> None:
    at = dt.datetime(2026, 9, 30, 10, 0, tzinfo=BEIJING)  # the day before National Day
    assert add_working_days(at, 1) == dt.datetime(2026, 10, 8, 10, 0, tzinfo=BEIJING)
    friday = dt.datetime(2026, 10, 9, 15, 0, tzinfo=BEIJING)  # Saturday 10 October is worked
    assert add_working_days(friday, 1) == dt.datetime(2026, 10, 10, 15, 0, tzinfo=BEIJING)
    sunday = dt.datetime(2026, 10, 11, 10, 0, tzinfo=BEIJING)
    assert add_working_days(sunday, 1) == dt.datetime(2026, 10, 13, 0, 0, tzinfo=BEIJING)


async def sweep(env: dict[str, str], at: dt.datetime) -> dict[str, int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub.cli",
        "sweep",
        "--now",
        at.isoformat(),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    found: dict[str, int] = json.loads(out)
    return found


CASE = """query($n: String!) { case(number: $n) { warningLevel resolveBy resolveOverdue
  extensions { until decision decidedBy { sub } } events { type } } }"""


async def seen(gql: GraphQLClient, token: str, number: str) -> dict[str, Any]:
    case: dict[str, Any] = (await gql.execute(CASE, {"n": number}, token=token))["case"]
    case["types"] = [event["type"] for event in case.pop("events")]
    return case


async def test_extension_moves_the_clock_and_warnings_are_raised_once_per_level(
    gql: GraphQLClient, hub_server: HubServer, loaded_database: str
) -> None:
    actors = Actors(hub_server)
    team = Actors.department(hub_server, TEAM)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    env = {**os.environ, "HUB_DATABASE_URL": loaded_database, "HUB_JWT_SECRET": TEST_SECRET}
    numbers = []
    # given two routine orders (7 days to resolve), reported 6 and 8 days ago, with the team
    for days in (6, 8):
        case = await ok(
            gql,
            REPORT,
            actors.hotline,
            description=f"占道 {days}",
            categoryCode="STREET_VENDOR",
            source="HOTLINE_12345",
            location=LUGU,
            reportedAt=(now - dt.timedelta(days=days)).isoformat(),
        )
        await ok(gql, DISPATCH, actors.hotline, caseNumber=case["number"], departmentCodes=[TEAM])
        numbers.append(case["number"])
    due, late = numbers
    # when two sweepers run at once, each level is raised once: yellow (80% gone), red (overdue)
    results = await asyncio.gather(sweep(env, now), sweep(env, now))
    assert sum(result["warnings"] for result in results) == 2
    assert (await seen(gql, actors.city, due))["warningLevel"] == "YELLOW"
    assert (await seen(gql, actors.city, late))["warningLevel"] == "RED"
    assert (await sweep(env, now))["warnings"] == 0
    # urging is for before the deadline, supervision for after it
    await ok(gql, URGE, actors.hotline, caseNumber=due, note="请加快")
    assert await refused(gql, SUPERVISE, actors.city, caseNumber=due) == "NOT_OVERDUE"
    assert await refused(gql, URGE, actors.hotline, caseNumber=late) == "ALREADY_OVERDUE"
    assert await refused(gql, SUPERVISE, actors.hotline, caseNumber=late) == "FORBIDDEN"
    await ok(gql, SUPERVISE, actors.city, caseNumber=late, note="督办")
    # an extension is asked before the deadline, with a reason, for a later date within bounds
    resolve_by = dt.datetime.fromisoformat((await seen(gql, actors.city, due))["resolveBy"])
    until = resolve_by + dt.timedelta(days=3)
    asks = {"caseNumber": due, "reason": "需协调产权单位"}
    assert (
        await refused(
            gql,
            REQUEST_EXTENSION,
            team,
            **asks,
            until=(resolve_by - dt.timedelta(hours=1)).isoformat(),
        )
        == "INVALID_EXTENSION"
    )
    assert (
        await refused(
            gql,
            REQUEST_EXTENSION,
            team,
            **asks,
            until=(resolve_by + dt.timedelta(days=40)).isoformat(),
        )
        == "INVALID_EXTENSION"
    )
    assert (
        await refused(gql, REQUEST_EXTENSION, team, caseNumber=due, until=until.isoformat())
        == "REASON_REQUIRED"
    )
    assert (
        await refused(
            gql, REQUEST_EXTENSION, team, caseNumber=late, reason="来不及", until=until.isoformat()
        )
        == "EXTENSION_TOO_LATE"
    )
    assert (
        await refused(gql, REQUEST_EXTENSION, actors.hotline, **asks, until=until.isoformat())
        == "FORBIDDEN"
    )
    await ok(gql, REQUEST_EXTENSION, team, **asks, until=until.isoformat())
    assert await refused(gql, REQUEST_EXTENSION, team, **asks, until=until.isoformat()) == (
        "ILLEGAL_TRANSITION"
    )
    assert await refused(gql, REVIEW_EXTENSION, team, caseNumber=due, approve=True) == "FORBIDDEN"
    await ok(gql, REVIEW_EXTENSION, actors.hotline, caseNumber=due, approve=True, note="同意")
    extended = await seen(gql, actors.city, due)
    assert dt.datetime.fromisoformat(extended["resolveBy"]) == until
    assert extended["warningLevel"] == "GREEN"
    assert extended["extensions"] == [
        {"until": until.isoformat(), "decision": "APPROVED", "decidedBy": {"sub": "12345-agent"}}
    ]
    # then past the old deadline the extended one is what counts: neither red nor overdue
    await sweep(env, resolve_by + dt.timedelta(hours=2))
    extended = await seen(gql, actors.city, due)
    assert (extended["warningLevel"], extended["resolveOverdue"]) == ("GREEN", False)
    # and a week on, the unheeded supervision notice becomes one public notice (通报),
    # the unsigned orders are chased once, and the extended order turns red once
    week = now + dt.timedelta(days=7)
    await asyncio.gather(sweep(env, week), sweep(env, week))
    await sweep(env, week)
    after = {number: (await seen(gql, actors.city, number))["types"] for number in numbers}
    assert after[late].count("PUBLIC_NOTICE") == 1
    assert after[late].count("RED_WARNING") == 1
    assert after[due].count("RED_WARNING") == 1
    assert after[due].count("YELLOW_WARNING") == 1  # the level was lowered by the extension
    assert [after[n].count("SIGN_OVERDUE") for n in numbers] == [1, 1]
