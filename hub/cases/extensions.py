"""延期: a unit asks before its deadline to move it; the centre approves or refuses.

An approved extension moves the resolve-by deadline, which is what overdue, the graded warnings
and the assessment are judged by from then on; the caller is told the new date.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases import lifecycle, service
from hub.cases.access import CaseAction, require_case_action
from hub.cases.events import act_on
from hub.cases.lifecycle import (
    MAX_EXTENSION_WORKING_DAYS,
    ExtensionTooLateError,
    InvalidExtensionError,
)
from hub.cases.models import Case, CaseExtension, Decision
from hub.cases.rules import CaseTransition, next_status
from hub.errors import NotFoundError

__all__ = [
    "MAX_EXTENSION_WORKING_DAYS",
    "ExtensionTooLateError",
    "InvalidExtensionError",
    "request",
    "review",
]


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
    fields = lifecycle.extension_requested(
        case,
        own,
        until=until,
        reason=reason,
        pending=await _pending(session, case) is not None,
        act=act_on(session, case, actor, now),
    )
    row = CaseExtension(case_id=case.id, **fields)
    session.add(row)
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
    lifecycle.extension_reviewed(
        case,
        pending,
        approve=approve,
        note=note,
        act=act_on(session, case, actor, now),
    )
    return pending


async def _pending(session: AsyncSession, case: Case) -> CaseExtension | None:
    found: CaseExtension | None = await session.scalar(
        select(CaseExtension).where(
            CaseExtension.case_id == case.id, CaseExtension.decision == Decision.PENDING
        )
    )
    return found
