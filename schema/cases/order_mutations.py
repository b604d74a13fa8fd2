"""The 12345 centre's steps on an order: sign, return and its review, extension and its
review, urge, supervise, merge, decline and the closing review. Each returns the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases import extensions, merging, returns, service, supervision
from hub.cases.models import Case as CaseRow
from hub.cases.models import ReturnReason
from schema.cases.mutations import CasePayload, _payload
from schema.context import Info
from schema.core.mutations import run_mutation

Act = Callable[[AsyncSession, CaseRow, dt.datetime], Awaitable[object]]


async def _on_case(info: Info, operation: str, number: str, act: Act) -> CasePayload:
    """Load the case the actor may see (locked), take the step, return the case."""

    async def work(session: AsyncSession, now: dt.datetime) -> CaseRow:
        case = await service.get_for_actor(
            session=session, number=number, actor=info.context.actor, for_update=True
        )
        await act(session, case, now)
        return case

    return _payload(*await run_mutation(info, operation, number, work))


@strawberry.input(description="Sign for, urge or supervise an order.")
class CaseNoteInput:
    case_number: str
    note: str | None = None


@strawberry.input(description="A unit returns its dispatch (退单) with a standard reason.")
class ReturnCaseInput:
    case_number: str
    reason: ReturnReason | None = strawberry.field(default=None, description="Required.")
    note: str | None = strawberry.field(default=None, description="Required: the explanation.")


@strawberry.input(description="The dispatcher's decision on a unit's return.")
class ReviewReturnInput:
    case_number: str
    department_code: str = strawberry.field(description="The unit whose return is reviewed.")
    approve: bool = strawberry.field(
        description="true: withdraw the dispatch; false: rule the unit responsible (审定)."
    )
    redispatch_to: list[str] = strawberry.field(
        default_factory=list, description="With approve: the units to send it to at once."
    )
    note: str | None = None


@strawberry.input(description="A unit asks, before its deadline, for a later one (延期).")
class RequestExtensionInput:
    case_number: str
    until: dt.datetime
    reason: str | None = strawberry.field(default=None, description="Required.")


@strawberry.input(description="Approve or refuse a case's pending extension, or its closure.")
class ReviewCaseInput:
    case_number: str
    approve: bool
    note: str | None = strawberry.field(
        default=None, description="Required when refusing a closure."
    )


@strawberry.input(description="Merge duplicate complaints into one main order (合并).")
class MergeCasesInput:
    case_number: str = strawberry.field(description="The main order.")
    duplicate_numbers: list[str]


@strawberry.input(description="Decline an out-of-scope or abusive request (不予受理).")
class DeclineCaseInput:
    case_number: str
    reason: str | None = strawberry.field(default=None, description="Required.")


@strawberry.type
class OrderMutations:
    @strawberry.mutation(description="签收: the unit takes its dispatch on.")
    async def sign_for_case(self, info: Info, input: CaseNoteInput) -> CasePayload:
        actor = info.context.actor
        return await _on_case(
            info,
            "signForCase",
            input.case_number,
            lambda s, case, now: returns.sign(session=s, case=case, actor=actor, now=now),
        )

    @strawberry.mutation(description="退单: the unit returns its dispatch with a reason.")
    async def return_case(self, info: Info, input: ReturnCaseInput) -> CasePayload:
        actor = info.context.actor
        return await _on_case(
            info,
            "returnCase",
            input.case_number,
            lambda s, case, now: returns.return_dispatch(
                session=s, case=case, reason=input.reason, note=input.note, actor=actor, now=now
            ),
        )

    @strawberry.mutation(description="Accept a return (re-dispatching at once) or rule it down.")
    async def review_return(self, info: Info, input: ReviewReturnInput) -> CasePayload:
        actor = info.context.actor
        return await _on_case(
            info,
            "reviewReturn",
            input.case_number,
            lambda s, case, now: returns.review_return(
                session=s,
                case=case,
                department_code=input.department_code,
                approve=input.approve,
                redispatch_to=input.redispatch_to,
                note=input.note,
                actor=actor,
                now=now,
            ),
        )

    @strawberry.mutation(description="延期: ask for a later resolve-by deadline, before it passes.")
    async def request_extension(self, info: Info, input: RequestExtensionInput) -> CasePayload:
        actor = info.context.actor
        return await _on_case(
            info,
            "requestExtension",
            input.case_number,
            lambda s, case, now: extensions.request(
                session=s, case=case, until=input.until, reason=input.reason, actor=actor, now=now
            ),
        )

    @strawberry.mutation(description="Approve (the deadline moves) or refuse an extension.")
    async def review_extension(self, info: Info, input: ReviewCaseInput) -> CasePayload:
        actor = info.context.actor
        return await _on_case(
            info,
            "reviewExtension",
            input.case_number,
            lambda s, case, now: extensions.review(
                session=s, case=case, approve=input.approve, note=input.note, actor=actor, now=now
            ),
        )

    @strawberry.mutation(description="催办: urge the lead unit before the deadline.")
    async def urge_case(self, info: Info, input: CaseNoteInput) -> CasePayload:
        actor = info.context.actor
        return await _on_case(
            info,
            "urgeCase",
            input.case_number,
            lambda s, case, now: supervision.urge(
                session=s, case=case, note=input.note, actor=actor, now=now
            ),
        )

    @strawberry.mutation(description="督办: a supervision notice on an overdue order.")
    async def supervise_case(self, info: Info, input: CaseNoteInput) -> CasePayload:
        actor = info.context.actor
        return await _on_case(
            info,
            "superviseCase",
            input.case_number,
            lambda s, case, now: supervision.supervise(
                session=s, case=case, note=input.note, actor=actor, now=now
            ),
        )

    @strawberry.mutation(description="合并: duplicates follow the main order (the first number).")
    async def merge_cases(self, info: Info, input: MergeCasesInput) -> CasePayload:
        actor = info.context.actor

        async def act(session: AsyncSession, main: CaseRow, now: dt.datetime) -> None:
            duplicates = [
                await service.get_for_actor(
                    session=session, number=number, actor=actor, for_update=True
                )
                for number in sorted(set(input.duplicate_numbers))
            ]
            await merging.merge(
                session=session, main=main, duplicates=duplicates, actor=actor, now=now
            )

        return await _on_case(info, "mergeCases", input.case_number, act)

    @strawberry.mutation(description="不予受理: decline with a reason; it counts against no one.")
    async def decline_case(self, info: Info, input: DeclineCaseInput) -> CasePayload:
        actor = info.context.actor
        return await _on_case(
            info,
            "declineCase",
            input.case_number,
            lambda s, case, now: merging.decline(
                session=s, case=case, reason=input.reason, actor=actor, now=now
            ),
        )

    @strawberry.mutation(description="办结审核: approve the reply (CLOSED) or send it back.")
    async def review_closure(self, info: Info, input: ReviewCaseInput) -> CasePayload:
        actor = info.context.actor
        return await _on_case(
            info,
            "reviewClosure",
            input.case_number,
            lambda s, case, now: merging.review_closure(
                session=s, case=case, approve=input.approve, note=input.note, actor=actor, now=now
            ),
        )
