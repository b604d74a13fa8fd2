"""The demo's synthetic month loads at any hour, and the same end time gives the same rows."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from hub.cases.models import Case, CaseDispatch, CaseEvent
from hub.db import create_engine, create_sessionmaker
from hub.demo.synthetic import Plan, generate
from hub.geo.index import GeoIndex

# Every hour of two days: which case comes first in a batch depends on the end time.
END_TIMES = [
    dt.datetime(2026, 12, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hour, minutes=43)
    for hour in range(48)
]


@pytest.fixture(scope="module")
async def geo(loaded_database: str) -> AsyncIterator[GeoIndex]:
    engine = create_engine(loaded_database)
    try:
        index = GeoIndex()
        await index.load(create_sessionmaker(engine))
        yield index
    finally:
        await engine.dispose()


async def _month(url: str, geo: GeoIndex, end: dt.datetime) -> str:
    """Generate a small month ending at ``end`` and digest what was written; leave nothing."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            # Batches of two: the first row of each batch decides the statement's parameters.
            plan = Plan(per_day=5, days=8, end=end)
            made = await generate(session=session, geo=geo, plan=plan, batch=2)
            assert made == 40
            digest = hashlib.sha256()
            cases = await session.execute(
                select(
                    Case.number,
                    Case.status,
                    Case.reported_at,
                    Case.resolved_at,
                    Case.closed_at,
                    Case.reopen_count,
                    Case.grid_code,
                ).order_by(Case.number)
            )
            for row in cases:
                digest.update(repr(tuple(row)).encode())
            dispatches = await session.execute(
                select(Case.number, CaseDispatch.department_code, CaseDispatch.status)
                .join(Case, Case.id == CaseDispatch.case_id)
                .order_by(Case.number)
            )
            for row in dispatches:
                digest.update(repr(tuple(row)).encode())
            events = await session.execute(
                select(Case.number, CaseEvent.type, CaseEvent.at)
                .join(Case, Case.id == CaseEvent.case_id)
                .order_by(Case.number, CaseEvent.at, CaseEvent.type)
            )
            for row in events:
                digest.update(repr(tuple(row)).encode())
            await session.rollback()
            return digest.hexdigest()
    finally:
        await engine.dispose()


async def test_synthetic_month_loads_for_every_end_time(
    loaded_database: str, geo: GeoIndex
) -> None:
    reopened_somewhere = False
    for end in END_TIMES:
        await _month(loaded_database, geo, end)
    # The month holds reopened cases (the rows whose keys once differed) at some end time.
    engine = create_engine(loaded_database)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await generate(
                session=session, geo=geo, plan=Plan(per_day=200, days=3, end=END_TIMES[0])
            )
            reopened = await session.scalar(select(Case.id).where(Case.reopen_count > 0).limit(1))
            reopened_somewhere = reopened is not None
            await session.rollback()
    finally:
        await engine.dispose()
    assert reopened_somewhere


async def test_synthetic_month_is_the_same_for_the_same_end_time(
    loaded_database: str, geo: GeoIndex
) -> None:
    for end in END_TIMES[:3]:
        assert await _month(loaded_database, geo, end) == await _month(loaded_database, geo, end)
    assert await _month(loaded_database, geo, END_TIMES[0]) != await _month(
        loaded_database, geo, END_TIMES[24]
    )
