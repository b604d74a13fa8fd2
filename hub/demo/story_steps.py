"""Steps the demo stories share: the people in them, at Beijing times, through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.cases.intake import Intake, report
from hub.cases.models import Case
from hub.config import Settings
from hub.geo.index import GeoIndex
from hub.whistles import reporting, service
from hub.whistles.models import Summons, Whistle

BEIJING = dt.timezone(dt.timedelta(hours=8))
CITY = Actor(sub="demo-city-platform", role=Role.CITY_PLATFORM, jurisdiction_code="110000")
HOTLINE = Actor(sub="demo-12345", role=Role.HOTLINE, jurisdiction_code="110000")


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    """A GeoJSON rectangle (WGS84)."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def at(text: str) -> dt.datetime:
    """A Beijing wall-clock time, e.g. ``2018-05-08 09:30``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def street(code: str) -> Actor:
    return Actor(sub=f"demo-street-{code}", role=Role.STREET_OFFICE, jurisdiction_code=code)


def platform(code: str) -> Actor:
    return Actor(sub=f"demo-platform-{code}", role=Role.DISTRICT_PLATFORM, jurisdiction_code=code)


def department(code: str) -> Actor:
    seat = code.split(".")[0]
    return Actor(
        sub=f"demo-{code}", role=Role.DEPARTMENT, jurisdiction_code=seat, department_code=code
    )


def party_actor(summons: Summons) -> Actor:
    if summons.partner_code is not None:
        return street(summons.partner_code)
    assert summons.department_code is not None
    return department(summons.department_code)


async def parties(session: AsyncSession, whistle: Whistle) -> dict[str, Summons]:
    return {service.label(one): one for one in await service.summons_of(session, whistle)}


async def demo_case(
    session: AsyncSession,
    geo: GeoIndex,
    settings: Settings,
    intake: Intake,
    actor: Actor,
    now: dt.datetime,
) -> Case:
    case, _ = await report(
        session=session, geo=geo, settings=settings, intake=intake, actor=actor, now=now
    )
    return case


async def report_in_all(
    session: AsyncSession,
    geo: GeoIndex,
    whistle: Whistle,
    place: tuple[float, float],
    times: dict[str, dt.datetime],
) -> None:
    found = await parties(session, whistle)
    for code, now in times.items():
        one = found[code]
        await reporting.report_in(
            session=session,
            geo=geo,
            whistle=whistle,
            summons=one,
            point=(*place, "WGS84"),
            note="已到场",
            actor=party_actor(one),
            now=now,
        )


async def complete_all(session: AsyncSession, whistle: Whistle, now: dt.datetime) -> None:
    for one in (await parties(session, whistle)).values():
        await reporting.complete(
            session=session,
            whistle=whistle,
            summons=one,
            note="已完成",
            actor=party_actor(one),
            now=now,
        )


async def rate_all(
    session: AsyncSession, whistle: Whistle, caller: Actor, scores: dict[str, int], now: dt.datetime
) -> None:
    found = await parties(session, whistle)
    ratings = [
        service.Rating(found[code].id, score, "报到及时，配合到位")
        for code, score in scores.items()
    ]
    await service.evaluate(session=session, whistle=whistle, ratings=ratings, actor=caller, now=now)
