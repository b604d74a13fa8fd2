"""Whistle mutations: blow, review, report in (报到), joint action, resolve, evaluate, close."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import NotFoundError
from hub.whistles import intake, reporting, service
from hub.whistles.models import Summons as SummonsRow
from hub.whistles.models import Whistle as WhistleRow
from hub.whistles.models import WhistleKind
from schema.context import Info
from schema.core.errors import UserError
from schema.core.mutations import run_mutation
from schema.core.relay import InvalidGlobalIdError, from_global_id, row_id
from schema.geo.types import GeoPointInput
from schema.whistles.types import Summons, Whistle

WhistleStep = Callable[[AsyncSession, WhistleRow, dt.datetime], Awaitable[object]]
SummonsStep = Callable[[AsyncSession, WhistleRow, SummonsRow, dt.datetime], Awaitable[None]]


@strawberry.type
class WhistlePayload:
    whistle: Whistle | None
    errors: list[UserError]
    summons: Summons | None = strawberry.field(
        default=None, description="The summons acted on, for a summoned party's step."
    )


@strawberry.input
class BlowWhistleInput:
    caller_code: str = strawberry.field(description="Your street office (or your district).")
    kind: WhistleKind
    case_numbers: list[str] = strawberry.field(description="The source cases (哨源).")
    reason: str
    department_codes: list[str] = strawberry.field(default_factory=list)
    partner_codes: list[str] = strawberry.field(
        default_factory=list, description="Street offices summoned as partners (跨区吹哨)."
    )
    report_within_minutes: int | None = strawberry.field(
        default=None, description="Overrides the kind's window (30 minutes in an emergency)."
    )


@strawberry.input(description="Approve, or reject with a reason (the note).")
class ReviewWhistleInput:
    whistle_number: str
    approve: bool
    note: str | None = None


@strawberry.input
class AcknowledgeSummonsInput:
    summons_id: strawberry.ID


@strawberry.input(description="Report on site; the location may be in any CRS.")
class ReportInInput:
    summons_id: strawberry.ID
    location: GeoPointInput
    note: str | None = None


@strawberry.input(description="A summoned partner street office brings its own departments.")
class JoinWhistleInput:
    whistle_number: str
    department_codes: list[str]


@strawberry.input
class AssignmentInput:
    summons_id: strawberry.ID
    task: str


@strawberry.input(description="Fix time, place and division of labour for the joint action.")
class ScheduleJointActionInput:
    whistle_number: str
    at: dt.datetime
    place: str
    assignments: list[AssignmentInput] = strawberry.field(default_factory=list)


@strawberry.input
class CompleteSummonsInput:
    summons_id: strawberry.ID
    note: str | None = None


@strawberry.input(description="Let a party go before it is done (事不绝、人不撤 otherwise).")
class ReleaseInput:
    summons_id: strawberry.ID
    reason: str


@strawberry.input
class ResolveWhistleInput:
    whistle_number: str
    note: str | None = None
    releases: list[ReleaseInput] = strawberry.field(default_factory=list)


@strawberry.input
class RatingInput:
    summons_id: strawberry.ID
    score: int = strawberry.field(description="1 (poor) to 5 (excellent).")
    comment: str | None = None


@strawberry.input
class EvaluateWhistleInput:
    whistle_number: str
    ratings: list[RatingInput]


@strawberry.input
class CloseWhistleInput:
    whistle_number: str
    feedback: str


@strawberry.input
class EscalateWhistleInput:
    whistle_number: str
    reason: str


def summons_key(global_id: str) -> int | None:
    """The row id behind a Summons global id; None when it is not one."""
    try:
        type_name, key = from_global_id(global_id)
    except InvalidGlobalIdError:
        return None
    return row_id(key) if type_name == "Summons" else None


def summons_keys(global_ids: Sequence[str], field: str) -> list[int]:
    keys = [summons_key(global_id) for global_id in global_ids]
    if None in keys:
        raise NotFoundError("no such summons on this whistle", field=field)
    return [key for key in keys if key is not None]


def _payload(
    whistle: WhistleRow | None, errors: list[UserError], summons: SummonsRow | None = None
) -> WhistlePayload:
    return WhistlePayload(
        whistle=Whistle(row=whistle) if whistle is not None else None,
        errors=errors,
        summons=Summons(row=summons) if summons is not None else None,
    )


async def on_whistle(info: Info, operation: str, number: str, act: WhistleStep) -> WhistlePayload:
    """Run one step on a whistle the actor may see, locked for the transaction."""

    async def work(session: AsyncSession, now: dt.datetime) -> WhistleRow:
        whistle = await service.get_for_actor(
            session=session, number=number, actor=info.context.actor, for_update=True
        )
        await act(session, whistle, now)
        return whistle

    return _payload(*await run_mutation(info, operation, number, work))


async def on_summons(
    info: Info, operation: str, summons_id: str, act: SummonsStep
) -> WhistlePayload:
    """Run one summoned party's step; its whistle is locked first."""

    async def work(session: AsyncSession, now: dt.datetime) -> tuple[WhistleRow, SummonsRow]:
        whistle, summons = await reporting.get_summons_for_actor(
            session=session,
            summons_id=summons_key(summons_id),
            label=summons_id,
            actor=info.context.actor,
        )
        await act(session, whistle, summons, now)
        return whistle, summons

    result, errors = await run_mutation(info, operation, summons_id, work)
    whistle, summons = result if result is not None else (None, None)
    return _payload(whistle, errors, summons)


def call_of(data: BlowWhistleInput) -> intake.Call:
    return intake.Call(
        caller_code=data.caller_code,
        kind=data.kind,
        case_numbers=data.case_numbers,
        reason=data.reason,
        department_codes=data.department_codes,
        partner_codes=data.partner_codes,
        report_within_minutes=data.report_within_minutes,
    )


@strawberry.type
class WhistleMutations:
    @strawberry.mutation(description="Blow a whistle on cases (街乡吹哨); the scope is derived.")
    async def blow_whistle(self, info: Info, input: BlowWhistleInput) -> WhistlePayload:
        async def work(session: AsyncSession, now: dt.datetime) -> WhistleRow:
            return await intake.blow(
                session=session,
                settings=info.context.settings,
                call=call_of(input),
                actor=info.context.actor,
                now=now,
            )

        return _payload(
            *await run_mutation(info, "blowWhistle", None, work, target_of=lambda w: w.number)
        )

    @strawberry.mutation(description="The platform above accepts or rejects (联审、立项、派发).")
    async def review_whistle(self, info: Info, input: ReviewWhistleInput) -> WhistlePayload:
        async def act(session: AsyncSession, whistle: WhistleRow, now: dt.datetime) -> None:
            await service.review(
                session=session,
                whistle=whistle,
                approve=input.approve,
                note=input.note,
                actor=info.context.actor,
                now=now,
            )

        return await on_whistle(info, "reviewWhistle", input.whistle_number, act)

    @strawberry.mutation(description="A summoned party has the summons and is on its way.")
    async def acknowledge_summons(
        self, info: Info, input: AcknowledgeSummonsInput
    ) -> WhistlePayload:
        async def act(
            session: AsyncSession, whistle: WhistleRow, summons: SummonsRow, now: dt.datetime
        ) -> None:
            await reporting.acknowledge(
                session=session, whistle=whistle, summons=summons, actor=info.context.actor, now=now
            )

        return await on_summons(info, "acknowledgeSummons", input.summons_id, act)

    @strawberry.mutation(description="Report on site (报到) for your own summons.")
    async def report_in(self, info: Info, input: ReportInInput) -> WhistlePayload:
        point = (input.location.lng, input.location.lat, input.location.crs.value)

        async def act(
            session: AsyncSession, whistle: WhistleRow, summons: SummonsRow, now: dt.datetime
        ) -> None:
            await reporting.report_in(
                session=session,
                geo=info.context.geo,
                whistle=whistle,
                summons=summons,
                point=point,
                note=input.note,
                actor=info.context.actor,
                now=now,
            )

        return await on_summons(info, "reportIn", input.summons_id, act)

    @strawberry.mutation(description="A summoned partner brings its own district's departments.")
    async def join_whistle(self, info: Info, input: JoinWhistleInput) -> WhistlePayload:
        async def act(session: AsyncSession, whistle: WhistleRow, now: dt.datetime) -> None:
            await reporting.join(
                session=session,
                whistle=whistle,
                department_codes=input.department_codes,
                actor=info.context.actor,
                now=now,
            )

        return await on_whistle(info, "joinWhistle", input.whistle_number, act)

    @strawberry.mutation(description="Fix the joint action's time, place and tasks (联合行动).")
    async def schedule_joint_action(
        self, info: Info, input: ScheduleJointActionInput
    ) -> WhistlePayload:
        async def act(session: AsyncSession, whistle: WhistleRow, now: dt.datetime) -> None:
            keys = summons_keys([a.summons_id for a in input.assignments], "assignments")
            await service.schedule_joint_action(
                session=session,
                whistle=whistle,
                at=input.at,
                place=input.place,
                assignments=[(key, a.task) for key, a in zip(keys, input.assignments, strict=True)],
                actor=info.context.actor,
                now=now,
            )

        return await on_whistle(info, "scheduleJointAction", input.whistle_number, act)

    @strawberry.mutation(description="Your part is done.")
    async def complete_summons(self, info: Info, input: CompleteSummonsInput) -> WhistlePayload:
        async def act(
            session: AsyncSession, whistle: WhistleRow, summons: SummonsRow, now: dt.datetime
        ) -> None:
            await reporting.complete(
                session=session,
                whistle=whistle,
                summons=summons,
                note=input.note,
                actor=info.context.actor,
                now=now,
            )

        return await on_summons(info, "completeSummons", input.summons_id, act)

    @strawberry.mutation(description="The matter is done; parties still out must be released.")
    async def resolve_whistle(self, info: Info, input: ResolveWhistleInput) -> WhistlePayload:
        async def act(session: AsyncSession, whistle: WhistleRow, now: dt.datetime) -> None:
            keys = summons_keys([r.summons_id for r in input.releases], "releases")
            await service.resolve(
                session=session,
                whistle=whistle,
                note=input.note,
                releases=[(key, r.reason) for key, r in zip(keys, input.releases, strict=True)],
                actor=info.context.actor,
                now=now,
            )

        return await on_whistle(info, "resolveWhistle", input.whistle_number, act)

    @strawberry.mutation(description="The caller rates each party 1–5 (评价监督), once resolved.")
    async def evaluate_whistle(self, info: Info, input: EvaluateWhistleInput) -> WhistlePayload:
        async def act(session: AsyncSession, whistle: WhistleRow, now: dt.datetime) -> None:
            keys = summons_keys([r.summons_id for r in input.ratings], "ratings")
            ratings = [
                service.Rating(summons_id=key, score=r.score, comment=r.comment)
                for key, r in zip(keys, input.ratings, strict=True)
            ]
            await service.evaluate(
                session=session, whistle=whistle, ratings=ratings, actor=info.context.actor, now=now
            )

        return await on_whistle(info, "evaluateWhistle", input.whistle_number, act)

    @strawberry.mutation(description="Feed the result back and close (结果反馈).")
    async def close_whistle(self, info: Info, input: CloseWhistleInput) -> WhistlePayload:
        async def act(session: AsyncSession, whistle: WhistleRow, now: dt.datetime) -> None:
            await service.close(
                session=session,
                whistle=whistle,
                feedback=input.feedback,
                actor=info.context.actor,
                now=now,
            )

        return await on_whistle(info, "closeWhistle", input.whistle_number, act)

    @strawberry.mutation(description="Raise the whistle one level: district, then city platform.")
    async def escalate_whistle(self, info: Info, input: EscalateWhistleInput) -> WhistlePayload:
        async def act(session: AsyncSession, whistle: WhistleRow, now: dt.datetime) -> None:
            await service.escalate(
                session=session,
                whistle=whistle,
                reason=input.reason,
                actor=info.context.actor,
                now=now,
            )

        return await on_whistle(info, "escalateWhistle", input.whistle_number, act)
