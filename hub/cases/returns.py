"""签收 and 退单: a unit signs for its dispatch or returns it; the dispatcher rules on the return.

A return names a standard reason. The dispatcher accepts it (the dispatch is withdrawn, and the
order goes at once to the units named in ``redispatch_to``, counted as repeat dispatches) or
rejects it: that ruling (审定) fixes the unit as responsible, and it may not return the order
again, so orders stop bouncing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases import lifecycle, service
from hub.cases.access import CaseAction, require_case_action
from hub.cases.events import act_on, timeline_of
from hub.cases.lifecycle import ReasonRequiredError, ReturnRuledError
from hub.cases.models import (
    Case,
    CaseDispatch,
    CaseReturn,
    Decision,
    DispatchRole,
    DispatchStatus,
    ReturnReason,
)
from hub.cases.rules import (
    CaseTransition,
    DispatchTransition,
    next_dispatch_status,
    next_status,
)
from hub.errors import IllegalTransitionError, NotFoundError

__all__ = ["ReasonRequiredError", "ReturnRuledError", "return_dispatch", "review_return", "sign"]


async def sign(*, session: AsyncSession, case: Case, actor: Actor, now: dt.datetime) -> None:
    """签收: the unit takes the order on (within one working day of its dispatch)."""
    require_case_action(actor, CaseAction.SIGN)
    own = await service.own_dispatch(session, case, actor)
    lifecycle.signed(case, own, act_on(session, case, actor, now))


async def return_dispatch(
    *,
    session: AsyncSession,
    case: Case,
    reason: ReturnReason | None,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> CaseReturn:
    """退单: the unit hands its dispatch back with a standard reason and an explanation."""
    require_case_action(actor, CaseAction.RETURN)
    own = await service.own_dispatch(session, case, actor)
    fields = lifecycle.returned(
        case,
        own,
        reason=reason,
        note=note,
        act=act_on(session, case, actor, now),
    )
    row = CaseReturn(case_id=case.id, **fields)
    session.add(row)
    return row


async def review_return(
    *,
    session: AsyncSession,
    case: Case,
    department_code: str,
    approve: bool,
    redispatch_to: Sequence[str],
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> CaseReturn:
    """The dispatcher accepts a return (and re-dispatches at once) or rules it down (审定)."""
    service.require_case_scope(actor, case, CaseAction.REVIEW_RETURN)
    pending = await _pending(session, case, department_code)
    dispatch = await session.scalar(
        select(CaseDispatch).where(
            CaseDispatch.case_id == case.id, CaseDispatch.department_code == department_code
        )
    )
    assert dispatch is not None
    next_status(case.status, CaseTransition.REVIEW_RETURN)
    pending.decided_at, pending.decided_by, pending.decision_note = now, actor.as_record(), note
    if not approve:
        if redispatch_to:
            raise IllegalTransitionError(
                "a rejected return keeps the unit; name no one to re-dispatch to",
                field="redispatchTo",
            )
        pending.decision = Decision.REJECTED
        dispatch.status = next_dispatch_status(dispatch.status, DispatchTransition.REJECT_RETURN)
        dispatch.ruled = True
        timeline_of(session, case)(
            "RETURN_REJECTED",
            actor,
            at=now,
            note=note,
            data={"department": department_code},
        )
        return pending
    pending.decision = Decision.APPROVED
    dispatch.status = next_dispatch_status(dispatch.status, DispatchTransition.ACCEPT_RETURN)
    timeline_of(session, case)(
        "RETURN_APPROVED",
        actor,
        at=now,
        note=note,
        data={"department": department_code, "redispatchTo": list(redispatch_to)},
    )
    await _after_withdrawal(session, case, dispatch, redispatch_to, note, actor, now)
    pending.redispatched_to = list(redispatch_to) or None
    return pending


async def _pending(session: AsyncSession, case: Case, department_code: str) -> CaseReturn:
    found = await session.scalar(
        select(CaseReturn).where(
            CaseReturn.case_id == case.id,
            CaseReturn.department_code == department_code,
            CaseReturn.decision == Decision.PENDING,
        )
    )
    if found is None:
        raise NotFoundError(
            f"no return of case {case.number} by {department_code} awaits review",
            field="departmentCode",
        )
    return found


async def _after_withdrawal(
    session: AsyncSession,
    case: Case,
    withdrawn: CaseDispatch,
    redispatch_to: Sequence[str],
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> None:
    """Re-dispatch (转派) at once; a withdrawn lead hands the lead on; no unit left: RECEIVED."""
    await session.flush()
    if redispatch_to:
        lead = redispatch_to[0] if withdrawn.role is DispatchRole.LEAD else None
        sent = await service.send(
            session=session,
            case=case,
            department_codes=redispatch_to,
            lead=lead,
            now=now,
            note=note,
        )
        case.redispatch_count += len(sent)
        timeline_of(session, case)(
            "DISPATCHED",
            actor,
            at=now,
            note=note,
            data={**lifecycle.sent_record(sent), "redispatch": True},
        )
        return
    active = [
        row
        for row in await service.dispatches_of(session, case)
        if row.status is not DispatchStatus.WITHDRAWN
    ]
    if not active:
        case.status = next_status(case.status, CaseTransition.RECALL)
        return
    if withdrawn.role is DispatchRole.LEAD:
        active[0].role = DispatchRole.LEAD
