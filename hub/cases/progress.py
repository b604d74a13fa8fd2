"""Moving a case to where a source says it stands, through the hub's own state machine.

A source (an adapter, the demo's synthetic traffic) tells where a case stands now (a
``CaseUpdate``); ``plan`` works out the steps from where the hub has it (dispatch, respond,
resolve, return call, close). ``apply_steps`` takes them through ``hub.cases.service`` — the
API's own functions — for a case on record; ``hub.cases.batch`` takes them through the same
``hub.cases.lifecycle`` for brand-new cases in memory.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.cases import returns, service
from hub.cases.models import Case, CaseStatus
from hub.errors import DomainError, ErrorCode


class Stage(enum.IntEnum):
    """How far a source says a case has come; VISITED is after the return call (回访)."""

    RECEIVED = 0
    DISPATCHED = 1
    RESPONDED = 2
    RESOLVED = 3
    VISITED = 4
    CLOSED = 5


STAGE_OF_STATUS = {
    CaseStatus.RECEIVED: Stage.RECEIVED,
    CaseStatus.DISPATCHED: Stage.DISPATCHED,
    CaseStatus.RESPONDED: Stage.RESPONDED,
    CaseStatus.RESOLVED: Stage.RESOLVED,
    CaseStatus.CLOSED: Stage.CLOSED,
}

DISPATCHABLE = {CaseStatus.RECEIVED, CaseStatus.DISPATCHED, CaseStatus.RESPONDED}


class StatusRegressionError(DomainError):
    """A newer version of a record says the case is less far along than the hub has it."""

    code = ErrorCode.STATUS_REGRESSION


class NoDepartmentError(DomainError):
    code = ErrorCode.NO_DEPARTMENT


@dataclass(frozen=True, slots=True)
class CaseUpdate:
    """Where a source says a case stands; ``departments`` lead first."""

    stage: Stage
    departments: tuple[str, ...] = ()
    dispatch_note: str | None = None
    dispatched_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None  # by the lead unit (签收)
    responded_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    visited_at: dt.datetime | None = None
    visit_resolved: bool | None = None
    visit_satisfied: bool | None = None
    resolve_note: str | None = None


class StepKind(enum.StrEnum):
    DISPATCH = "DISPATCH"
    SIGN = "SIGN"
    RESPOND = "RESPOND"
    RESOLVE = "RESOLVE"
    FEEDBACK = "FEEDBACK"
    CLOSE = "CLOSE"


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    at: dt.datetime
    departments: tuple[str, ...] = ()


def plan(
    *,
    status: CaseStatus,
    dispatched: frozenset[str],
    update: CaseUpdate,
    since: dt.datetime,
    versioned: bool = True,
    signed: frozenset[str] = frozenset(),
) -> list[Step]:
    """The steps from ``status`` to ``update.stage``; times never run backwards from ``since``.

    A source that says less than the hub has is a regression: an error for a versioned source
    (a newer version contradicts the hub), nothing to do for an unversioned one (an old record).
    """
    current = STAGE_OF_STATUS[status]
    target = update.stage
    if target < current or (target == Stage.VISITED and current == Stage.CLOSED):
        if versioned and target < current:
            raise StatusRegressionError(
                f"the source says {target.name} but the hub has the case {status}"
            )
        return []
    clock = _Clock(since)
    steps: list[Step] = []
    fresh = tuple(code for code in update.departments if code not in dispatched)
    if target >= Stage.DISPATCHED and fresh and status in DISPATCHABLE:
        steps.append(Step(StepKind.DISPATCH, clock(update.dispatched_at), fresh))
    acting = update.departments or tuple(sorted(dispatched))
    if target >= Stage.DISPATCHED and not acting:
        raise NoDepartmentError("the source names no department to send the case to")
    lead = acting[:1]
    if update.signed_at and current < Stage.RESPONDED and lead and lead[0] not in signed:
        steps.append(Step(StepKind.SIGN, clock(update.signed_at), lead))
    if target >= Stage.RESPONDED and current < Stage.RESPONDED:
        at = update.responded_at or update.resolved_at or update.visited_at
        steps.append(Step(StepKind.RESPOND, clock(at), acting))
    if target >= Stage.RESOLVED and current < Stage.RESOLVED:
        at = update.resolved_at or update.visited_at or update.closed_at
        steps.append(Step(StepKind.RESOLVE, clock(at), acting[:1]))
    if target == Stage.VISITED:
        steps.append(Step(StepKind.FEEDBACK, clock(update.visited_at)))
        if update.visit_resolved:
            steps.append(Step(StepKind.CLOSE, clock(update.visited_at)))
    elif target == Stage.CLOSED and current < Stage.CLOSED:
        steps.append(Step(StepKind.CLOSE, clock(update.closed_at)))
    return steps


class _Clock:
    """Step times as given, but never earlier than the step before."""

    def __init__(self, since: dt.datetime) -> None:
        self.last = since

    def __call__(self, at: dt.datetime | None) -> dt.datetime:
        self.last = max(self.last, at or self.last)
        return self.last


@dataclass(frozen=True, slots=True)
class StepActors:
    """Who a source acts as: its system for intake and dispatch, relayed departments after."""

    system: Actor

    def department(self, code: str) -> Actor:
        """A department's own step (响应, 办结) as its source recorded it, relayed."""
        return Actor(
            sub=self.system.sub,
            role=Role.DEPARTMENT,
            jurisdiction_code=code.split(".")[0],
            department_code=code,
        )

    @classmethod
    def of(cls, adapter: str, role: Role) -> StepActors:
        return cls(Actor(sub=f"adapter:{adapter}", role=role, jurisdiction_code="110000"))


async def apply_steps(
    *,
    session: AsyncSession,
    case: Case,
    steps: list[Step],
    update: CaseUpdate,
    actors: StepActors,
) -> None:
    """Take the steps through the case service, as the API's mutations do."""
    for step in steps:
        if step.kind is StepKind.DISPATCH:
            await service.dispatch(
                session=session,
                case=case,
                department_codes=step.departments,
                note=update.dispatch_note,
                actor=actors.system,
                now=step.at,
            )
        elif step.kind is StepKind.SIGN:
            actor = actors.department(step.departments[0])
            await returns.sign(session=session, case=case, actor=actor, now=step.at)
        elif step.kind is StepKind.RESPOND:
            for code in step.departments:
                actor = actors.department(code)
                await service.respond(
                    session=session, case=case, note=None, actor=actor, now=step.at
                )
        elif step.kind is StepKind.RESOLVE:
            actor = actors.department(step.departments[0])
            await service.resolve(
                session=session, case=case, note=update.resolve_note, actor=actor, now=step.at
            )
        elif step.kind is StepKind.FEEDBACK:
            await service.record_feedback(
                session=session,
                case=case,
                resolved=bool(update.visit_resolved),
                satisfied=update.visit_satisfied,
                comment=None,
                actor=actors.system,
                now=step.at,
            )
        else:
            await service.close(
                session=session, case=case, note=None, actor=actors.system, now=step.at
            )
