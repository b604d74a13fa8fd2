"""What each step of a case's life changes: the case, its dispatches and its timeline.

The one lifecycle, written once for both ways a case is written: the case service
(``hub.cases.service``, ORM rows in a session, after its checks and look-ups) and the batch
intake (``hub.cases.batch``, plain rows in memory, written with a few statements). Each step
goes through ``rules.next_status`` and tells the timeline what happened; neither knows SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from hub.cases.calendar import add_working_days
from hub.cases.deadlines import RED_AFTER_REOPENINGS, sign_by, warn_at
from hub.cases.models import (
    CaseStatus,
    Decision,
    DispatchRole,
    DispatchStatus,
    ReturnReason,
    WarningLevel,
)
from hub.cases.rules import (
    CaseTransition,
    DispatchTransition,
    next_dispatch_status,
    next_status,
)
from hub.cases.states import Act, CaseState, DispatchState, ExtensionState
from hub.errors import DomainError, ErrorCode, IllegalTransitionError

# The longest extension the centre grants at once, beyond the current deadline.
MAX_EXTENSION_WORKING_DAYS = 15


class ReasonRequiredError(DomainError):
    code = ErrorCode.REASON_REQUIRED


class ReturnRuledError(DomainError):
    code = ErrorCode.RETURN_RULED


class ExtensionTooLateError(DomainError):
    code = ErrorCode.EXTENSION_TOO_LATE


class InvalidExtensionError(DomainError):
    code = ErrorCode.INVALID_EXTENSION


def move(case: CaseState, transition: CaseTransition, now: dt.datetime) -> None:
    case.status = next_status(case.status, transition)
    case.updated_at = now


def reported(case: CaseState, act: Act) -> None:
    """The intake's event: a new case is on record (at the time it was reported)."""
    data = {"source": case.source.value, "subdistrict": case.subdistrict_code}
    act.record("REPORTED", at=case.reported_at, data=data)


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
    case: CaseState, sent: Sequence[DispatchState], *, note: str | None, act: Act
) -> None:
    """The case is with the units ``sent`` (already ``assign``ed)."""
    move(case, CaseTransition.DISPATCH, act.now)
    act.record("DISPATCHED", note=note, data=sent_record(sent))


def signed(case: CaseState, own: DispatchState, act: Act) -> None:
    """签收: the unit takes the order on (late past its sign-by time)."""
    next_status(case.status, CaseTransition.SIGN)
    next_dispatch_status(own.status, DispatchTransition.SIGN)
    if own.signed_at is not None:
        raise IllegalTransitionError(f"you signed for case {case.number} already")
    own.signed_at = act.now
    late = own.sign_by is not None and act.now > own.sign_by
    act.record("SIGNED", data={"late": late})


def returned(
    case: CaseState,
    own: DispatchState,
    *,
    reason: ReturnReason | None,
    note: str | None,
    act: Act,
) -> dict[str, Any]:
    """退单: the unit hands its dispatch back with a standard reason and an explanation; the
    return's record (its columns but ``case_id``), pending the dispatcher's review."""
    if reason is None:
        raise ReasonRequiredError("a return names its reason", field="reason")
    explanation = _said(note, "note")
    if own.ruled:
        raise ReturnRuledError(
            f"case {case.number} was ruled yours (审定); it cannot be returned again"
        )
    next_status(case.status, CaseTransition.RETURN)
    own.status = next_dispatch_status(own.status, DispatchTransition.RETURN)
    act.record("RETURNED", note=explanation, data={"reason": reason.value})
    return {
        "department_code": own.department_code,
        "reason": reason,
        "note": explanation,
        "returned_at": act.now,
        "returned_by": act.actor.as_record(),
        "decision": Decision.PENDING,
        "decided_at": None,
        "decided_by": None,
        "decision_note": None,
        "redispatched_to": None,
    }


def _said(text: str | None, field: str) -> str:
    if text is None or not text.strip():
        raise ReasonRequiredError("say why", field=field)
    return text.strip()


def extension_requested(
    case: CaseState,
    own: DispatchState,
    *,
    until: dt.datetime,
    reason: str | None,
    pending: bool,
    act: Act,
) -> dict[str, Any]:
    """延期: the unit asks, before its deadline, for a later one; the request's record (its
    columns but ``case_id``), pending the centre's review."""
    next_status(case.status, CaseTransition.REQUEST_EXTENSION)
    if reason is None or not reason.strip():
        raise ReasonRequiredError("an extension needs a reason", field="reason")
    deadline = case.resolve_by or act.now
    if act.now >= deadline:
        raise ExtensionTooLateError(
            f"case {case.number} was due at {deadline.isoformat()}; ask before the deadline"
        )
    if until.tzinfo is None or until <= deadline:
        raise InvalidExtensionError(
            "the new deadline must be later than the current one", field="until"
        )
    if until > add_working_days(deadline, MAX_EXTENSION_WORKING_DAYS):
        raise InvalidExtensionError(
            f"an extension is at most {MAX_EXTENSION_WORKING_DAYS} working days", field="until"
        )
    if pending:
        raise IllegalTransitionError(f"an extension of case {case.number} awaits review")
    explanation, new_deadline = reason.strip(), until.astimezone(dt.UTC)
    row: dict[str, Any] = {
        "department_code": own.department_code,
        "until": new_deadline,
        "previous_deadline": deadline,
        "reason": explanation,
        "requested_at": act.now,
        "requested_by": act.actor.as_record(),
        "decision": Decision.PENDING,
        "decided_at": None,
        "decided_by": None,
        "decision_note": None,
    }
    act.record("EXTENSION_REQUESTED", note=explanation, data={"until": new_deadline.isoformat()})
    return row


def extension_reviewed(
    case: CaseState, pending: ExtensionState, *, approve: bool, note: str | None, act: Act
) -> None:
    """The centre approves (the resolve-by deadline moves, the caller is told) or refuses."""
    next_status(case.status, CaseTransition.REVIEW_EXTENSION)
    pending.decided_at, pending.decided_by = act.now, act.actor.as_record()
    pending.decision_note = note
    if not approve:
        pending.decision = Decision.REJECTED
        act.record("EXTENSION_REFUSED", note=note)
        return
    pending.decision = Decision.APPROVED
    case.resolve_by = pending.until
    case.warn_at = warn_at(case.reported_at, pending.until)
    # The clocks start again from the new deadline: warnings are raised anew against it.
    case.resolve_overdue = act.now > pending.until
    case.warning_level = WarningLevel.RED if case.resolve_overdue else WarningLevel.GREEN
    data = {"until": pending.until.isoformat(), "callerTold": True}
    act.record("EXTENSION_APPROVED", note=note, data=data)


def responded(case: CaseState, own: DispatchState | None, *, note: str | None, act: Act) -> None:
    """A department's first reply to the caller (响应), through its own dispatch if it has one."""
    now = act.now
    move(case, CaseTransition.RESPOND, now)
    if case.responded_at is None:
        case.responded_at = now
    if own is not None and own.responded_at is None:
        own.status, own.responded_at = DispatchStatus.RESPONDED, now
        own.signed_at = own.signed_at or now
    act.record("RESPONDED", note=note)


def resolved(case: CaseState, own: DispatchState | None, *, note: str | None, act: Act) -> None:
    """Solved (办结); an assisting unit's part is done without closing the order."""
    now = act.now
    if own is not None and own.role is DispatchRole.ASSIST:
        next_status(case.status, CaseTransition.RESOLVE)  # refused the same way as the lead
        _done(own, now)
        act.record("ASSIST_RESOLVED", note=note)
        return
    move(case, CaseTransition.RESOLVE, now)
    case.responded_at = case.responded_at or now
    case.resolved_at = now
    if own is not None:
        _done(own, now)
    act.record("RESOLVED", note=note)


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
    act: Act,
) -> None:
    """The return call (回访) on a resolved case; "not solved" reopens it with its units."""
    if case.status is not CaseStatus.RESOLVED:
        raise IllegalTransitionError(
            f"a return call needs a resolved case; case {case.number} is {case.status}"
        )
    case.feedback_resolved, case.feedback_satisfied = resolved, satisfied
    case.feedback_comment, case.feedback_at = comment, act.now
    data = {"resolved": resolved, "satisfied": satisfied}
    act.record("FEEDBACK_RECORDED", note=comment, data=data)
    if resolved:
        return
    reopened(case, dispatches, act=act)


def reopened(
    case: CaseState,
    dispatches: Iterable[DispatchState],
    *,
    act: Act,
    duplicate: str | None = None,
) -> None:
    """A caller says it is not solved: back to its units; twice is a red warning.

    ``duplicate`` names the merged duplicate whose caller said so (its main order reopens)."""
    move(case, CaseTransition.REOPEN, act.now)
    case.reopen_count += 1
    reopen(case, dispatches)
    if duplicate is None:
        act.record("REOPENED", note="the caller says it is not solved")
    else:
        note = f"the caller of merged duplicate {duplicate} says it is not solved"
        act.record("REOPENED", note=note, data={"duplicate": duplicate})
    if case.reopen_count >= RED_AFTER_REOPENINGS and case.warning_level is not WarningLevel.RED:
        case.warning_level = WarningLevel.RED
        act.record("RED_WARNING", note="twice not solved")


def reopen(case: CaseState, dispatches: Iterable[DispatchState]) -> None:
    """Back to work: the case's resolution is undone for every unit still on it."""
    case.resolved_at = None
    for row in dispatches:
        if row.status is not DispatchStatus.WITHDRAWN:
            row.status, row.resolved_at = DispatchStatus.DISPATCHED, None


def closed(case: CaseState, *, note: str | None, act: Act) -> None:
    move(case, CaseTransition.CLOSE, act.now)
    case.closed_at = act.now
    act.record("CLOSED", note=note)
