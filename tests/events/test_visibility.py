"""Live events are judged in Python, replays in SQL: both must pick the same events for everyone.

The SQL side is the very query behind ``cases`` and ``whistles`` (``case_visibility`` in
``hub.cases.access``, ``whistle_visibility`` in ``hub.whistles.access``); the Python side is
``may_see_case`` and ``may_see_whistle`` beside them.  Any drift between them would show a
subscriber different events live and on resume.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.auth.actors import Actor, Role
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker
from hub.events.sources import (
    CASES,
    WHISTLES,
    CaseSelection,
    Source,
    WhistleSelection,
    owners,
)
from tests.cases.factories import DISPATCH, REPORT, Actors
from tests.cases.factories import ok as case_ok
from tests.conftest import GraphQLClient
from tests.events.conftest import LiveHub, top_event_id
from tests.whistles.factories import BLOW, REPORT_IN, ok, party

pytestmark = pytest.mark.usefixtures("clean")

LUGU, GUANGWAI, TAIPINGQIAO, JINHAIHU = "110107011", "110102020", "110106002", "110117006"
LUGU_TEAM, POLICE = f"{LUGU}.URBAN_MANAGEMENT", "110117.PUBLIC_SECURITY"
ASTRIDE = {  # a building on the Xicheng/Fengtai line
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
MINE = {"lat": 40.1616, "lng": 117.3186}


async def build_the_city(http: GraphQLClient, live: LiveHub) -> str:
    """Cases and whistles that different people may and may not see; a Lugu grid code."""
    lugu, guangwai = Actors.street(live.server, LUGU), Actors.street(live.server, GUANGWAI)
    town = Actors.street(live.server, JINHAIHU)
    lugu_case = await case_ok(
        http, REPORT, lugu, description="噪声", categoryCode="NOISE", source="GRID_PATROL",
        location={"lat": 39.900, "lng": 116.235},
    )  # fmt: skip
    await case_ok(http, DISPATCH, lugu, caseNumber=lugu_case["number"], departmentCodes=[LUGU_TEAM])
    astride = await case_ok(
        http, REPORT, guangwai, description="违建", categoryCode="ILLEGAL_CONSTRUCTION",
        source="STREET_CHIEF", location={"lat": 39.8802, "lng": 116.3162}, footprint=ASTRIDE,
    )  # fmt: skip
    mine = await case_ok(
        http, REPORT, town, description="盗采", categoryCode="OTHER", source="GRID_PATROL",
        location=MINE,
    )  # fmt: skip
    emergency = await ok(
        http, BLOW, town, callerCode=JINHAIHU, kind="EMERGENCY", caseNumbers=[mine["number"]],
        departmentCodes=[POLICE, "110117.ECOLOGY_ENVIRONMENT"], reason="盗采金矿",
    )  # fmt: skip
    police = Actors.department(live.server, POLICE)
    await ok(http, REPORT_IN, police, summonsId=party(emergency, POLICE)["id"], location=MINE)
    await ok(
        http, BLOW, guangwai, callerCode=GUANGWAI, kind="DAILY_ENFORCEMENT",
        caseNumbers=[astride["number"]], partnerCodes=[TAIPINGQIAO],
        departmentCodes=[f"{GUANGWAI}.URBAN_MANAGEMENT"], reason="骑线违建，联合拆除",
    )  # fmt: skip
    return str(lugu_case["grid"]["code"])


def people(grid: str) -> list[Actor]:
    def actor(role: Role, jurisdiction: str | None = None, department: str | None = None) -> Actor:
        return Actor(f"{role}:{jurisdiction}:{department}", role, jurisdiction, department)

    return [
        actor(Role.CITY_PLATFORM, "110000"),
        actor(Role.HOTLINE, "110000"),
        actor(Role.OBSERVER, "110000"),
        Actor("anonymous", None),
        *(actor(Role.DISTRICT_PLATFORM, code) for code in ("110107", "110102", "110106", "110117")),
        *(actor(Role.STREET_OFFICE, code) for code in (LUGU, GUANGWAI, TAIPINGQIAO, JINHAIHU)),
        actor(Role.GRID_WORKER, grid),
        *(
            actor(Role.DEPARTMENT, code.split(".")[0], code)
            for code in (LUGU_TEAM, POLICE, "110117.WATER", f"{GUANGWAI}.URBAN_MANAGEMENT")
        ),
    ]


FILTERS: list[dict[str, str | None]] = [
    {},
    {"jurisdiction_code": "110000"},
    {"jurisdiction_code": "110102"},
    {"jurisdiction_code": TAIPINGQIAO},
    {"jurisdiction_code": "110117"},
    {"department_code": LUGU_TEAM},
    {"department_code": POLICE},
    {"department_code": f"{GUANGWAI}.URBAN_MANAGEMENT"},
]


async def judged(
    settings: Settings, source: Source[Any, Any], selections: list[Any], after: int
) -> list[tuple[set[int], set[int]]]:
    """For each selection: the event ids it picks in Python, and in SQL."""
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            model = source.model
            rows = list((await session.scalars(select(model).where(model.id > after))).all())
            facts = await source.load_facts(session, owners(source, rows))
            top = max((row.id for row in rows), default=after)
            found = []
            for selection in selections:
                python = {row.id for row in rows if selection.matches(facts[source.owner(row)])}
                sql = set((await session.scalars(selection.replay(after, top))).all())
                found.append((python, {row.id for row in sql}))
            return found
    finally:
        await engine.dispose()


async def test_live_and_replayed_events_are_judged_alike_for_everyone(
    live: LiveHub, http: GraphQLClient
) -> None:
    after_cases = await top_event_id(live.settings, "case_event")
    after_whistles = await top_event_id(live.settings, "whistle_event")
    grid = await build_the_city(http, live)
    actors = people(grid)
    case_selections = [CaseSelection(actor, **f) for actor in actors for f in FILTERS]
    whistle_selections = [WhistleSelection(actor, **f) for actor in actors for f in FILTERS]
    cases = await judged(live.settings, CASES, case_selections, after_cases)
    whistles = await judged(live.settings, WHISTLES, whistle_selections, after_whistles)
    for selection, (python, sql) in zip(
        case_selections + whistle_selections, cases + whistles, strict=True
    ):
        assert python == sql, selection
    # (and the rules do tell people apart: not everyone sees everything, nor nothing)
    case_counts = {len(python) for python, _ in cases}
    whistle_counts = {len(python) for python, _ in whistles}
    assert len(case_counts) >= 3
    assert len(whistle_counts) >= 3
