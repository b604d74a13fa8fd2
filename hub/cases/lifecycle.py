"""What each step of a case's life changes: the case, its dispatches and its timeline.

The one lifecycle, written once for both ways a case is written: the case service
(``hub.cases.service``, ORM rows in a session, after its checks and look-ups) and the batch
intake (``hub.cases.batch``, plain rows in memory, written with a few statements). Each step
goes through ``rules.next_status`` and tells the timeline what happened; neither knows SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from hub.auth.actors import Actor
from hub.cases.deadlines import RED_AFTER_REOPENINGS, sign_by
from hub.cases.models import CaseStatus, DispatchRole, DispatchStatus, WarningLevel
from hub.cases.rules import (
    CaseTransition,
    DispatchTransition,
    next_dispatch_status,
    next_status,
)
from hub.errors import IllegalTransitionError


class CaseState(Protocol):
    """The case's fields the lifecycle reads and changes (a ``Case`` or a batch's row)."""

    number: str
    status: CaseStatus
    source: Any
    subdistrict_code: str
    reported_at: dt.datetime
    updated_at: dt.datetime
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    feedback_resolved: bool | None
    feedback_satisfied: bool | None
    feedback_comment: str | None
    feedback_at: dt.datetime | None
    reopen_count: int
    warning_level: WarningLevel


class DispatchState(Protocol):
    """A dispatch's fields the lifecycle changes (a ``CaseDispatch`` or a batch's row)."""

    department_code: str
    status: DispatchStatus
    role: DispatchRole
    note: str | None
    dispatched_at: dt.datetime
    sign_by: dt.datetime | None
    signed_at: dt.datetime | None
    sign_overdue: bool
    ruled: bool
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None


class Timeline(Protocol):
    """Where a step's event goes (``hub.cases.events.add_event`` or a batch's list)."""

    def __call__(
        self,
        type_: str,
        actor: Actor,
        *,
        at: dt.datetime,
        note: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None: ...


def move(case: CaseState, transition: CaseTransition, now: dt.datetime) -> None:
    case.status = next_status(case.status, transition)
    case.updated_at = now


def reported(case: CaseState, actor: Actor, timeline: Timeline) -> None:
    """The intake's event: a new case is on record."""
    data = {"source": case.source.value, "subdistrict": case.subdistrict_code}
    timeline("REPORTED", actor, at=case.reported_at, data=data)


def leader(
    case: CaseState, rows: Iterable[DispatchState], fresh: Sequence[str], lead: str | None
) -> str | None:
    """Who leads among the units sent now: none while the case has a lead still on it."""
    has_lead = any(
        r.role is DispatchRole.LEAD and r.status is not DispatchStatus.WITHDRAWN for r in rows
    )
    if has_lead and lead is not None:
        raise IllegalTransitionError(
            f"case {case.number} already has a lead unit", field="leadDepartmentCode"
        )
    return None if has_lead else (lead or fresh[0])


def assign(row: DispatchState, *, leads: bool, note: str | None, now: dt.datetime) -> None:
    """A unit's dispatch, new or sent again after a withdrawal: to be signed for anew."""
    row.status, row.note, row.dispatched_at = DispatchStatus.DISPATCHED, note, now
    row.role = DispatchRole.LEAD if leads else DispatchRole.ASSIST
    row.sign_by, row.signed_at, row.sign_overdue, row.ruled = sign_by(now), None, False, False
    row.responded_at = row.resolved_at = None


def sent_record(dispatches: Sequence[DispatchState]) -> dict[str, Any]:
    lead = [row.department_code for row in dispatches if row.role is DispatchRole.LEAD]
    return {
        "departments": [row.department_code for row in dispatches],
        "lead": lead[0] if lead else None,
    }


def dispatched(
    case: CaseState,
    sent: Sequence[DispatchState],
    *,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
    timeline: Timeline,
) -> None:
    """The case is with the units ``sent`` (already ``assign``ed)."""
    move(case, CaseTransition.DISPATCH, now)
    timeline("DISPATCHED", actor, at=now, note=note, data=sent_record(sent))


def signed(
    case: CaseState, own: DispatchState, *, actor: Actor, now: dt.datetime, timeline: Timeline
) -> None:
    """签收: the unit takes the order on (late past its sign-by time)."""
    next_status(case.status, CaseTransition.SIGN)
    next_dispatch_status(own.status, DispatchTransition.SIGN)
    if own.signed_at is not None:
        raise IllegalTransitionError(f"you signed for case {case.number} already")
    own.signed_at = now
    late = own.sign_by is not None and now > own.sign_by
    timeline("SIGNED", actor, at=now, data={"late": late})


def responded(
    case: CaseState,
    own: DispatchState | None,
    *,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
    timeline: Timeline,
) -> None:
    """A department's first reply to the caller (响应), through its own dispatch if it has one."""
    move(case, CaseTransition.RESPOND, now)
    if case.responded_at is None:
        case.responded_at = now
    if own is not None and own.responded_at is None:
        own.status, own.responded_at = DispatchStatus.RESPONDED, now
        own.signed_at = own.signed_at or now
    timeline("RESPONDED", actor, at=now, note=note)


def resolved(
    case: CaseState,
    own: DispatchState | None,
    *,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
    timeline: Timeline,
) -> None:
    """Solved (办结); an assisting unit's part is done without closing the order."""
    if own is not None and own.role is DispatchRole.ASSIST:
        next_status(case.status, CaseTransition.RESOLVE)  # refused the same way as the lead
        _done(own, now)
        timeline("ASSIST_RESOLVED", actor, at=now, note=note)
        return
    move(case, CaseTransition.RESOLVE, now)
    case.responded_at = case.responded_at or now
    case.resolved_at = now
    if own is not None:
        _done(own, now)
    timeline("RESOLVED", actor, at=now, note=note)


def _done(own: DispatchState, now: dt.datetime) -> None:
    own.signed_at, own.responded_at = own.signed_at or now, own.responded_at or now
    own.status, own.resolved_at = DispatchStatus.RESOLVED, now


def feedback(
    case: CaseState,
    dispatches: Iterable[DispatchState],
    *,
    resolved: bool,
    satisfied: bool | None,
    comment: str | None,
    actor: Actor,
    now: dt.datetime,
    timeline: Timeline,
) -> None:
    """The return call (回访) on a resolved case; "not solved" reopens it with its units."""
    if case.status is not CaseStatus.RESOLVED:
        raise IllegalTransitionError(
            f"a return call needs a resolved case; case {case.number} is {case.status}"
        )
    case.feedback_resolved, case.feedback_satisfied = resolved, satisfied
    case.feedback_comment, case.feedback_at = comment, now
    data = {"resolved": resolved, "satisfied": satisfied}
    timeline("FEEDBACK_RECORDED", actor, at=now, note=comment, data=data)
    if resolved:
        return
    move(case, CaseTransition.REOPEN, now)
    case.reopen_count += 1
    reopen(case, dispatches)
    timeline("REOPENED", actor, at=now, note="the caller says it is not solved")
    if case.reopen_count >= RED_AFTER_REOPENINGS and case.warning_level is not WarningLevel.RED:
        case.warning_level = WarningLevel.RED
        timeline("RED_WARNING", actor, at=now, note="twice not solved")


def reopen(case: CaseState, dispatches: Iterable[DispatchState]) -> None:
    """Back to work: the case's resolution is undone for every unit still on it."""
    case.resolved_at = None
    for row in dispatches:
        if row.status is not DispatchStatus.WITHDRAWN:
            row.status, row.resolved_at = DispatchStatus.DISPATCHED, None


def closed(
    case: CaseState, *, note: str | None, actor: Actor, now: dt.datetime, timeline: Timeline
) -> None:
    move(case, CaseTransition.CLOSE, now)
    case.closed_at = now
    timeline("CLOSED", actor, at=now, note=note)
