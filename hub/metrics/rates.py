"""The three rates (三率) and the monthly rankings of street offices.

Definitions (as the 12345 hotline publishes them):
- received: cases reported in the period and placed in the unit (a case counts towards the
  one street office it was placed in, even when its footprint crosses into others);
- responded: of those, answered by their respond-by deadline (响应);
- rated: of those, reached by the return call (参评);
- resolved: of the rated, the caller says the problem is solved (解决);
- satisfied: of the rated, the caller is satisfied or fairly satisfied (满意);
- responseRate = responded / received; resolutionRate = resolved / rated;
  satisfactionRate = satisfied / rated. A rate with nothing to divide by is null.

A declined request (不予受理) is not counted; merged duplicates count once, through their main
order; a unit counts for the cases still dispatched to it (not those whose return it won).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case, CaseDispatch, CaseStatus, DispatchStatus
from hub.geo.models import JurisdictionLevel, descendant_prefix, level_of_code

# Beijing's monthly assessment weighs resolution and satisfaction far above response.
DEFAULT_WEIGHTS = {"response": 0.1, "resolution": 0.45, "satisfaction": 0.45}


@dataclass(frozen=True, slots=True)
class Rates:
    received: int
    responded: int
    resolved: int
    rated: int
    satisfied: int

    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def response_rate(self) -> float | None:
        return self._ratio(self.responded, self.received)

    @property
    def resolution_rate(self) -> float | None:
        return self._ratio(self.resolved, self.rated)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._ratio(self.satisfied, self.rated)

    def score(self, weights: dict[str, float]) -> float:
        """A weighted score in [0, 100]; a missing rate counts as zero."""
        parts = (
            (weights["response"], self.response_rate),
            (weights["resolution"], self.resolution_rate),
            (weights["satisfaction"], self.satisfaction_rate),
        )
        return round(100 * sum(w * (rate or 0.0) for w, rate in parts), 2)


def weights_from(setting: str | None) -> dict[str, float]:
    weights = dict(DEFAULT_WEIGHTS)
    weights.update(json.loads(setting or "{}"))
    return weights


def counts() -> list[ColumnElement[int]]:
    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rated = Case.feedback_at.is_not(None)
    return [
        func.count(),
        total(and_(Case.responded_at.is_not(None), Case.responded_at <= Case.respond_by)),
        total(and_(rated, Case.feedback_resolved.is_(True))),
        total(rated),
        total(and_(rated, Case.feedback_satisfied.is_(True))),
    ]


def counted() -> ColumnElement[bool]:
    """The cases the rates count: neither declined nor merged into another."""
    return Case.status.notin_((CaseStatus.DECLINED, CaseStatus.MERGED))


def dispatched_to(department_code: str) -> ColumnElement[bool]:
    return exists().where(
        CaseDispatch.case_id == Case.id,
        CaseDispatch.department_code == department_code,
        CaseDispatch.status != DispatchStatus.WITHDRAWN,
    )


def _placed_in(code: str) -> ColumnElement[bool]:
    """A case counts towards the one unit it was placed in (as the monthly rankings do)."""
    level = level_of_code(code)
    column = (
        {
            JurisdictionLevel.DISTRICT: Case.district_code,
            JurisdictionLevel.SUBDISTRICT: Case.subdistrict_code,
            JurisdictionLevel.COMMUNITY: Case.community_code,
        }.get(level)
        if level
        else None
    )
    if column is None:
        raise ValueError(f"no jurisdiction {code!r}")
    return column == code


async def service_rates(
    *,
    session: AsyncSession,
    jurisdiction_code: str | None,
    department_code: str | None,
    start: dt.datetime,
    end: dt.datetime,
) -> Rates:
    """The rates for cases reported in [start, end) in a jurisdiction and/or a department."""
    query = select(*counts()).where(Case.reported_at >= start, Case.reported_at < end, counted())
    if jurisdiction_code and jurisdiction_code != "110000":
        query = query.where(_placed_in(jurisdiction_code))
    if department_code:
        query = query.where(dispatched_to(department_code))
    row = (await session.execute(query)).one()
    return Rates(*(int(value) for value in row))


async def rates_by_unit(
    *,
    session: AsyncSession,
    level: JurisdictionLevel,
    parent_code: str | None,
    start: dt.datetime,
    end: dt.datetime,
) -> dict[str, Rates]:
    """The rates of every street office (or district) at once, by where cases were placed."""
    unit = Case.subdistrict_code if level is JurisdictionLevel.SUBDISTRICT else Case.district_code
    query = (
        select(unit, *counts())
        .where(Case.reported_at >= start, Case.reported_at < end, counted())
        .group_by(unit)
    )
    if parent_code and parent_code != "110000":
        query = query.where(unit.startswith(descendant_prefix(parent_code), autoescape=True))
    rows = (await session.execute(query)).all()
    return {code: Rates(*(int(value) for value in counts)) for code, *counts in rows}
