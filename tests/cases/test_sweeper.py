"""Overdue cases are flagged exactly once, however many hub processes sweep at the same time."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys

import pytest

from tests.cases.factories import DISPATCH, REPORT, RESPOND, Actors, ok
from tests.conftest import TEST_SECRET, GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU = {"lat": 39.900, "lng": 116.235}
SWEEPERS = 3


async def test_concurrent_sweepers_flag_each_overdue_case_once(
    gql: GraphQLClient, hub_server: HubServer, loaded_database: str
) -> None:
    actors = Actors(hub_server)
    now = dt.datetime.now(dt.UTC)
    # given five cases past their respond-by deadline, one answered in time, one still fresh
    late = [
        await ok(
            gql,
            REPORT,
            actors.hotline,
            description=f"积水 {i}",
            categoryCode="OTHER",
            source="HOTLINE_12345",
            location=LUGU,
            reportedAt=(now - dt.timedelta(days=2)).isoformat(),
        )
        for i in range(5)
    ]
    answered = await ok(
        gql,
        REPORT,
        actors.hotline,
        description="已响应",
        categoryCode="OTHER",
        source="HOTLINE_12345",
        location=LUGU,
        reportedAt=(now - dt.timedelta(days=2)).isoformat(),
    )
    await ok(
        gql,
        DISPATCH,
        actors.city,
        caseNumber=answered["number"],
        departmentCodes=["110107011.URBAN_MANAGEMENT"],
    )
    await ok(gql, RESPOND, actors.city, caseNumber=answered["number"])
    fresh = await ok(
        gql,
        REPORT,
        actors.hotline,
        description="刚报",
        categoryCode="OTHER",
        source="HOTLINE_12345",
        location=LUGU,
    )
    # when three `hub sweep` processes run at once
    env = {**os.environ, "HUB_DATABASE_URL": loaded_database, "HUB_JWT_SECRET": TEST_SECRET}
    flagged = await asyncio.gather(*(hub_sweep(env, now) for _ in range(SWEEPERS)))
    # then together they flagged each late case exactly once
    assert sum(flagged) == 5
    query = """query($n: String!) { case(number: $n) { respondOverdue events { type } } }"""
    for case in late:
        seen = (await gql.execute(query, {"n": case["number"]}, token=actors.city))["case"]
        assert seen["respondOverdue"] is True
        assert [e["type"] for e in seen["events"]].count("RESPOND_OVERDUE") == 1
    for case in (answered, fresh):
        seen = (await gql.execute(query, {"n": case["number"]}, token=actors.city))["case"]
        assert seen["respondOverdue"] is False
    overdue = await gql.execute(
        "{ cases(filter: {overdue: true}) { totalCount } }", token=actors.city
    )
    assert overdue["cases"]["totalCount"] == 5
    # and sweeping again finds nothing new
    assert await hub_sweep(env, now) == 0


async def hub_sweep(env: dict[str, str], now: dt.datetime) -> int:
    """Run `hub sweep` as its own process; return how many cases it flagged."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub.cli",
        "sweep",
        "--now",
        now.isoformat(),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    return int(json.loads(out)["cases"])
