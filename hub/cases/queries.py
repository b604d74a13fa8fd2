"""Reads over cases: filtered pages within what the actor may see, and batched relations."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.auth.actors import Actor
from hub.cases.access import case_visibility
from hub.cases.models import (
    Case,
    CaseDispatch,
    CaseEvent,
    CaseExternalRef,
    CaseJurisdiction,
    CaseSource,
    CaseStatus,
)
from hub.categories.reference import selected_codes
from hub.geo.models import JurisdictionLevel, level_of_code
from hub.geo.service import code_range
from hub.pagination import Page, PageRequest, fetch_each, fetch_under


@dataclass(frozen=True, slots=True)
class CaseFilter:
    jurisdiction_code: str | None = None
    grid_code: str | None = None
    status: CaseStatus | None = None
    statuses: frozenset[CaseStatus] | None = None
    category_code: str | None = None
    source: CaseSource | None = None
    department_code: str | None = None
    reported_from: dt.datetime | None = None
    reported_to: dt.datetime | None = None
    text: str | None = None
    overdue: bool | None = None


HOME_COLUMN = {
    JurisdictionLevel.DISTRICT: Case.district_code,
    JurisdictionLevel.SUBDISTRICT: Case.subdistrict_code,
    JurisdictionLevel.COMMUNITY: Case.community_code,
}


def within_jurisdiction(code: str) -> ColumnElement[bool]:
    """Cases placed in jurisdiction ``code`` (any level, descendants included), and those whose
    footprint crosses into it."""
    level = level_of_code(code)
    if level is None:
        return false()
    bounds = code_range(code)
    return placed_within(level, bounds["code"], bounds["prefix"], bounds["next"])


def placed_within(
    level: JurisdictionLevel, code: Any, prefix: Any, following: Any
) -> ColumnElement[bool]:
    """Within a jurisdiction of ``level`` (its ``code`` and codes from ``prefix`` to before
    ``following``, values or a parents' table's columns): an equality an index on the home
    column answers, or a case known to cross boundaries with a street office in range."""
    if level is JurisdictionLevel.CITY:
        return true()
    home: ColumnElement[bool] = HOME_COLUMN[level] == code
    if level is JurisdictionLevel.COMMUNITY:
        return home  # footprints are recorded by the street offices they cross
    crossing = (
        exists()
        .where(
            CaseJurisdiction.case_id == Case.id,
            CaseJurisdiction.subdistrict_code >= prefix,
            CaseJurisdiction.subdistrict_code < following,
        )
        .correlate_except(CaseJurisdiction)
    )  # the parents' table too, two levels up
    return or_(home, and_(Case.crosses_boundary, crossing))


def filtered(case_filter: CaseFilter, actor: Actor) -> Select[Case]:
    """Cases matching the filter, restricted to those the actor may see."""
    query = select(Case).where(case_visibility(actor))
    f = case_filter
    if f.jurisdiction_code:
        query = query.where(within_jurisdiction(f.jurisdiction_code))
    if f.grid_code:
        query = query.where(Case.grid_code == f.grid_code)
    if f.status:
        query = query.where(Case.status == f.status)
    if f.statuses is not None:
        query = query.where(Case.status.in_(f.statuses))
    if f.category_code:
        # A group code selects its leaves too; a leaf is an equality, walked in the index's order.
        codes = selected_codes(f.category_code)
        query = query.where(
            Case.category_code == codes[0] if len(codes) == 1 else Case.category_code.in_(codes)
        )
    if f.source:
        query = query.where(Case.source == f.source)
    if f.department_code:
        query = query.where(
            exists().where(
                CaseDispatch.case_id == Case.id, CaseDispatch.department_code == f.department_code
            )
        )
    if f.reported_from:
        query = query.where(Case.reported_at >= f.reported_from)
    if f.reported_to:
        query = query.where(Case.reported_at < f.reported_to)
    if f.text:
        query = query.where(
            or_(
                Case.description.contains(f.text, autoescape=True),
                Case.title.contains(f.text, autoescape=True),
                Case.address.contains(f.text, autoescape=True),
            )
        )
    if f.overdue is not None:
        late = or_(Case.respond_overdue, Case.resolve_overdue)
        query = query.where(late if f.overdue else ~late)
    return query


NEWEST_CASES = (Case.reported_at, Case.id)


async def page_cases(
    *, session: AsyncSession, case_filter: CaseFilter, actor: Actor, page: PageRequest
) -> Page[Case]:
    """Newest first: by when reported, ties by intake order."""
    pages = await fetch_each(
        session,
        {0: filtered(case_filter, actor)},
        entity=Case,
        order=NEWEST_CASES,
        page=page,
        descending=True,
    )
    return pages[0]


async def page_cases_under(
    *,
    session: AsyncSession,
    codes: Sequence[str],
    case_filter: CaseFilter,
    actor: Actor,
    page: PageRequest,
) -> dict[str, Page[Case]]:
    """Each jurisdiction's page of cases, newest first: as ``case_filter`` with its
    ``jurisdiction_code`` would give it (footprints crossing in included).  One statement for
    each level of jurisdiction among ``codes``."""
    query = filtered(dataclasses.replace(case_filter, jurisdiction_code=None), actor)
    levels: dict[JurisdictionLevel, list[str]] = defaultdict(list)
    for code in codes:
        level = level_of_code(code)
        if level is not None:
            levels[level].append(code)
    found: dict[str, Page[Case]] = {code: Page() for code in codes}
    for level, of_level in levels.items():

        def branch(p: Any, level: JurisdictionLevel = level) -> Select[Any]:
            return query.where(placed_within(level, p.c.code, p.c.prefix, p.c.next))

        pages = await fetch_under(
            session,
            [code_range(code) for code in of_level],
            branch,
            entity=Case,
            order=NEWEST_CASES,
            page=page,
            descending=True,
        )
        found.update(zip(of_level, pages, strict=True))
    return found


async def by_numbers(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, Case]:
    rows = await session.scalars(select(Case).where(Case.number.in_(codes)))
    return {row.number: row for row in rows}


async def by_ids(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, Case]:
    rows = await session.scalars(select(Case).where(Case.id.in_(codes)))
    return {row.id: row for row in rows}


async def dispatches(
    *, session: AsyncSession, codes: Sequence[int]
) -> dict[int, list[CaseDispatch]]:
    rows = await session.scalars(
        select(CaseDispatch).where(CaseDispatch.case_id.in_(codes)).order_by(CaseDispatch.id)
    )
    found: dict[int, list[CaseDispatch]] = defaultdict(list)
    for row in rows:
        found[row.case_id].append(row)
    return found


async def events(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, list[CaseEvent]]:
    rows = await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id.in_(codes)).order_by(CaseEvent.id)
    )
    found: dict[int, list[CaseEvent]] = defaultdict(list)
    for row in rows:
        found[row.case_id].append(row)
    return found


def _latest_events() -> Select[Any]:
    """Events of the cases ``:case_ids`` among the latest ``:n`` of their case, oldest first."""
    newest = func.row_number().over(partition_by=CaseEvent.case_id, order_by=CaseEvent.id.desc())
    ranked = (
        select(CaseEvent, newest.label("newest"))
        .where(CaseEvent.case_id.in_(bindparam("case_ids", expanding=True)))
        .subquery()
    )
    event = aliased(CaseEvent, ranked)
    return select(event).where(ranked.c.newest <= bindparam("n")).order_by(ranked.c.id)


LATEST_EVENTS = _latest_events()  # built once: only its parameters change


async def latest_events(
    *, session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], list[CaseEvent]]:
    """The latest ``n`` events of each case of ``(case id, n)``, oldest first: one statement per
    distinct ``n`` (a list's cases all ask for the same), reading no older events."""
    asked: dict[int, list[int]] = defaultdict(list)
    for case_id, n in keys:
        asked[n].append(case_id)
    found: dict[tuple[int, int], list[CaseEvent]] = defaultdict(list)
    for n, case_ids in asked.items():
        rows = await session.scalars(LATEST_EVENTS, {"case_ids": case_ids, "n": n})
        for row in rows:
            found[row.case_id, n].append(row)
    return found


async def crossed(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, list[str]]:
    rows = await session.execute(
        select(CaseJurisdiction.case_id, CaseJurisdiction.subdistrict_code)
        .where(CaseJurisdiction.case_id.in_(codes))
        .order_by(CaseJurisdiction.subdistrict_code)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for case_id, code in rows:
        found[case_id].append(code)
    return found


async def external_refs(
    *, session: AsyncSession, codes: Sequence[int]
) -> dict[int, list[CaseExternalRef]]:
    rows = await session.scalars(
        select(CaseExternalRef)
        .where(CaseExternalRef.case_id.in_(codes))
        .order_by(CaseExternalRef.id)
    )
    found: dict[int, list[CaseExternalRef]] = defaultdict(list)
    for row in rows:
        found[row.case_id].append(row)
    return found
