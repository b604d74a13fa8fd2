"""月评: monthlyAssessment(level month parentCode) — ranked units, the bottom ones flagged."""

from __future__ import annotations

import strawberry

from hub.db import utcnow
from hub.errors import InvalidArgumentError
from hub.metrics.assessment import AssessmentLevel, UnitAssessment, monthly_assessment
from hub.metrics.rates import weights_from
from hub.themes.service import month_bounds
from schema.context import Info
from schema.departments.types import Department
from schema.geo.types import Jurisdiction, wrap_jurisdiction
from schema.metrics.queries import require_token
from schema.metrics.types import ServiceRates, check_code

strawberry.enum(AssessmentLevel, description="Street offices, districts, or departments.")


@strawberry.type(description="One unit in a month's assessment (best first).")
class AssessmentRow:
    figures: strawberry.Private[UnitAssessment]
    level: strawberry.Private[AssessmentLevel]

    @strawberry.field(description="The street office or district (null for a department).")
    async def jurisdiction(self, info: Info) -> Jurisdiction | None:
        if self.level is AssessmentLevel.DEPARTMENT:
            return None
        return wrap_jurisdiction(await info.context.loaders.jurisdiction.load(self.figures.code))

    @strawberry.field(description="The department (null for a jurisdiction).")
    async def department(self, info: Info) -> Department | None:
        if self.level is not AssessmentLevel.DEPARTMENT:
            return None
        row = await info.context.loaders.department.load(self.figures.code)
        return Department(row=row) if row else None

    @strawberry.field(description="Weighted rates, 0–100 (as rankings).")
    def score(self) -> float:
        return self.figures.score

    @strawberry.field
    def rank(self) -> int:
        return self.figures.rank

    @strawberry.field(description="Named at the monthly review (末位).")
    def bottom(self) -> bool:
        return self.figures.bottom

    @strawberry.field
    def rates(self) -> ServiceRates:
        return ServiceRates.of(self.figures.rates)

    @strawberry.field(description="Returns (退单) approved.")
    def returns_accepted(self) -> int:
        return self.figures.returns_accepted

    @strawberry.field(description="Returns ruled down (审定).")
    def returns_rejected(self) -> int:
        return self.figures.returns_rejected

    @strawberry.field(description="Extensions approved.")
    def extensions(self) -> int:
        return self.figures.extensions

    @strawberry.field(description="Dispatches made again after a return (重复派单).")
    def repeat_dispatches(self) -> int:
        return self.figures.repeat_dispatches

    @strawberry.field(description="Urgings, supervision and public notices.")
    def urgings(self) -> int:
        return self.figures.urgings

    @strawberry.field(description="Resolved after, or still open past, the (extended) deadline.")
    def overdue(self) -> int:
        return self.figures.overdue


@strawberry.type
class AssessmentQuery:
    @strawberry.field(
        description="月评: units ranked on the cases reported in the month, the bottom "
        "ones flagged (bottomCount, else HUB_ASSESSMENT_BOTTOM: a count or a share)."
    )
    async def monthly_assessment(
        self,
        info: Info,
        month: str,
        level: AssessmentLevel = AssessmentLevel.SUBDISTRICT,
        parent_code: str | None = None,
        bottom_count: int | None = None,
    ) -> list[AssessmentRow]:
        require_token(info)
        check_code(parent_code)
        start, end = month_bounds(month)
        if bottom_count is not None and not 0 <= bottom_count <= 1000:
            raise InvalidArgumentError("bottomCount must be 0–1000")
        settings = info.context.settings
        async with info.context.sessionmaker() as session:
            rows = await monthly_assessment(
                session=session,
                level=level,
                parent_code=parent_code,
                start=start,
                end=end,
                weights=weights_from(settings.ranking_weights),
                bottom_rule=str(bottom_count)
                if bottom_count is not None
                else settings.assessment_bottom,
                now=utcnow(),
            )
        return [AssessmentRow(figures=row, level=level) for row in rows]
