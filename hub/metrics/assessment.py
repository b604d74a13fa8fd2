"""月评 and 末位: the monthly assessment of street offices, districts or departments.

Units are ranked by the weighted three rates of the cases reported in the month (the rules of
``hub.metrics.rates``), and the bottom ones are flagged: a count (``"3"``) or a share
(``"10%"``, rounded up) from ``HUB_ASSESSMENT_BOTTOM``, or the count asked for. Beside the
rates stand the figures the centre reads at the monthly review, over the same cases: returns
accepted and rejected, approved extensions, repeat dispatches, urgings and supervision
notices, and orders resolved late or still open past their (extended) deadline.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import (
    Case,
    CaseDispatch,
    CaseExtension,
    CaseReturn,
    CaseSupervision,
    Decision,
    DispatchStatus,
)
from hub.departments.models import Department
from hub.geo.models import descendant_prefix
from hub.metrics.rates import Rates, counted, counts

DEFAULT_BOTTOM = "10%"


class AssessmentLevel(enum.StrEnum):
    SUBDISTRICT = "SUBDISTRICT"
    DISTRICT = "DISTRICT"
    DEPARTMENT = "DEPARTMENT"


@dataclass(slots=True)
class UnitAssessment:
    code: str
    rates: Rates
    score: float = 0.0
    rank: int = 0
    bottom: bool = False
    returns_accepted: int = 0
    returns_rejected: int = 0
    extensions: int = 0
    repeat_dispatches: int = 0
    urgings: int = 0
    overdue: int = 0


def bottom_count(rule: str | None, units: int) -> int:
    """How many units are named at the review: ``"3"`` or ``"10%"`` (at least one, if any)."""
    text = (rule or DEFAULT_BOTTOM).strip()
    if text.endswith("%"):
        wanted = math.ceil(units * float(text[:-1]) / 100)
        return min(units, max(1, wanted)) if units else 0
    return min(units, max(0, int(text)))


@dataclass(frozen=True, slots=True)
class _Scope:
    level: AssessmentLevel
    parent_code: str | None
    start: dt.datetime
    end: dt.datetime

    def unit(self) -> Any:
        if self.level is AssessmentLevel.DEPARTMENT:
            return CaseDispatch.department_code
        if self.level is AssessmentLevel.DISTRICT:
            return Case.district_code
        return Case.subdistrict_code

    def cases(self, *columns: Any) -> Select[Any]:
        """The month's counted cases, by unit (a department: the cases still with it)."""
        query = (
            select(self.unit(), *columns)
            .select_from(Case)
            .where(Case.reported_at >= self.start, Case.reported_at < self.end, counted())
        )
        if self.level is AssessmentLevel.DEPARTMENT:
            query = query.join(CaseDispatch, CaseDispatch.case_id == Case.id).where(
                CaseDispatch.status != DispatchStatus.WITHDRAWN
            )
        return self.within(query, self.unit()).group_by(self.unit())

    def within(self, query: Select[Any], unit: Any) -> Select[Any]:
        """Units under the parent: by where the case lies, or where the department sits."""
        if not self.parent_code or self.parent_code == "110000":
            return query
        prefix = descendant_prefix(self.parent_code)
        if self.level is AssessmentLevel.DEPARTMENT:
            query = query.join(Department, Department.code == unit)
            return query.where(Department.jurisdiction_code.startswith(prefix, autoescape=True))
        return query.where(Case.subdistrict_code.startswith(prefix, autoescape=True))


async def monthly_assessment(
    *,
    session: AsyncSession,
    level: AssessmentLevel,
    parent_code: str | None,
    start: dt.datetime,
    end: dt.datetime,
    weights: dict[str, float],
    bottom_rule: str | None,
    now: dt.datetime,
) -> list[UnitAssessment]:
    scope = _Scope(level, parent_code, start, end)
    rows = (await session.execute(scope.cases(*counts()))).all()
    units = {code: UnitAssessment(code, Rates(*map(int, values))) for code, *values in rows}
    for name, figure in (await _figures(session, scope, now)).items():
        for code, value in figure.items():
            if code in units:
                setattr(units[code], name, value)
    ordered = sorted(units.values(), key=lambda u: (-u.rates.score(weights), u.code))
    named = bottom_count(bottom_rule, len(ordered))
    for position, unit in enumerate(ordered, start=1):
        unit.score = unit.rates.score(weights)
        unit.rank = position
        unit.bottom = position > len(ordered) - named
    return ordered


async def _figures(
    session: AsyncSession, scope: _Scope, now: dt.datetime
) -> dict[str, dict[str, int]]:
    by_department = scope.level is AssessmentLevel.DEPARTMENT
    late = or_(
        Case.resolved_at > Case.resolve_by,
        and_(Case.resolved_at.is_(None), Case.resolve_by < now),
    )
    figures: dict[str, dict[str, int]] = {
        "overdue": await _grouped(session, scope.cases(func.count()).where(late)),
        "repeat_dispatches": await _grouped(
            session, scope.cases(func.coalesce(func.sum(Case.redispatch_count), 0))
        ),
    }
    for name, model, condition in (
        ("returns_accepted", CaseReturn, CaseReturn.decision == Decision.APPROVED),
        ("returns_rejected", CaseReturn, CaseReturn.decision == Decision.REJECTED),
        ("extensions", CaseExtension, CaseExtension.decision == Decision.APPROVED),
        ("urgings", CaseSupervision, None),
    ):
        figures[name] = await _grouped(session, _of_unit(scope, model, condition, by_department))
    return figures


def _of_unit(
    scope: _Scope, model: Any, condition: ColumnElement[bool] | None, by_department: bool
) -> Select[Any]:
    """Rows of ``model`` on the month's cases, by unit (a department: its own rows)."""
    unit = model.department_code if by_department else scope.unit()
    query = (
        select(unit, func.count())
        .select_from(model)
        .join(Case, Case.id == model.case_id)
        .where(Case.reported_at >= scope.start, Case.reported_at < scope.end, counted())
        .group_by(unit)
    )
    if condition is not None:
        query = query.where(condition)
    return scope.within(query, unit)


async def _grouped(session: AsyncSession, query: Select[Any]) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    for code, value in (await session.execute(query)).all():
        if code is not None:
            found[code] += int(value)
    return found
