"""A city-sized data set for the benchmarks: N realistic cases over the last days.

The demo's synthetic traffic (``hub.demo.synthetic``), written the way the demo's month is --
cases with their dispatches, places and timelines through the batch intake
(``hub.cases.batch.report_many``) -- one day per transaction, so a long fill can be stopped
and what was committed stays consistent.

A fill at least as large as what is there writes without the case tables' secondary indexes
and makes them again, whole, at the end (sorting each index once beats updating it row by
row, most of all the trigram indexes on PostgreSQL). The indexes go in their own transaction
before the days, and come back in their own after them, or when the fill fails; a fill killed
outright leaves them out until the next ``hub bench-data`` (any size) makes the missing ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.bootstrap import load_reference_data
from hub.cases.batch import WRITTEN
from hub.cases.models import Case
from hub.config import Settings
from hub.db import create_indexes, drop_indexes, transaction, utcnow
from hub.demo.synthetic import Plan, generate
from hub.geo.index import GeoIndex


def day_sizes(cases: int, days: int) -> list[int]:
    """``cases`` spread over ``days`` as evenly as whole cases go (the newest day first)."""
    share, extra = divmod(cases, days)
    return [share + (1 if day < extra else 0) for day in range(days)]


async def fill(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    cases: int,
    days: int,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
    defer_indexes: bool | None = None,
) -> int:
    """Add ``cases`` synthetic cases reported over the ``days`` before now; return how many.

    ``defer_indexes`` (None: when ``cases`` is at least what the table holds) writes them
    without the secondary indexes, made again at the end."""
    await load_reference_data(sessionmaker)
    geo = GeoIndex()
    await geo.load(sessionmaker)
    async with transaction(sessionmaker) as session:
        # Those a killed fill left out are made first.
        await create_indexes(await session.connection(), WRITTEN)
        present = await session.scalar(select(func.count()).select_from(Case)) or 0
    if defer_indexes is None:
        defer_indexes = cases >= present
    if defer_indexes:
        async with transaction(sessionmaker) as session:
            await drop_indexes(await session.connection(), WRITTEN)
    try:
        return await _days(sessionmaker, geo, cases, days, seed, progress, settings)
    finally:
        if defer_indexes:
            async with transaction(sessionmaker) as session:
                await create_indexes(await session.connection(), WRITTEN)


async def _days(
    sessionmaker: async_sessionmaker[AsyncSession],
    geo: GeoIndex,
    cases: int,
    days: int,
    seed: int,
    progress: Callable[[int], None] | None,
    settings: Settings | None,
) -> int:
    end = utcnow()
    made = 0
    for day, size in enumerate(day_sizes(cases, days)):
        if not size:
            continue
        plan = Plan(per_day=size, days=1, end=end - dt.timedelta(days=day), seed=seed + day)
        async with transaction(sessionmaker) as session:
            made += await generate(session=session, geo=geo, plan=plan, settings=settings)
        if progress is not None:
            progress(made)
    return made
