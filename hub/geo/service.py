"""Reads over jurisdictions and grids; callers own the session (and the transaction)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import CompoundSelect, Select, SQLColumnExpression, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.geo.models import (
    Grid,
    Jurisdiction,
    JurisdictionLevel,
    descendant_prefix,
    level_of_code,
)
from hub.pagination import Page, PageRequest, fetch_pages

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
    pages = await fetch_pages(
        session,
        query,
        entity=Jurisdiction,
        partition=None,
        parents=[0],
        order=Jurisdiction.code,
        page=page,
    )
    return pages[0]


async def get_grids(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, Grid]:
    rows = await session.scalars(select(Grid).where(Grid.code.in_(codes)))
    return {row.code: row for row in rows}


async def grid_boundaries(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, bytes]:
    rows = await session.execute(select(Grid.code, Grid.boundary).where(Grid.code.in_(codes)))
    return {code: wkb for code, wkb in rows}


def _by_prefix_length(codes: Sequence[str]) -> dict[int, dict[str, str]]:
    """The jurisdictions of ``codes`` by the length of their descendants' prefix: for each
    length, each prefix and the code it is of (one statement pages a length's group)."""
    groups: dict[int, dict[str, str]] = defaultdict(dict)
    for code in codes:
        prefix = descendant_prefix(code)
        groups[len(prefix)][prefix] = code
    return groups


async def page_grids_under(
    *, session: AsyncSession, codes: Sequence[str], page: PageRequest
) -> dict[str, Page[Grid]]:
    """Each jurisdiction's grids (all grids whose code starts with its prefix)."""
    result: dict[str, Page[Grid]] = {}
    for length, prefixes in _by_prefix_length(codes).items():
        pages = await fetch_pages(
            session,
            select(Grid),
            entity=Grid,
            partition=func.substr(Grid.code, 1, length),
            parents=list(prefixes),
            order=Grid.code,
            page=page,
        )
        result.update({prefixes[prefix]: found for prefix, found in pages.items()})
    return result


async def page_within(
    session: AsyncSession,
    query: Select[Any],
    *,
    entity: Any,
    key: SQLColumnExpression[Any],
    places: Select[Any] | CompoundSelect[Any],
    codes: Sequence[str],
    page: PageRequest,
) -> dict[str, Page[Any]]:
    """Page ``query`` (of ``entity``, newest ``key`` first) for each jurisdiction of ``codes``.

    A row lies within a jurisdiction when one of its ``places`` -- ``(id, code)`` pairs of a
    row's ``key`` and a street-office code -- lies within it, descendants included (as
    ``startswith(descendant_prefix(code))`` does for one).  One statement per length of code.
    """
    held = places.subquery()
    result: dict[str, Page[Any]] = {}
    for length, prefixes in _by_prefix_length(codes).items():
        # One row per row of ``query`` and jurisdiction it lies in, however many places do.
        member = (
            select(held.c.id, func.substr(held.c.code, 1, length).label("parent"))
            .distinct()
            .subquery()
        )
        pages = await fetch_pages(
            session,
            query.join(member, member.c.id == key),
            entity=entity,
            partition=member.c.parent,
            parents=list(prefixes),
            order=key,
            page=page,
            descending=True,
        )
        result.update({prefixes[prefix]: found for prefix, found in pages.items()})
    return result
