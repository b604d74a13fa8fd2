"""延期: a unit asks before its deadline to move it; the centre approves or refuses.

An approved extension moves the resolve-by deadline, which is what overdue, the graded warnings
and the assessment are judged by from then on; the caller is told the new date.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases import service
from hub.cases.access import CaseAction, require_case_action
from hub.cases.calendar import add_working_days
from hub.cases.deadlines import warn_at
from hub.cases.events import add_event
from hub.cases.models import Case, CaseExtension, Decision, WarningLevel
from hub.cases.returns import ReasonRequiredError
from hub.cases.rules import CaseTransition, next_status
from hub.errors import DomainError, ErrorCode, IllegalTransitionError, NotFoundError

# The longest extension the centre grants at once, beyond the current deadline.
MAX_EXTENSION_WORKING_DAYS = 15


class ExtensionTooLateError(DomainError):
    code = ErrorCode.EXTENSION_TOO_LATE


class InvalidExtensionError(DomainError):
    code = ErrorCode.INVALID_EXTENSION


async def request(
    *,
    session: AsyncSession,
    case: Case,
    until: dt.datetime,
    reason: str | None,
    actor: Actor,
    now: dt.datetime,
) -> CaseExtension:
    """Ask for a later resolve-by deadline, before the current one has passed."""
    require_case_action(actor, CaseAction.REQUEST_EXTENSION)
    own = await service.own_dispatch(session, case, actor)
    next_status(case.status, CaseTransition.REQUEST_EXTENSION)
    if reason is None or not reason.strip():
        raise ReasonRequiredError("an extension needs a reason", field="reason")
    deadline = case.resolve_by or now
    if now >= deadline:
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
    if await _pending(session, case) is not None:
        raise IllegalTransitionError(f"an extension of case {case.number} awaits review")
    row = CaseExtension(
        case_id=case.id,
        department_code=own.department_code,
        until=until.astimezone(dt.UTC),
        previous_deadline=deadline,
        reason=reason.strip(),
        requested_at=now,
        requested_by=actor.as_record(),
        decision=Decision.PENDING,
    )
    session.add(row)
    add_event(
        session,
        case,
        "EXTENSION_REQUESTED",
        actor,
        at=now,
        note=row.reason,
        data={"until": row.until.isoformat()},
    )
    return row


async def review(
    *,
    session: AsyncSession,
    case: Case,
    approve: bool,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> CaseExtension:
    """Approve (the deadline moves, the caller is told) or refuse the pending extension."""
    service.require_case_scope(actor, case, CaseAction.REVIEW_EXTENSION)
    next_status(case.status, CaseTransition.REVIEW_EXTENSION)
    pending = await _pending(session, case)
    if pending is None:
        raise NotFoundError(f"no extension of case {case.number} awaits review")
    pending.decided_at, pending.decided_by, pending.decision_note = now, actor.as_record(), note
    if not approve:
        pending.decision = Decision.REJECTED
        add_event(session, case, "EXTENSION_REFUSED", actor, at=now, note=note)
        return pending
    pending.decision = Decision.APPROVED
    case.resolve_by = pending.until
    case.warn_at = warn_at(case.reported_at, pending.until)
    # The clocks start again from the new deadline: warnings are raised anew against it.
    case.resolve_overdue = now > pending.until
    case.warning_level = WarningLevel.RED if case.resolve_overdue else WarningLevel.GREEN
    add_event(
        session,
        case,
        "EXTENSION_APPROVED",
        actor,
        at=now,
        note=note,
        data={"until": pending.until.isoformat(), "callerTold": True},
    )
    return pending


async def _pending(session: AsyncSession, case: Case) -> CaseExtension | None:
    found: CaseExtension | None = await session.scalar(
        select(CaseExtension).where(
            CaseExtension.case_id == case.id, CaseExtension.decision == Decision.PENDING
        )
    )
    return found
