"""Reads over jurisdictions and grids; callers own the session (and the transaction)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.geo.models import (
    Grid,
    Jurisdiction,
    JurisdictionLevel,
    descendant_prefix,
    level_of_code,
)
from hub.pagination import Page, PageRequest, fetch_page, fetch_under

CITY_CODE = "110000"


def ancestor_codes(code: str) -> list[str]:
    """Codes from the city down to the parent of ``code``, derived from the code itself."""
    level = level_of_code(code)
    if level is None or level is JurisdictionLevel.CITY:
        return []
    chain = [CITY_CODE, code[:6], code[:9]]
    depth = {JurisdictionLevel.DISTRICT: 1, JurisdictionLevel.SUBDISTRICT: 2}.get(level, 3)
    return chain[:depth]


async def get_many(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, Jurisdiction]:
    rows = await session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(codes)))
    return {row.code: row for row in rows}


async def children_of(
    *, session: AsyncSession, codes: Sequence[str]
) -> dict[str, list[Jurisdiction]]:
    rows = await session.scalars(
        select(Jurisdiction).where(Jurisdiction.parent_code.in_(codes)).order_by(Jurisdiction.code)
    )
    children: dict[str, list[Jurisdiction]] = defaultdict(list)
    for row in rows:
        assert row.parent_code is not None
        children[row.parent_code].append(row)
    return children


async def boundaries(
    *, session: AsyncSession, codes: Sequence[str]
) -> dict[str, tuple[bytes | None, bool]]:
    rows = await session.execute(
        select(Jurisdiction.code, Jurisdiction.boundary, Jurisdiction.boundary_synthetic).where(
            Jurisdiction.code.in_(codes)
        )
    )
    return {code: (wkb, synthetic) for code, wkb, synthetic in rows}


def search_query(
    *, level: JurisdictionLevel | None, parent_code: str | None, search: str | None
) -> Select[Jurisdiction]:
    query = select(Jurisdiction)
    if level is not None:
        query = query.where(Jurisdiction.level == level)
    if parent_code is not None:
        query = query.where(Jurisdiction.parent_code == parent_code)
    if search:
        # A code prefix or a fragment of the name (names are Chinese: no case folding needed).
        query = query.where(
            or_(
                Jurisdiction.code.startswith(search, autoescape=True),
                Jurisdiction.name.contains(search, autoescape=True),
            )
        )
    return query


async def page_jurisdictions(
    *,
    session: AsyncSession,
    level: JurisdictionLevel | None,
    parent_code: str | None,
    search: str | None,
    page: PageRequest,
) -> Page[Jurisdiction]:
    query = search_query(level=level, parent_code=parent_code, search=search)
    return await fetch_page(
        session,
        query,
        entity=Jurisdiction,
        order=Jurisdiction.code,
        page=page,
    )


async def get_grids(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, Grid]:
    rows = await session.scalars(select(Grid).where(Grid.code.in_(codes)))
    return {row.code: row for row in rows}


async def grid_boundaries(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, bytes]:
    rows = await session.execute(select(Grid.code, Grid.boundary).where(Grid.code.in_(codes)))
    return {code: wkb for code, wkb in rows}


async def page_grids_under(
    *, session: AsyncSession, codes: Sequence[str], page: PageRequest
) -> dict[str, Page[Grid]]:
    """Each jurisdiction's grids (all grids whose code starts with its prefix)."""
    pages = await fetch_under(
        session,
        [code_range(code) for code in codes],
        lambda p: select(Grid).where(in_range(Grid.code, p)),
        entity=Grid,
        order=Grid.code,
        page=page,
    )
    return dict(zip(codes, pages, strict=True))


def code_range(code: str) -> dict[str, str]:
    """A jurisdiction as a row of a parents' table (``hub.pagination.fetch_under``): its code
    and the range of codes within it, ``prefix`` ≤ code < ``next``."""
    prefix = descendant_prefix(code)
    return {"code": code, "prefix": prefix, "next": str(int(prefix) + 1).zfill(len(prefix))}


def in_range(column: Any, parent: Any) -> ColumnElement[bool]:
    """``column`` (a division or grid code) lies within the jurisdiction of the row ``parent``
    (of ``code_range``): a range an index on ``column`` reads (``LIKE`` needs the C collation)."""
    return and_(column >= parent.c.prefix, column < parent.c.next)
