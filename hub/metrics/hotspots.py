"""Hotspots (未诉先办): the same problem at the same place, again and again.

Daxing searched two years of hotline records for leaking roofs and found 1,760 unresolved
complaints about 1,076 homes; `find_hotspots(text="漏雨", unresolved_only=True, by=ADDRESS)`
is that search. A hotspot is one (place, category) with at least ``min_cases`` cases.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases.access import case_visibility
from hub.cases.models import Case, CaseStatus
from hub.categories.models import Category
from hub.geo.models import descendant_prefix
from hub.pagination import Page, PageRequest, fetch_page

MAX_HOTSPOTS = 100


class HotspotPlace(enum.StrEnum):
    ADDRESS = "ADDRESS"
    GRID = "GRID"
    COMMUNITY = "COMMUNITY"


PLACE_COLUMN = {
    HotspotPlace.ADDRESS: Case.address,
    HotspotPlace.GRID: Case.grid_code,
    HotspotPlace.COMMUNITY: Case.community_code,
}


@dataclass(frozen=True, slots=True)
class HotspotQuery:
    start: dt.datetime
    end: dt.datetime
    jurisdiction_code: str | None = None
    category_code: str | None = None
    text: str | None = None
    unresolved_only: bool = False
    min_cases: int = 2
    by: HotspotPlace = HotspotPlace.ADDRESS


@dataclass(frozen=True, slots=True)
class Hotspot:
    by: HotspotPlace
    place: str
    category_code: str
    case_count: int
    first_reported_at: dt.datetime
    last_reported_at: dt.datetime


def unresolved() -> ColumnElement[bool]:
    """Not yet solved, or the caller said on the return call that it is not."""
    done = Case.status.in_([CaseStatus.RESOLVED, CaseStatus.CLOSED])
    return or_(not_(done), Case.feedback_resolved.is_(False))


def matching(query: HotspotQuery) -> list[ColumnElement[bool]]:
    place = PLACE_COLUMN[query.by]
    conditions = [Case.reported_at >= query.start, Case.reported_at < query.end, place.is_not(None)]
    if query.jurisdiction_code and query.jurisdiction_code != "110000":
        conditions.append(
            Case.subdistrict_code.startswith(
                descendant_prefix(query.jurisdiction_code), autoescape=True
            )
        )
    if query.category_code:
        leaves = select(Category.code).where(Category.parent_code == query.category_code)
        conditions.append(
            or_(Case.category_code == query.category_code, Case.category_code.in_(leaves))
        )
    if query.text:
        conditions.append(Case.description.contains(query.text, autoescape=True))
    if query.unresolved_only:
        conditions.append(unresolved())
    return conditions


async def find_hotspots(*, session: AsyncSession, query: HotspotQuery, limit: int) -> list[Hotspot]:
    """The biggest hotspots first (most cases, then most recent)."""
    place = PLACE_COLUMN[query.by]
    count = func.count().label("n")
    rows = await session.execute(
        select(
            place, Case.category_code, count, func.min(Case.reported_at), func.max(Case.reported_at)
        )
        .where(*matching(query))
        .group_by(place, Case.category_code)
        .having(func.count() >= query.min_cases)
        .order_by(count.desc(), func.max(Case.reported_at).desc(), place)
        .limit(min(limit, MAX_HOTSPOTS))
    )
    return [
        Hotspot(query.by, str(where), category, int(n), _aware(first), _aware(last))
        for where, category, n, first, last in rows
    ]


async def count_hotspots(*, session: AsyncSession, query: HotspotQuery) -> tuple[int, int]:
    """(hotspots, cases in them) over the whole result, not just the first page."""
    place = PLACE_COLUMN[query.by]
    groups = (
        select(func.count().label("n"))
        .where(*matching(query))
        .group_by(place, Case.category_code)
        .having(func.count() >= query.min_cases)
        .subquery()
    )
    row = (
        await session.execute(select(func.count(), func.coalesce(func.sum(groups.c.n), 0)))
    ).one()
    return int(row[0]), int(row[1])


def cases_of(query: HotspotQuery, hotspot: Hotspot) -> Select[Case]:
    """The cases behind one hotspot (for its ``cases`` connection)."""
    place = PLACE_COLUMN[hotspot.by]
    return select(Case).where(
        and_(*matching(query), place == hotspot.place, Case.category_code == hotspot.category_code)
    )


async def page_cases_of(
    *, session: AsyncSession, query: HotspotQuery, hotspot: Hotspot, actor: Actor, page: PageRequest
) -> Page[Case]:
    """The cases behind one hotspot that the actor may see, newest first."""
    return await fetch_page(
        session,
        cases_of(query, hotspot).where(case_visibility(actor)),
        entity=Case,
        order=(Case.reported_at, Case.id),
        page=page,
        descending=True,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    # Aggregates bypass the column type, so SQLite hands back naive UTC (or a string).
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
