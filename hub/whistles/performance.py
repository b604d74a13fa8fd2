"""Report-in figures per department (报到考核): how often summoned, on time, how rated.

Counted over the summons sent in a period (``from`` inclusive, ``to`` exclusive) in SQL; the
median minutes to arrive is taken in Python over the arrival times of the same summons.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.departments.models import Department
from hub.geo.models import descendant_prefix
from hub.whistles.models import Summons


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.datetime | None = None
    end: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Performance:
    department_code: str
    summons_received: int = 0
    acknowledged_in_time: int = 0
    arrived_in_time: int = 0
    median_minutes_to_arrive: float | None = None
    average_rating: float | None = None
    overdue: int = 0


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _matching(
    department_code: str | None, jurisdiction_code: str | None, period: Period
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Summons.summoned_at.is_not(None),
        Summons.department_code.is_not(None),
    ]
    if department_code:
        conditions.append(Summons.department_code == department_code)
    if jurisdiction_code:
        seated = select(Department.code).where(
            Department.jurisdiction_code.startswith(
                descendant_prefix(jurisdiction_code), autoescape=True
            )
        )
        conditions.append(Summons.department_code.in_(seated))
    if period.start:
        conditions.append(Summons.summoned_at >= period.start)
    if period.end:
        conditions.append(Summons.summoned_at < period.end)
    return conditions


async def department_performance(
    *,
    session: AsyncSession,
    department_code: str | None,
    jurisdiction_code: str | None,
    period: Period,
) -> list[Performance]:
    """One row per department summoned in the period, ordered by code.

    With ``department_code`` that department's row comes back even when it was never summoned.
    """
    conditions = _matching(department_code, jurisdiction_code, period)
    rows = await session.execute(
        select(
            Summons.department_code,
            func.count(),
            _count(Summons.acknowledged_at <= Summons.report_by),
            _count(Summons.arrived_at <= Summons.report_by),
            func.avg(Summons.rating_score.cast(Integer)),
            _count(Summons.overdue.is_(True)),
        )
        .where(*conditions)
        .group_by(Summons.department_code)
        .order_by(Summons.department_code)
    )
    medians = await _median_minutes(session, conditions)
    found = [
        Performance(
            department_code=code,
            summons_received=int(received),
            acknowledged_in_time=int(acknowledged),
            arrived_in_time=int(arrived),
            median_minutes_to_arrive=medians.get(code),
            average_rating=float(rating) if rating is not None else None,
            overdue=int(overdue),
        )
        for code, received, acknowledged, arrived, rating, overdue in rows
    ]
    if department_code and not found:
        return [Performance(department_code=department_code)]
    return found


async def _median_minutes(
    session: AsyncSession, conditions: list[ColumnElement[bool]]
) -> dict[str, float]:
    rows = await session.execute(
        select(Summons.department_code, Summons.summoned_at, Summons.arrived_at).where(
            *conditions, Summons.arrived_at.is_not(None)
        )
    )
    minutes: dict[str, list[float]] = defaultdict(list)
    for code, summoned_at, arrived_at in rows:
        if code is not None and summoned_at is not None and arrived_at is not None:
            minutes[code].append((arrived_at - summoned_at).total_seconds() / 60)
    return {code: float(statistics.median(values)) for code, values in minutes.items()}
