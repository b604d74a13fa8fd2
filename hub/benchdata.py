"""A city-sized data set for the benchmarks: N realistic cases over the last days.

The demo's synthetic traffic (``hub.demo.synthetic``), written the way the demo's month is --
cases with their dispatches, places and timelines through the batch intake
(``hub.cases.batch.report_many``) -- one day per transaction, so a long fill can be stopped
and what was committed stays consistent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.bootstrap import load_reference_data
from hub.config import Settings
from hub.db import transaction, utcnow
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
) -> int:
    """Add ``cases`` synthetic cases reported over the ``days`` before now; return how many."""
    await load_reference_data(sessionmaker)
    geo = GeoIndex()
    await geo.load(sessionmaker)
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
