"""合并, 不予受理 and 办结审核: merge duplicates, decline, and review a unit's reply.

Duplicates of one problem merge into a main order: each keeps its number and its caller (who
still gets a return call) and follows the main order's outcome; the rates count the problem
once, through the main order. A declined request counts against no one. The centre reviews a
resolved order before it is archived: approved, it closes; rejected, the units work on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases import service
from hub.cases.access import CaseAction
from hub.cases.events import timeline_of
from hub.cases.models import Case, CaseDispatch, DispatchStatus
from hub.cases.returns import ReasonRequiredError
from hub.cases.rules import CaseTransition, next_status
from hub.errors import DomainError, ErrorCode, IllegalTransitionError


class CrossDistrictMergeError(DomainError):
    code = ErrorCode.CROSS_DISTRICT_MERGE


async def merge(
    *,
    session: AsyncSession,
    main: Case,
    duplicates: Sequence[Case],
    actor: Actor,
    now: dt.datetime,
) -> None:
    """Merge ``duplicates`` into ``main`` (within one district); their units stand down."""
    service.require_case_scope(actor, main, CaseAction.MERGE)
    next_status(main.status, CaseTransition.ABSORB)
    if not duplicates:
        raise IllegalTransitionError("name at least one duplicate", field="duplicateNumbers")
    for duplicate in duplicates:
        service.require_case_scope(actor, duplicate, CaseAction.MERGE)
        if duplicate.id == main.id:
            raise IllegalTransitionError(
                "a case is no duplicate of itself", field="duplicateNumbers"
            )
        if duplicate.district_code != main.district_code:
            raise CrossDistrictMergeError(
                f"case {duplicate.number} lies in another district than {main.number}",
                field="duplicateNumbers",
            )
        duplicate.status = next_status(duplicate.status, CaseTransition.MERGE)
        duplicate.merged_into_id, duplicate.updated_at = main.id, now
        await _stand_down(session, duplicate)
        timeline_of(session, duplicate)("MERGED", actor, at=now, data={"mainOrder": main.number})
    # Duplicates merged earlier into a duplicate follow the new main order.
    await session.execute(
        update(Case)
        .where(Case.merged_into_id.in_([d.id for d in duplicates]))
        .values(merged_into_id=main.id)
        .execution_options(synchronize_session=False)
    )
    main.updated_at = now
    timeline_of(session, main)(
        "DUPLICATES_MERGED",
        actor,
        at=now,
        data={"duplicates": [d.number for d in duplicates]},
    )


async def _stand_down(session: AsyncSession, case: Case) -> None:
    await session.execute(
        update(CaseDispatch)
        .where(CaseDispatch.case_id == case.id)
        .values(status=DispatchStatus.WITHDRAWN)
        .execution_options(synchronize_session=False)
    )


async def decline(
    *, session: AsyncSession, case: Case, reason: str | None, actor: Actor, now: dt.datetime
) -> None:
    """不予受理: out of scope or abusive; it counts against no unit."""
    service.require_case_scope(actor, case, CaseAction.DECLINE)
    if reason is None or not reason.strip():
        raise ReasonRequiredError("a declined request needs a reason", field="reason")
    case.status = next_status(case.status, CaseTransition.DECLINE)
    case.decline_reason, case.updated_at = reason.strip(), now
    await _stand_down(session, case)
    timeline_of(session, case)("DECLINED", actor, at=now, note=case.decline_reason)


async def review_closure(
    *,
    session: AsyncSession,
    case: Case,
    approve: bool,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> None:
    """办结审核: approve the reply and archive the order, or send it back to the units."""
    service.require_case_scope(actor, case, CaseAction.REVIEW_CLOSURE)
    if approve:
        case.status = next_status(case.status, CaseTransition.APPROVE_CLOSURE)
        case.closed_at = case.updated_at = now
        timeline_of(session, case)("CLOSURE_APPROVED", actor, at=now, note=note)
        return
    if note is None or not note.strip():
        raise ReasonRequiredError("say what the reply lacks", field="note")
    case.status = next_status(case.status, CaseTransition.REJECT_CLOSURE)
    case.updated_at = now
    await service.reopen_dispatches(session, case)
    timeline_of(session, case)("CLOSURE_REJECTED", actor, at=now, note=note)


async def duplicates_of(session: AsyncSession, case: Case) -> list[Case]:
    rows = await session.scalars(
        select(Case).where(Case.merged_into_id == case.id).order_by(Case.id)
    )
    return list(rows)
