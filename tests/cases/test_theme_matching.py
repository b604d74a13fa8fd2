"""每月一题: a theme's cases are exactly the matching ones, however their commits interleave
with the theme's setup and the sweeps (on PostgreSQL a case with a lower id can commit after a
higher one was read; SQLite has one writer, so nothing is in flight there)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text

from hub.cases.models import Case
from hub.db import create_engine
from hub.numbers import BEIJING
from tests.cases.factories import CREATE_THEME, REPORT, Actors, mutate, ok
from tests.cases.test_clocks import sweep
from tests.conftest import TEST_SECRET, GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU = {"lat": 39.900, "lng": 116.235}
THEME_CASES = """query($month: String!) { monthlyThemes(month: $month) {
  title cases(first: 50) { totalCount nodes { number } } } }"""
COPIED = [
    c.name for c in Case.__table__.columns if c.name not in ("id", "number", "themes_matched")
]


async def _report(gql: GraphQLClient, token: str, text_: str) -> str:
    case = await ok(
        gql,
        REPORT,
        token,
        description=text_,
        categoryCode="ILLEGAL_CONSTRUCTION",
        source="HOTLINE_12345",
        location=LUGU,
    )
    return str(case["number"])


@asynccontextmanager
async def in_flight(url: str, backend: str, like: str, number: str) -> AsyncIterator[None]:
    """A copy of case ``like`` numbered ``number``, inserted and left uncommitted while the
    block runs (on PostgreSQL; SQLite's single writer commits it first)."""
    engine = create_engine(url)
    columns = ", ".join(COPIED)
    insert = text(
        f'INSERT INTO "case" (number, themes_matched, {columns}) '
        f'SELECT :number, false, {columns} FROM "case" WHERE number = :like'
    )
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(insert, {"number": number, "like": like})
            if backend == "sqlite":
                await transaction.commit()
                yield
                return
            yield
            await transaction.commit()
    finally:
        await engine.dispose()


async def test_a_theme_gets_every_matching_case_however_commits_interleave(
    gql: GraphQLClient, hub_server: HubServer, backend: str
) -> None:
    url = hub_server.settings.database_url
    actors = Actors(hub_server)
    env = {**os.environ, "HUB_DATABASE_URL": url, "HUB_JWT_SECRET": TEST_SECRET}
    month = dt.datetime.now(BEIJING).strftime("%Y-%m")
    first = await _report(gql, actors.hotline, "楼顶违建")
    theme = {
        "month": month,
        "title": "违建整治",
        "leadDepartmentCode": "110107.URBAN_MANAGEMENT",
        "categoryCodes": ["ILLEGAL_CONSTRUCTION"],
        "jurisdictionCode": "110107",
    }

    async def theme_cases() -> set[str]:
        data = await gql.execute(THEME_CASES, {"month": month}, token=actors.city)
        [found] = data["monthlyThemes"]
        return {node["number"] for node in found["cases"]["nodes"]}

    # given a case taken in but not yet committed while a later one commits and the theme is
    # set up (the setup cannot see the first; it sees the later, higher id)
    async with in_flight(url, backend, first, "X-IN-FLIGHT-1"):
        later = await _report(gql, actors.hotline, "违建扩建")
        assert (await mutate(gql, CREATE_THEME, actors.city, **theme))["errors"] == []
        seen_at_setup = await theme_cases()
    assert {first, later} <= seen_at_setup
    # when the sweeper runs once the case has committed
    await sweep(env, dt.datetime.now(dt.UTC))
    # then the theme has it too
    assert await theme_cases() == {first, later, "X-IN-FLIGHT-1"}
    # given, once the theme is settled, a case in flight while a later one is swept in
    async with in_flight(url, backend, first, "X-IN-FLIGHT-2"):
        newest = await _report(gql, actors.hotline, "违建加层")
        await sweep(env, dt.datetime.now(dt.UTC))
    assert newest in await theme_cases()
    # when the sweeper runs again after it committed
    await sweep(env, dt.datetime.now(dt.UTC))
    # then every matching case is the theme's, each once, and a further sweep adds nothing
    expected = {first, later, newest, "X-IN-FLIGHT-1", "X-IN-FLIGHT-2"}
    assert await theme_cases() == expected
    assert (await sweep(env, dt.datetime.now(dt.UTC)))["themes"] == 0
    data = await gql.execute(THEME_CASES, {"month": month}, token=actors.city)
    assert data["monthlyThemes"][0]["cases"]["totalCount"] == len(expected)
