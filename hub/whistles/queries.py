"""Reads over whistles: filtered pages within what the actor may see, and batched relations."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases.models import Case
from hub.geo.service import code_range
from hub.pagination import Page, PageRequest, fetch_each, fetch_under
from hub.whistles.access import may_read_whistles, whistle_visibility
from hub.whistles.models import (
    Summons,
    Whistle,
    WhistleCase,
    WhistleEvent,
    WhistleKind,
    WhistleScope,
    WhistleStatus,
)


@dataclass(frozen=True, slots=True)
class WhistleFilter:
    jurisdiction_code: str | None = None
    department_code: str | None = None
    status: WhistleStatus | None = None
    kind: WhistleKind | None = None
    scope: WhistleScope | None = None
    overdue: bool | None = None
    case_id: int | None = None


def called_within(parent: Any) -> ColumnElement[bool]:
    """Called, or partnered, within the jurisdiction ``parent`` (a ``code_range``, or a row of a
    parents' table)."""
    if isinstance(parent, dict):
        prefix, following = parent["prefix"], parent["next"]
    else:
        prefix, following = parent.c.prefix, parent.c.next
    return or_(
        and_(Whistle.caller_code >= prefix, Whistle.caller_code < following),
        exists()
        .where(
            Summons.whistle_id == Whistle.id,
            Summons.partner_code >= prefix,
            Summons.partner_code < following,
        )
        .correlate_except(Summons),  # the parents' table too, two levels up
    )


def filtered(whistle_filter: WhistleFilter, actor: Actor) -> Select[Whistle]:
    """Whistles matching the filter, restricted to those the actor may see."""
    query = select(Whistle).where(whistle_visibility(actor))
    f = whistle_filter
    if f.jurisdiction_code:
        query = query.where(called_within(code_range(f.jurisdiction_code)))
    if f.department_code:
        query = query.where(
            exists().where(
                Summons.whistle_id == Whistle.id, Summons.department_code == f.department_code
            )
        )
    if f.status:
        query = query.where(Whistle.status == f.status)
    if f.kind:
        query = query.where(Whistle.kind == f.kind)
    if f.scope:
        query = query.where(Whistle.scope == f.scope)
    if f.overdue is not None:
        late = exists().where(Summons.whistle_id == Whistle.id, Summons.overdue.is_(True))
        query = query.where(late if f.overdue else ~late)
    if f.case_id is not None:
        query = query.where(
            exists().where(WhistleCase.whistle_id == Whistle.id, WhistleCase.case_id == f.case_id)
        )
    return query


NEWEST_WHISTLES = (Whistle.opened_at, Whistle.id)


async def page_whistles_under(
    *,
    session: AsyncSession,
    codes: Sequence[str],
    whistle_filter: WhistleFilter,
    actor: Actor,
    page: PageRequest,
) -> dict[str, Page[Whistle]]:
    """Each jurisdiction's page of whistles, newest first: as ``whistle_filter`` with its
    ``jurisdiction_code`` would give it (the caller or a partner within it)."""
    query = filtered(dataclasses.replace(whistle_filter, jurisdiction_code=None), actor)
    pages = await fetch_under(
        session,
        [code_range(code) for code in codes],
        lambda p: query.where(called_within(p)),
        entity=Whistle,
        order=NEWEST_WHISTLES,
        page=page,
        descending=True,
    )
    return dict(zip(codes, pages, strict=True))


async def page_whistles(
    *, session: AsyncSession, whistle_filter: WhistleFilter, actor: Actor, page: PageRequest
) -> Page[Whistle]:
    """Newest first: by when blown, ties by the order they were."""
    pages = await fetch_each(
        session,
        {0: filtered(whistle_filter, actor)},
        entity=Whistle,
        order=NEWEST_WHISTLES,
        page=page,
        descending=True,
    )
    return pages[0]


async def visible_ids(*, session: AsyncSession, actor: Actor, ids: Sequence[int]) -> set[int]:
    """Which of these whistles the actor may see (the same rule as every list)."""
    if not ids or not may_read_whistles(actor):
        return set()
    rows = await session.scalars(
        select(Whistle.id).where(Whistle.id.in_(list(ids)), whistle_visibility(actor))
    )
    return set(rows)


async def by_numbers(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, Whistle]:
    rows = await session.scalars(select(Whistle).where(Whistle.number.in_(codes)))
    return {row.number: row for row in rows}


async def by_ids(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, Whistle]:
    rows = await session.scalars(select(Whistle).where(Whistle.id.in_(codes)))
    return {row.id: row for row in rows}


async def summons_by_ids(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, Summons]:
    rows = await session.scalars(select(Summons).where(Summons.id.in_(codes)))
    return {row.id: row for row in rows}


async def summons(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, list[Summons]]:
    rows = await session.scalars(
        select(Summons).where(Summons.whistle_id.in_(codes)).order_by(Summons.id)
    )
    found: dict[int, list[Summons]] = defaultdict(list)
    for row in rows:
        found[row.whistle_id].append(row)
    return found


async def events(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, list[WhistleEvent]]:
    rows = await session.scalars(
        select(WhistleEvent).where(WhistleEvent.whistle_id.in_(codes)).order_by(WhistleEvent.id)
    )
    found: dict[int, list[WhistleEvent]] = defaultdict(list)
    for row in rows:
        found[row.whistle_id].append(row)
    return found


async def cases(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, list[Case]]:
    rows = await session.execute(
        select(WhistleCase.whistle_id, Case)
        .join(Case, Case.id == WhistleCase.case_id)
        .where(WhistleCase.whistle_id.in_(codes))
        .order_by(Case.id)
    )
    found: dict[int, list[Case]] = defaultdict(list)
    for whistle_id, case in rows:
        found[whistle_id].append(case)
    return found
