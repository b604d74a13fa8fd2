"""Case mutations: intake, dispatch, respond, resolve, return call, close."""

from __future__ import annotations

import datetime as dt

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases import intake as intake_service
from hub.cases import service as cases
from hub.cases.models import Case as CaseRow
from hub.cases.models import CaseSource, Priority
from schema.cases.types import Case
from schema.context import Info
from schema.core.common import ExternalRefInput
from schema.core.errors import UserError
from schema.core.mutations import run_mutation
from schema.core.scalars import GeoJSON
from schema.geo.types import GeoPointInput


@strawberry.type
class CasePayload:
    case: Case | None
    errors: list[UserError]


def _payload(row: CaseRow | None, errors: list[UserError]) -> CasePayload:
    return CasePayload(case=Case(row=row) if row is not None else None, errors=errors)


@strawberry.input
class ReportCaseInput:
    description: str
    category_code: str
    source: CaseSource
    location: GeoPointInput | None = None
    address: str | None = None
    footprint: GeoJSON | None = strawberry.field(
        default=None, description="A Polygon or MultiPolygon (WGS84) the problem covers."
    )
    reported_at: dt.datetime | None = None
    reporter_contact: str | None = None
    external_ref: ExternalRefInput | None = strawberry.field(
        default=None, description="Reporting the same reference again returns the same case."
    )
    priority: Priority = Priority.ROUTINE


@strawberry.input
class DispatchCaseInput:
    case_number: str
    department_codes: list[str] = strawberry.field(
        description="Several at once is dual dispatch (双派单)."
    )
    note: str | None = None
    lead_department_code: str | None = strawberry.field(
        default=None,
        description="The lead unit (主办), one of those sent; by default the first, "
        "unless the case has a lead already. The others assist (协办).",
    )


@strawberry.input(description="Respond to, resolve or close a case.")
class CaseStepInput:
    case_number: str
    note: str | None = None


@strawberry.input(description="The hotline's return call; resolved=false reopens the case.")
class RecordFeedbackInput:
    case_number: str
    resolved: bool
    satisfied: bool | None = None
    comment: str | None = None


def _intake(data: ReportCaseInput) -> intake_service.Intake:
    point = data.location
    return intake_service.Intake(
        description=data.description,
        category_code=data.category_code,
        source=data.source,
        priority=data.priority,
        point=(point.lng, point.lat, point.crs.value) if point else None,
        address=data.address,
        footprint=dict(data.footprint) if isinstance(data.footprint, dict) else None,
        reported_at=data.reported_at,
        reporter_contact=data.reporter_contact,
        external_ref=(data.external_ref.system, data.external_ref.id)
        if data.external_ref
        else None,
    )


async def _step(
    info: Info, operation: str, number: str, act: cases.CaseStep, note: str | None
) -> CasePayload:
    async def work(session: AsyncSession, now: dt.datetime) -> CaseRow:
        case = await cases.get_for_actor(
            session=session, number=number, actor=info.context.actor, for_update=True
        )
        await act(session=session, case=case, note=note, actor=info.context.actor, now=now)
        return case

    return _payload(*await run_mutation(info, operation, number, work))


@strawberry.type
class CaseMutations:
    @strawberry.mutation(description="Take in a case from any source; it is located at once.")
    async def report_case(self, info: Info, input: ReportCaseInput) -> CasePayload:
        async def work(session: AsyncSession, now: dt.datetime) -> CaseRow:
            case, _ = await intake_service.report(
                session=session,
                geo=info.context.geo,
                settings=info.context.settings,
                intake=_intake(input),
                actor=info.context.actor,
                now=now,
            )
            return case

        return _payload(
            *await run_mutation(info, "reportCase", None, work, target_of=lambda c: c.number)
        )

    @strawberry.mutation(description="Send a case to one or several departments.")
    async def dispatch_case(self, info: Info, input: DispatchCaseInput) -> CasePayload:
        async def work(session: AsyncSession, now: dt.datetime) -> CaseRow:
            case = await cases.get_for_actor(
                session=session,
                number=input.case_number,
                actor=info.context.actor,
                for_update=True,
            )
            await cases.dispatch(
                session=session,
                case=case,
                department_codes=input.department_codes,
                note=input.note,
                actor=info.context.actor,
                now=now,
                lead=input.lead_department_code,
            )
            return case

        return _payload(*await run_mutation(info, "dispatchCase", input.case_number, work))

    @strawberry.mutation(description="A department's first reply (响应).")
    async def respond_to_case(self, info: Info, input: CaseStepInput) -> CasePayload:
        return await _step(info, "respondToCase", input.case_number, cases.respond, input.note)

    @strawberry.mutation(description="The problem is solved (办结).")
    async def resolve_case(self, info: Info, input: CaseStepInput) -> CasePayload:
        return await _step(info, "resolveCase", input.case_number, cases.resolve, input.note)

    @strawberry.mutation(description="Close a resolved case.")
    async def close_case(self, info: Info, input: CaseStepInput) -> CasePayload:
        return await _step(info, "closeCase", input.case_number, cases.close, input.note)

    @strawberry.mutation(description="Record the hotline's return call (回访).")
    async def record_feedback(self, info: Info, input: RecordFeedbackInput) -> CasePayload:
        async def work(session: AsyncSession, now: dt.datetime) -> CaseRow:
            case = await cases.get_for_actor(
                session=session,
                number=input.case_number,
                actor=info.context.actor,
                for_update=True,
            )
            await cases.record_feedback(
                session=session,
                case=case,
                resolved=input.resolved,
                satisfied=input.satisfied,
                comment=input.comment,
                actor=info.context.actor,
                now=now,
            )
            return case

        return _payload(*await run_mutation(info, "recordFeedback", input.case_number, work))
