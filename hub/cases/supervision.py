"""催办, 督办, 通报 and the graded warnings (红黄绿灯).

The centre urges a unit before the deadline; once overdue, a supervising platform issues a
supervision notice; if the order is still overdue three working days later, the sweeper makes
it a public notice (通报). The sweeper also raises the graded warnings (yellow at 80% of the
time gone, red when overdue) and chases units that have not signed for their orders in time —
each exactly once, by conditional writes, however many processes sweep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import SYSTEM, Actor
from hub.cases import service
from hub.cases.access import CaseAction
from hub.cases.calendar import add_working_days
from hub.cases.deadlines import NOTICE_AFTER_WORKING_DAYS
from hub.cases.events import timeline_of
from hub.cases.models import (
    _OPEN_UNRESOLVED,
    Case,
    CaseDispatch,
    CaseSupervision,
    DispatchRole,
    DispatchStatus,
    SupervisionKind,
    WarningLevel,
)
from hub.cases.rules import CaseTransition, next_status
from hub.db import JsonDoc, UTCDateTime
from hub.errors import DomainError, ErrorCode


class NotOverdueError(DomainError):
    code = ErrorCode.NOT_OVERDUE


class AlreadyOverdueError(DomainError):
    code = ErrorCode.ALREADY_OVERDUE


async def urge(
    *, session: AsyncSession, case: Case, note: str | None, actor: Actor, now: dt.datetime
) -> CaseSupervision:
    """催办: remind the lead unit before the deadline."""
    service.require_case_scope(actor, case, CaseAction.URGE)
    next_status(case.status, CaseTransition.URGE)
    if case.resolve_by is not None and now >= case.resolve_by:
        raise AlreadyOverdueError(
            f"case {case.number} is overdue: issue a supervision notice instead"
        )
    return await _record(session, case, SupervisionKind.URGE, note, actor, now, "URGED")


async def supervise(
    *, session: AsyncSession, case: Case, note: str | None, actor: Actor, now: dt.datetime
) -> CaseSupervision:
    """督办: a supervision notice on an overdue order; unheeded, it becomes a public notice."""
    service.require_case_scope(actor, case, CaseAction.SUPERVISE)
    next_status(case.status, CaseTransition.SUPERVISE)
    if case.resolve_by is None or now < case.resolve_by:
        raise NotOverdueError(f"case {case.number} is not overdue: urge it instead")
    row = await _record(session, case, SupervisionKind.SUPERVISE, note, actor, now, "SUPERVISED")
    row.notice_due = add_working_days(now, NOTICE_AFTER_WORKING_DAYS)
    return row


async def _record(
    session: AsyncSession,
    case: Case,
    kind: SupervisionKind,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
    event: str,
) -> CaseSupervision:
    lead = await session.scalar(
        select(CaseDispatch.department_code).where(
            CaseDispatch.case_id == case.id,
            CaseDispatch.role == DispatchRole.LEAD,
            CaseDispatch.status != DispatchStatus.WITHDRAWN,
        )
    )
    row = CaseSupervision(
        case_id=case.id,
        kind=kind,
        department_code=lead,
        note=note,
        at=now,
        actor=actor.as_record(),
    )
    session.add(row)
    timeline_of(session, case)(event, actor, at=now, note=note, data={"department": lead})
    return row


async def sweep_warnings(*, session: AsyncSession, now: dt.datetime) -> int:
    """Raise due warnings, chase unsigned orders and escalate unheeded notices, once each."""
    raised = await _raise(session, WarningLevel.RED, Case.resolve_by <= now, now)
    raised += await _raise(
        session, WarningLevel.YELLOW, and_(Case.warn_at <= now, Case.resolve_by > now), now
    )
    return raised + await _chase_unsigned(session, now) + await _public_notices(session, now)


_BELOW = {
    WarningLevel.RED: (WarningLevel.GREEN, WarningLevel.YELLOW),
    WarningLevel.YELLOW: (WarningLevel.GREEN,),
}


async def _raise(session: AsyncSession, level: WarningLevel, due: Any, now: dt.datetime) -> int:
    ids = list(
        await session.scalars(
            update(Case)
            .where(_OPEN_UNRESOLVED, Case.warning_level.in_(_BELOW[level]), due)
            .values(warning_level=level)
            .returning(Case.id)
            .execution_options(synchronize_session=False)
        )
    )
    _events(session, ((case_id, f"{level.value}_WARNING", None) for case_id in ids), now)
    return len(ids)


async def _chase_unsigned(session: AsyncSession, now: dt.datetime) -> int:
    rows = (
        await session.execute(
            update(CaseDispatch)
            .where(
                CaseDispatch.signed_at.is_(None),
                CaseDispatch.sign_overdue.is_(False),
                CaseDispatch.sign_by < now,
                CaseDispatch.status == DispatchStatus.DISPATCHED,
            )
            .values(sign_overdue=True)
            .returning(CaseDispatch.case_id, CaseDispatch.department_code)
            .execution_options(synchronize_session=False)
        )
    ).all()
    _events(
        session, ((case_id, "SIGN_OVERDUE", {"department": code}) for case_id, code in rows), now
    )
    return len(rows)


async def _public_notices(session: AsyncSession, now: dt.datetime) -> int:
    """通报 for orders still overdue when their supervision notice falls due."""
    notice = CaseSupervision.__table__
    source = (
        select(
            CaseSupervision.case_id,
            func.min(CaseSupervision.department_code),
            literal(SupervisionKind.NOTICE.value),
            literal(now, UTCDateTime()),
            literal(SYSTEM.as_record(), JsonDoc),
        )
        .join(Case, Case.id == CaseSupervision.case_id)
        .where(
            CaseSupervision.kind == SupervisionKind.SUPERVISE,
            CaseSupervision.notice_due <= now,
            _OPEN_UNRESOLVED,
            Case.resolve_by <= now,
            ~exists().where(notice.c.case_id == CaseSupervision.case_id, notice.c.kind == "NOTICE"),
        )
        .group_by(CaseSupervision.case_id)
    )
    connection = await session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(notice)
        .from_select(["case_id", "department_code", "kind", "at", "actor"], source)
        .on_conflict_do_nothing()
        .returning(notice.c.case_id, notice.c.department_code)
    )
    rows = (await session.execute(statement)).all()
    _events(
        session, ((case_id, "PUBLIC_NOTICE", {"department": code}) for case_id, code in rows), now
    )
    return len(rows)


def _events(
    session: AsyncSession,
    rows: Iterable[tuple[int, str, dict[str, Any] | None]],
    now: dt.datetime,
) -> None:
    for case_id, kind, data in rows:
        timeline_of(session, case_id)(kind, SYSTEM, at=now, data=data)
