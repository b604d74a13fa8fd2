"""Demo data over the reference data: the seed stories and a synthetic month, loaded once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.batch import indexes_deferred
from hub.config import Settings
from hub.db import transaction, utcnow
from hub.demo.case_stories import load_case_stories
from hub.demo.centre_day import load_centre_day
from hub.demo.synthetic import Plan, generate
from hub.demo.whistle_stories import load_whistle_stories
from hub.geo.index import GeoIndex
from hub.numbers import NumberSequence

SYNTHETIC_MARKER = "synthetic-demo"


async def load_demo_data(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, cases_per_day: int
) -> dict[str, int]:
    """The seed stories' cases (and whistles) and a synthetic month of hotline traffic, once."""
    geo = GeoIndex()
    await geo.load(sessionmaker)
    loaded = {"synthetic": 0, "stories": 0}
    async with transaction(sessionmaker) as session:
        if cases_per_day and await session.get(NumberSequence, SYNTHETIC_MARKER) is None:
            plan = Plan(per_day=cases_per_day, days=30, end=utcnow())
            async with indexes_deferred(session):
                loaded["synthetic"] = await generate(
                    session=session, geo=geo, plan=plan, settings=settings
                )
            session.add(NumberSequence(scope=SYNTHETIC_MARKER, value=loaded["synthetic"]))
    async with transaction(sessionmaker) as session:
        loaded["stories"] = await load_case_stories(session=session, geo=geo, settings=settings)
    async with transaction(sessionmaker) as session:
        loaded["centre_day"] = await load_centre_day(session=session, geo=geo, settings=settings)
    loaded["whistle_stories"] = await load_whistle_stories(sessionmaker, geo)
    return loaded
