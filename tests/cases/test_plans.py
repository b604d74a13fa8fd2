"""Every filter of the case list is answered from an index, at a size where a full scan shows.

The statement checked is the one the hub really sends for ``cases(first: 20)`` (recorded on the
serving engine), explained by PostgreSQL with the same parameters.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select, text

from hub.app import create_app
from hub.cases import service as cases
from hub.cases.models import Case, CaseDispatch, CaseJurisdiction
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker
from hub.demo.synthetic import Plan
from tests.cases.factories import Actors, synthetic_cases
from tests.conftest import GraphQLClient, HubServer
from tests.support.server import serve_in_thread

# Plans are checked on PostgreSQL, the production database (left out, not skipped, on SQLite).
pytestmark = [pytest.mark.usefixtures("crowd"), pytest.mark.backends("postgresql")]

WRITTEN = 3_000  # cases written by the batch path, with their dispatches and places
COPIES = 8  # then copied in the database, a month earlier each time: 27,000 cases in all
BIG_TABLES = {"case", "case_dispatch", "case_jurisdiction", "case_event"}
PAGE = """query($filter: CaseFilterInput) {
  cases(first: 20, filter: $filter) { edges { node { number } } } }"""
SPAN = 10_000_000  # id offset of each copy


def _copy(table: Any, changed: dict[str, str], originals: str) -> str:
    """``INSERT … SELECT`` copying the ``originals`` of ``table`` once per copy (``g``), with
    some columns ``changed``; a serial id is left to the table unless changed."""
    names = [column.name for column in table.columns if column.name != "id" or "id" in changed]
    values = ", ".join(changed.get(name, f'"{name}"') for name in names)
    listed = ", ".join(f'"{name}"' for name in names)
    return (
        f'INSERT INTO "{table.name}" ({listed}) SELECT {values} '
        f'FROM "{table.name}", generate_series(1, {COPIES}) AS g WHERE {originals}'
    )


@pytest.fixture(scope="module")
async def crowd(settings: Settings) -> AsyncIterator[None]:
    """A few months of synthetic cases: written by the batch path (swept for overdue), then
    copied in the database, then vacuumed and analysed."""
    end = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    plan = Plan(per_day=WRITTEN // 30, days=30, end=end)
    async with synthetic_cases(settings, plan, swept=True) as engine:
        month = "g * interval '30 days'"
        async with engine.begin() as connection:
            copies = {
                "id": f"id + g * {SPAN}",
                "number": "number || '/' || g",
                "reported_at": f"reported_at - {month}",
            }
            await connection.execute(text(_copy(Case.__table__, copies, f"id < {SPAN}")))
            for child in (CaseDispatch.__table__, CaseJurisdiction.__table__):
                moved = {"case_id": f"case_id + g * {SPAN}"}
                await connection.execute(text(_copy(child, moved, f"case_id < {SPAN}")))
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in BIG_TABLES:
                # as autovacuum would: statistics, and the trigram indexes' pending entries merged
                await connection.execute(text(f'VACUUM ANALYZE "{table}"'))
        yield


class Recorder:
    """The statements a hub sends that page cases, with their parameters."""

    def __init__(self) -> None:
        self.pages: list[tuple[str, Any]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if 'FROM "case"' in statement and "LIMIT" in statement:
            self.pages.append((statement, parameters))


@pytest.fixture(scope="module")
def recorded(settings: Settings) -> Iterator[tuple[str, Recorder]]:
    app = create_app(settings)
    recorder = Recorder()
    event.listen(app.state.hub.engine.sync_engine, "before_cursor_execute", recorder)
    with serve_in_thread(app) as url:
        yield url, recorder


async def _values(settings: Settings) -> dict[str, Any]:
    """Real values to filter by, taken from the cases written."""
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            newest = (await session.scalars(select(Case).order_by(Case.id.desc()))).first()
            oldest = await session.scalar(
                select(Case.address).where(Case.address.is_not(None)).order_by(Case.reported_at)
            )
            assert newest is not None
            assert oldest is not None
            department = await session.scalar(
                select(CaseDispatch.department_code)
                .group_by(CaseDispatch.department_code)
                .order_by(func.count().desc())
            )
            return {
                "district": newest.district_code,
                "subdistrict": newest.subdistrict_code,
                "community": newest.community_code,
                "grid": newest.grid_code,
                "category": newest.category_code,
                "department": department,
                "text": newest.description[:6],
                "address": oldest,  # a building's: a handful of cases at most
            }
    finally:
        await engine.dispose()


def _scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


async def _explain(settings: Settings, statement: str, parameters: Any) -> list[dict[str, Any]]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            found = await driver.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *parameters)
            plans = json.loads(found) if isinstance(found, str) else found
            return list(_scans(plans[0]["Plan"]))
    finally:
        await engine.dispose()


async def test_each_filter_of_the_case_list_is_answered_from_an_index(
    settings: Settings, recorded: tuple[str, Recorder], hub_server: HubServer
) -> None:
    url, recorder = recorded
    city = Actors(hub_server).city
    v = await _values(settings)
    filters: dict[str, dict[str, Any]] = {
        "unfiltered": {},
        "jurisdictionCode (district)": {"jurisdictionCode": v["district"]},
        "jurisdictionCode (street office)": {"jurisdictionCode": v["subdistrict"]},
        "jurisdictionCode (community)": {"jurisdictionCode": v["community"]},
        "gridCode": {"gridCode": v["grid"]},
        "status": {"status": "DISPATCHED"},
        "statuses": {"statuses": ["RECEIVED", "DISPATCHED", "RESPONDED"]},
        "categoryCode (leaf)": {"categoryCode": v["category"]},
        "categoryCode (group)": {"categoryCode": "CITY_APPEARANCE"},
        "source": {"source": "GRID_PATROL"},
        "departmentCode": {"departmentCode": v["department"]},
        "reportedFrom": {"reportedFrom": "2026-11-28T00:00:00Z"},
        "reportedTo": {"reportedTo": "2026-11-05T00:00:00Z"},
        "text": {"text": v["text"]},
        "text (rare)": {"text": v["address"]},
        "overdue (true)": {"overdue": True},
        "overdue (false)": {"overdue": False},
    }
    unindexed: dict[str, list[str]] = {}
    used: dict[str, list[str]] = {}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        gql = GraphQLClient(client)
        for name, case_filter in filters.items():
            # when the city platform asks for the first page with this filter
            recorder.pages.clear()
            data = await gql.execute(PAGE, {"filter": case_filter}, token=city)
            assert data["cases"]["edges"], name  # a page that finds something
            (statement, parameters), *_ = recorder.pages
            # then PostgreSQL plans it through an index, never a full scan of a big table
            nodes = await _explain(settings, statement, parameters)
            full = [n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"]
            indexed = [n["Index Name"] for n in nodes if "Index Name" in n]
            if set(full) & BIG_TABLES or not indexed:
                unindexed[name] = [n["Node Type"] for n in nodes]
            used[name] = indexed
    assert unindexed == {}
    # and a rare text is looked up in the trigram indexes, not scanned for newest first
    assert any(index.endswith("_trgm") for index in used["text (rare)"]), used["text (rare)"]


async def test_the_overdue_sweep_reads_only_cases_that_can_fall_overdue(settings: Settings) -> None:
    # given the sweeper's statements, recorded as it sweeps the crowd of cases
    engine = create_engine(settings.database_url)
    sweeps: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith('UPDATE "case"') and "_overdue" in statement:
            sweeps.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await cases.sweep_overdue(session=session, now=dt.datetime.now(dt.UTC))
    finally:
        await engine.dispose()
    # then each clock's pass is planned through its partial index, not a scan of every case
    assert len(sweeps) == 2
    used = []
    for statement, parameters in sweeps:
        nodes = await _explain(settings, statement, parameters)
        assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
        used += [n["Index Name"] for n in nodes if "Index Name" in n]
    assert used == ["ix_case_respond_due", "ix_case_resolve_due"]
