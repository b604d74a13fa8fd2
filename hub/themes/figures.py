"""A theme's figures: the three rates of its cases (all, before and from its month) and the
open cases by unit, by the rates' own rules (``hub.metrics.rates``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import OPEN_STATUSES, Case, CaseDispatch, DispatchStatus
from hub.metrics.rates import Rates, counted, counts
from hub.themes.models import MonthlyTheme, ThemeCase
from hub.themes.service import month_bounds


async def theme_rates(*, session: AsyncSession, theme: MonthlyTheme, since: bool | None) -> Rates:
    """``since`` None: all its cases; True: reported from its month on; False: before."""
    query = (
        select(*counts())
        .select_from(ThemeCase)
        .join(Case, Case.id == ThemeCase.case_id)
        .where(ThemeCase.theme_id == theme.id, counted())
    )
    if since is not None:
        start = month_bounds(theme.month)[0]
        query = query.where(Case.reported_at >= start if since else Case.reported_at < start)
    row = (await session.execute(query)).one()
    return Rates(*(int(value) for value in row))


async def open_by_department(
    *, session: AsyncSession, theme: MonthlyTheme
) -> list[tuple[str, int]]:
    """(department code, open cases) for the units still holding its open cases."""
    query = (
        select(CaseDispatch.department_code, func.count())
        .select_from(ThemeCase)
        .join(Case, Case.id == ThemeCase.case_id)
        .join(CaseDispatch, CaseDispatch.case_id == Case.id)
        .where(
            ThemeCase.theme_id == theme.id,
            Case.status.in_(OPEN_STATUSES),
            CaseDispatch.status != DispatchStatus.WITHDRAWN,
        )
        .group_by(CaseDispatch.department_code)
        .order_by(func.count().desc(), CaseDispatch.department_code)
    )
    return [(code, int(count)) for code, count in (await session.execute(query)).all()]
