"""``hub bench-data`` fills a database with realistic cases spread over the days asked for."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect

from hub.cases.batch import WRITTEN
from hub.cases.models import Case, CaseDispatch, CaseEvent, CaseJurisdiction
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, secondary_indexes
from tests.test_cli import run_hub

pytestmark = pytest.mark.usefixtures("clean")


async def test_bench_data_adds_the_cases_asked_for_over_the_days_asked_for(
    settings: Settings,
) -> None:
    # when 250 cases are asked for over the last 3 days (twice: it adds, it does not replace)
    for _ in range(2):
        result = run_hub("bench-data", "--cases", "250", "--days", "3", url=settings.database_url)
        assert result.returncode == 0, result.stderr
        assert "added 250 cases" in result.stdout
    # then the database holds them, each placed, dispatched and with a timeline, over 3 days
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            assert await session.scalar(select(func.count()).select_from(Case)) == 500
            numbers = await session.scalar(select(func.count(func.distinct(Case.number))))
            assert numbers == 500
            for child in (CaseEvent, CaseJurisdiction):
                cases = select(func.count(func.distinct(child.case_id)))
                assert await session.scalar(cases) == 500
            assert await session.scalar(select(func.count()).select_from(CaseDispatch)) > 0
            first, last = (
                await session.execute(
                    select(func.min(Case.reported_at), func.max(Case.reported_at))
                )
            ).one()
            assert 1.5 < (last - first).total_seconds() / 86400 <= 3
            districts = await session.scalar(select(func.count(func.distinct(Case.district_code))))
            assert (districts or 0) >= 10
        # and every index the case tables are made with is there again after the fills (each
        # wrote without the secondary indexes: it was at least the size of what was there)
        async with engine.connect() as connection:
            wanted = {str(index.name) for index in secondary_indexes(WRITTEN, engine.dialect.name)}
            present = await connection.run_sync(
                lambda sync: {
                    index["name"]
                    for table in WRITTEN
                    for index in sa_inspect(sync).get_indexes(table.name)
                }
            )
        assert wanted
        assert wanted <= present, wanted - present
    finally:
        await engine.dispose()
