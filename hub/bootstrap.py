"""Setting up a database: migrate, then load Beijing's reference data, idempotently.

The reference data is loaded in one transaction: a crash half-way leaves nothing behind, and
running it again after success changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hub import migrate
from hub.categories.models import Category, Responsibility
from hub.categories.reference import bundled_categories
from hub.db import BulkInsert, transaction
from hub.departments.models import Department
from hub.departments.reference import bundled_departments
from hub.geo.models import Grid, Jurisdiction, JurisdictionLevel
from hub.geo.reference import CITY_CODE, load_city_outline
from hub.geo.synth import Area, City, build_city

log = logging.getLogger("hub.bootstrap")

BATCH = 5_000


async def reference_loaded(session: AsyncSession) -> bool:
    return (await session.get(Jurisdiction, CITY_CODE)) is not None


async def load_reference_data(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    """Load jurisdictions, grids, departments and categories unless already there.

    Returns True when it loaded, False when the data was already present.
    """
    async with sessionmaker() as session:
        if await reference_loaded(session):
            return False
    city = build_city()
    async with transaction(sessionmaker) as session:
        if await reference_loaded(session):  # another process won the race
            return False
        await _insert(session, Jurisdiction, _jurisdiction_rows(city))
        await _insert(session, Grid, _grid_rows(city.grids))
        await _insert(session, Department, _department_rows(city))
        await _insert_categories(session)
    log.info(
        "loaded Beijing: %d districts, %d street offices, %d communities, %d grids",
        len(city.districts),
        len(city.streets),
        len(city.communities),
        len(city.grids),
    )
    return True


async def setup_database(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> bool:
    """Migrate to head and load the reference data; safe to run any number of times."""
    await migrate.upgrade(engine)
    return await load_reference_data(sessionmaker)


async def _insert(session: AsyncSession, model: Any, rows: Iterable[dict[str, Any]]) -> None:
    """Through the driver (PostgreSQL: COPY), in batches; every row names the same columns."""
    bulk: BulkInsert | None = None
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            bulk = bulk or BulkInsert.of(model, list(batch[0]))
            await bulk.execute(session, batch)
            batch = []
    if batch:
        await (bulk or BulkInsert.of(model, list(batch[0]))).execute(session, batch)


def _wkb(areas: Sequence[Area]) -> list[bytes]:
    return list(shapely.to_wkb([area.geometry for area in areas]))


def _jurisdiction_rows(city: City) -> Iterable[dict[str, Any]]:
    outline = load_city_outline()
    yield {
        "code": CITY_CODE,
        "name": outline.name,
        "level": JurisdictionLevel.CITY,
        "kind": "CITY",
        "parent_code": None,
        "boundary": shapely.to_wkb(outline.geometry),
        "boundary_synthetic": False,
    }
    layers = (
        (city.districts, JurisdictionLevel.DISTRICT, False),
        (city.streets, JurisdictionLevel.SUBDISTRICT, True),
        (city.communities, JurisdictionLevel.COMMUNITY, True),
    )
    for areas, level, synthetic in layers:
        for area, wkb in zip(areas, _wkb(areas), strict=True):
            yield {
                "code": area.code,
                "name": area.name,
                "level": level,
                "kind": area.kind or level.value,
                "parent_code": area.parent_code,
                "boundary": wkb,
                "boundary_synthetic": synthetic,
            }


def _grid_rows(grids: Sequence[Area]) -> Iterable[dict[str, Any]]:
    for area, wkb in zip(grids, _wkb(grids), strict=True):
        yield {
            "code": area.code,
            "name": area.name,
            "community_code": area.parent_code,
            "boundary": wkb,
            "boundary_synthetic": True,
        }


def _department_rows(city: City) -> Iterable[dict[str, Any]]:
    records = bundled_departments(
        (CITY_CODE, "北京市"),
        [(area.code, area.name) for area in city.districts],
        [(area.code, area.name) for area in city.streets],
    )
    for record in records:
        yield {
            "code": record.code,
            "name": record.name,
            "kind": record.kind,
            "level": record.level,
            "jurisdiction_code": record.jurisdiction_code,
            "is_fallback": record.is_fallback,
        }


async def _insert_categories(session: AsyncSession) -> None:
    records = bundled_categories()
    await _insert(
        session,
        Category,
        (
            {"code": r.code, "name": r.name, "parent_code": r.parent_code, "position": position}
            for position, r in enumerate(records)
        ),
    )
    await _insert(
        session,
        Responsibility,
        (
            {"category_code": r.code, "department_kind": kind, "level": level, "rank": rank}
            for r in records
            for rank, (kind, level) in enumerate(r.answerable)
        ),
    )


async def is_ready(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    async with sessionmaker() as session:
        return (await session.scalar(select(Grid.code).limit(1))) is not None
