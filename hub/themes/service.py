"""每月一题: set up a theme of the month and attach every complaint about its problem.

A case matches a theme when its category is one of the theme's (a group code takes its
leaves), or its text holds one of the keywords when the theme names no categories (with both,
a case needs the category and, if keywords are given, one of them), and it lies within the
theme's jurisdiction. Its cases are every matching case reported from a year before its month,
exactly, however the setup and new cases interleave:

- the setup attaches the past cases it can see; the first sweep after it has committed attaches
  again what it could not see (cases committed while it ran), and marks the theme settled;
- each new case is claimed once by a sweep (``case.themes_matched``, set by a conditional UPDATE:
  concurrent sweepers serialise on the rows) and attached to the themes that sweep reads after
  the claim. A case committed after a theme's settling pass is unclaimed until a sweep that
  reads the theme, so neither pass can miss it; one seen by both is attached once.

An id cursor would not do: on PostgreSQL a case with a lower id can commit after a higher one
has been read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from hub.auth.actors import Actor
from hub.cases.calendar import BEIJING
from hub.cases.models import Case
from hub.cases.queries import CaseFilter, filtered
from hub.categories.models import Category
from hub.departments.models import Department
from hub.errors import DomainError, ErrorCode, NotFoundError
from hub.geo.models import Jurisdiction, descendant_prefix
from hub.pagination import Page, PageRequest, fetch_page
from hub.themes.access import require_theme_setup
from hub.themes.models import MonthlyTheme, ThemeCase

LOOKBACK = dt.timedelta(days=365)
# A theme keeps collecting new complaints for a year after its month.
ACTIVE_FOR = dt.timedelta(days=366)


class InvalidMonthError(DomainError):
    code = ErrorCode.INVALID_MONTH


class EmptyThemeError(DomainError):
    code = ErrorCode.EMPTY_THEME


class ThemeExistsError(DomainError):
    code = ErrorCode.THEME_EXISTS


class UnknownThemeReferenceError(DomainError):
    code = ErrorCode.UNKNOWN_REFERENCE


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """``"2026-11"`` → the month's first instant and the next month's, in Beijing time."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", month or "")
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise InvalidMonthError(f"{month!r} is not a month like 2026-11", field="month")
    year, number = int(found.group(1)), int(found.group(2))
    start = dt.datetime(year, number, 1, tzinfo=BEIJING)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=BEIJING)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def create(
    *,
    session: AsyncSession,
    month: str,
    title: str,
    lead_department_code: str,
    department_codes: list[str],
    category_codes: list[str],
    keywords: list[str],
    jurisdiction_code: str | None,
    actor: Actor,
    now: dt.datetime,
) -> MonthlyTheme:
    require_theme_setup(actor)
    month_bounds(month)
    words = [word.strip() for word in keywords if word.strip()]
    if not category_codes and not words:
        raise EmptyThemeError("name the problem's categories or keywords", field="categoryCodes")
    if not title.strip():
        raise EmptyThemeError("a theme needs a title", field="title")
    departments = list(dict.fromkeys([lead_department_code, *department_codes]))
    await _require_known(session, Department.code, departments, "departmentCodes")
    await _require_known(session, Category.code, category_codes, "categoryCodes")
    if jurisdiction_code:
        await _require_known(session, Jurisdiction.code, [jurisdiction_code], "jurisdictionCode")
    clash = await session.scalar(
        select(MonthlyTheme.id).where(MonthlyTheme.month == month, MonthlyTheme.title == title)
    )
    if clash is not None:
        raise ThemeExistsError(f"{month} already has a theme {title!r}", field="title")
    theme = MonthlyTheme(
        month=month,
        title=title.strip(),
        lead_department_code=lead_department_code,
        department_codes=departments[1:],
        category_codes=list(dict.fromkeys(category_codes)),
        keywords=words,
        jurisdiction_code=jurisdiction_code or None,
        created_at=now,
        created_by=actor.as_record(),
        settled_at=None,
    )
    session.add(theme)
    await session.flush()
    await _attach(session, _matching(theme))
    return theme


async def _require_known(
    session: AsyncSession, column: InstrumentedAttribute[str], codes: list[str], field: str
) -> None:
    known = set(await session.scalars(select(column).where(column.in_(codes))))
    if missing := [code for code in codes if code not in known]:
        raise UnknownThemeReferenceError(f"unknown {', '.join(missing)}", field=field)


def matches(theme: MonthlyTheme) -> ColumnElement[bool]:
    """The SQL condition on ``Case`` for the theme's problem."""
    condition: ColumnElement[bool] = true()
    if theme.category_codes:
        leaves = select(Category.code).where(Category.parent_code.in_(theme.category_codes))
        condition = or_(
            Case.category_code.in_(theme.category_codes), Case.category_code.in_(leaves)
        )
    if theme.keywords:
        said = or_(
            false(),
            *(
                or_(
                    Case.description.contains(word, autoescape=True),
                    Case.title.contains(word, autoescape=True),
                )
                for word in theme.keywords
            ),
        )
        condition = and_(condition, said)
    if theme.jurisdiction_code and theme.jurisdiction_code != "110000":
        prefix = descendant_prefix(theme.jurisdiction_code)
        condition = and_(condition, Case.subdistrict_code.startswith(prefix, autoescape=True))
    return condition


def _matching(theme: MonthlyTheme) -> Select[int, int]:
    """(theme, case) for every case of the theme's problem reported since a year before it."""
    since = month_bounds(theme.month)[0] - LOOKBACK
    return select(literal(theme.id), Case.id).where(matches(theme), Case.reported_at >= since)


CLAIMED_AT_ONCE = 500  # case ids per statement when attaching claimed cases


async def _attach(session: AsyncSession, found: Select[int, int]) -> int:
    """Attach the cases ``found`` not yet attached; how many were new."""
    dialect = (await session.connection()).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ThemeCase)
        .from_select(["theme_id", "case_id"], found)
        .on_conflict_do_nothing(index_elements=["theme_id", "case_id"])
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def sweep_matches(*, session: AsyncSession, now: dt.datetime) -> int:
    """Settle newly set-up themes, then attach the new cases to the themes still collecting."""
    oldest = (now.astimezone(BEIJING) - ACTIVE_FOR).strftime("%Y-%m")
    attached = 0
    unsettled = await session.scalars(
        select(MonthlyTheme)
        .where(MonthlyTheme.settled_at.is_(None))
        .order_by(MonthlyTheme.id)
        .with_for_update()
    )
    for theme in unsettled:
        attached += await _attach(session, _matching(theme))
        theme.settled_at = now
    claimed = list(
        await session.scalars(
            update(Case)
            .where(Case.themes_matched.is_(False))
            .values(themes_matched=True)
            .returning(Case.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:
        return attached
    # Read after the claim: a theme committed before any claimed case is among these.
    themes = list(await session.scalars(select(MonthlyTheme).where(MonthlyTheme.month >= oldest)))
    for chunk in _chunks(sorted(claimed), CLAIMED_AT_ONCE):
        for theme in themes:
            attached += await _attach(session, _matching(theme).where(Case.id.in_(chunk)))
    return attached


def _chunks(ids: Sequence[int], size: int) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


async def for_month(*, session: AsyncSession, month: str) -> list[MonthlyTheme]:
    month_bounds(month)
    rows = await session.scalars(
        select(MonthlyTheme).where(MonthlyTheme.month == month).order_by(MonthlyTheme.id)
    )
    return list(rows)


async def get(*, session: AsyncSession, theme_id: int) -> MonthlyTheme:
    theme = await session.get(MonthlyTheme, theme_id)
    if theme is None:
        raise NotFoundError(f"no theme {theme_id}")
    return theme


async def page_cases(
    *, session: AsyncSession, theme: MonthlyTheme, actor: Actor, page: PageRequest
) -> Page[Case]:
    """The theme's cases the actor may see, newest first."""
    query = filtered(CaseFilter(), actor).where(
        exists().where(ThemeCase.case_id == Case.id, ThemeCase.theme_id == theme.id)
    )
    return await fetch_page(
        session,
        query,
        entity=Case,
        order=(Case.reported_at, Case.id),
        page=page,
        descending=True,
    )
