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
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.cases import extensions, returns, service
from hub.cases.models import Case, CaseStatus, Decision, ReturnReason
from hub.errors import DomainError, ErrorCode, IllegalTransitionError


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
class ReturnNotice:
    """The lead unit handed the order back (退单); the dispatcher has not ruled yet."""

    reason: ReturnReason
    note: str
    at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ExtensionNotice:
    """The lead unit asked for a later resolve-by (延期), and what the centre decided."""

    until: dt.datetime
    reason: str
    requested_at: dt.datetime | None = None
    decision: Decision = Decision.PENDING
    decided_at: dt.datetime | None = None


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
    returned: ReturnNotice | None = None  # by the lead unit, pending the dispatcher's ruling
    extension: ExtensionNotice | None = None


class StepKind(enum.StrEnum):
    DISPATCH = "DISPATCH"
    SIGN = "SIGN"
    REVIEW_RETURN = "REVIEW_RETURN"
    RETURN = "RETURN"
    REQUEST_EXTENSION = "REQUEST_EXTENSION"
    REVIEW_EXTENSION = "REVIEW_EXTENSION"
    RESPOND = "RESPOND"
    RESOLVE = "RESOLVE"
    FEEDBACK = "FEEDBACK"
    CLOSE = "CLOSE"


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    at: dt.datetime
    departments: tuple[str, ...] = ()
    approve: bool = True  # a review's decision
    redispatch: tuple[str, ...] = ()  # an accepted return's units sent at once (转派)


def plan(
    *,
    status: CaseStatus,
    dispatched: frozenset[str],
    update: CaseUpdate,
    since: dt.datetime,
    versioned: bool = True,
    signed: frozenset[str] = frozenset(),
    returning: frozenset[str] = frozenset(),
    withdrawn: frozenset[str] = frozenset(),
    extensions: dict[dt.datetime, Decision] | None = None,
) -> list[Step]:
    """The steps from ``status`` to ``update.stage``; times never run backwards from ``since``.

    ``returning`` are the units whose return awaits the dispatcher's ruling in the hub, and
    ``extensions`` the hub's extensions of the case (new deadline → decision). A return the
    source no longer shows was ruled: accepted if the unit is no longer named (the units named
    instead are sent at once), rejected (审定) if it still is. A source back at RECEIVED (待派单)
    naming no unit, while every unit still on the case (``dispatched`` less ``withdrawn``) awaits
    a ruling, says the centre accepted those returns and has not sent the order on yet.

    A source that says less than the hub has is a regression: an error for a versioned source
    (a newer version contradicts the hub), nothing to do for an unversioned one (an old record).
    A step the source asks for that the case's state cannot take (an extension of a resolved
    or closed case, a return call on a closed one) is planned all the same, so that the state
    machine refuses it with its code rather than the step being dropped; so is any newer
    version of a case the hub has merged or declined.
    """
    current = STAGE_OF_STATUS.get(status)
    target = update.stage
    clock = _Clock(since)
    if current is None:  # merged or declined in the hub: out of the source's flow
        if versioned:
            raise IllegalTransitionError(
                f"the source moves a case the hub has {status}; it takes no further steps"
            )
        return []
    if _handed_back(current, target, update, dispatched - withdrawn, returning):
        return _rulings(update, returning, (), clock)
    if target == Stage.VISITED and current == Stage.CLOSED:
        return _asked_of_closed(update, dispatched, extensions or {}, clock) if versioned else []
    if target < current:
        if versioned:
            raise StatusRegressionError(
                f"the source says {target.name} but the hub has the case {status}"
            )
        return []
    steps: list[Step] = []
    fresh = tuple(code for code in update.departments if code not in dispatched)
    ruled = _rulings(update, returning, fresh, clock)
    steps += ruled
    if ruled:
        fresh = tuple(code for code in fresh if not any(code in s.redispatch for s in ruled))
    if target >= Stage.DISPATCHED and fresh and status in DISPATCHABLE:
        steps.append(Step(StepKind.DISPATCH, clock(update.dispatched_at), fresh))
    acting = update.departments or tuple(sorted(dispatched))
    if target >= Stage.DISPATCHED and not acting:
        raise NoDepartmentError("the source names no department to send the case to")
    lead = acting[:1]
    if update.signed_at and current < Stage.RESPONDED and lead and lead[0] not in signed:
        steps.append(Step(StepKind.SIGN, clock(update.signed_at), lead))
    back = update.returned
    returns = back is not None and target == Stage.DISPATCHED and current < Stage.RESPONDED
    if back and returns and lead and lead[0] not in returning:
        steps.append(Step(StepKind.RETURN, clock(back.at or update.dispatched_at), lead))
    if target >= Stage.RESPONDED and current < Stage.RESPONDED:
        at = update.responded_at or update.resolved_at or update.visited_at
        steps.append(Step(StepKind.RESPOND, clock(at), acting))
    # On a resolved case an extension the hub has not seen is refused by the state machine.
    steps += _extension_steps(update.extension, extensions or {}, lead, clock)
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


def _handed_back(
    current: Stage,
    target: Stage,
    update: CaseUpdate,
    live: frozenset[str],
    returning: frozenset[str],
) -> bool:
    """Every unit on the case returned it, and the centre accepted, sending it on to no one."""
    back_at_intake = target == Stage.RECEIVED and current == Stage.DISPATCHED
    return back_at_intake and bool(live) and live <= returning and not update.departments


def _asked_of_closed(
    update: CaseUpdate,
    dispatched: frozenset[str],
    extensions: dict[dt.datetime, Decision],
    clock: _Clock,
) -> list[Step]:
    """What a closed case is asked to take by a source still at its return call: a 延期 it has
    not seen, or the caller not solved; steps the state machine refuses."""
    lead = (update.departments or tuple(sorted(dispatched)))[:1]
    steps = _extension_steps(update.extension, extensions, lead, clock)
    if not update.visit_resolved:
        steps.append(Step(StepKind.FEEDBACK, clock(update.visited_at)))
    return steps


def _rulings(
    update: CaseUpdate, returning: frozenset[str], fresh: tuple[str, ...], clock: _Clock
) -> list[Step]:
    """The dispatcher's rulings on returns the hub holds and the source shows no longer."""
    still = update.departments[:1] if update.returned else ()
    steps = []
    for code in sorted(returning - set(still)):
        approve = code not in update.departments
        sent = fresh if approve else ()
        fresh = () if approve else fresh
        at = clock(update.dispatched_at)
        steps.append(Step(StepKind.REVIEW_RETURN, at, (code,), approve=approve, redispatch=sent))
    return steps


def _extension_steps(
    asked: ExtensionNotice | None,
    known: dict[dt.datetime, Decision],
    lead: tuple[str, ...],
    clock: _Clock,
) -> list[Step]:
    """An extension the hub has not seen yet is requested; one it holds pending, reviewed."""
    if asked is None or not lead:
        return []
    steps = []
    before = known.get(asked.until)
    if before is None:
        steps.append(Step(StepKind.REQUEST_EXTENSION, clock(asked.requested_at), lead))
    if asked.decision is not Decision.PENDING and before in (None, Decision.PENDING):
        approve = asked.decision is Decision.APPROVED
        at = clock(asked.decided_at)
        steps.append(Step(StepKind.REVIEW_EXTENSION, at, lead, approve=approve))
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
        return _relayed(self.system.sub, code)

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
        elif step.kind in _CENTRE_STEPS:
            await _centre_step(session, case, step, update, actors)
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


_CENTRE_STEPS = {
    StepKind.REVIEW_RETURN,
    StepKind.RETURN,
    StepKind.REQUEST_EXTENSION,
    StepKind.REVIEW_EXTENSION,
}


async def _centre_step(
    session: AsyncSession, case: Case, step: Step, update: CaseUpdate, actors: StepActors
) -> None:
    """退单 and its ruling, 延期 and its review: the unit's steps relayed as the unit."""
    unit = actors.department(step.departments[0])
    if step.kind is StepKind.REVIEW_RETURN:
        await returns.review_return(
            session=session,
            case=case,
            department_code=step.departments[0],
            approve=step.approve,
            redispatch_to=step.redispatch,
            note=None,
            actor=actors.system,
            now=step.at,
        )
    elif step.kind is StepKind.RETURN:
        assert update.returned is not None
        await returns.return_dispatch(
            session=session,
            case=case,
            reason=update.returned.reason,
            note=update.returned.note,
            actor=unit,
            now=step.at,
        )
    elif step.kind is StepKind.REQUEST_EXTENSION:
        assert update.extension is not None
        await extensions.request(
            session=session,
            case=case,
            until=update.extension.until,
            reason=update.extension.reason,
            actor=unit,
            now=step.at,
        )
    else:
        await extensions.review(
            session=session,
            case=case,
            approve=step.approve,
            note=None,
            actor=actors.system,
            now=step.at,
        )


@cache
def _relayed(sub: str, code: str) -> Actor:
    """One actor per source and department: a batch relays thousands of steps by a few."""
    return Actor(
        sub=sub, role=Role.DEPARTMENT, jurisdiction_code=code.split(".")[0], department_code=code
    )
