"""The case lifecycle after intake: dispatch, respond, resolve, return call, close, overdue.

Every function takes the caller's session and never commits: one GraphQL mutation or one
adapter batch owns the transaction. Each change goes through ``rules.next_status`` and adds
an event to the case's timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import SYSTEM, Actor, Role
from hub.auth.policy import PermissionDeniedError, within_scope
from hub.cases import lifecycle
from hub.cases.access import CaseAction, may_see_case, require_case_action, summoned
from hub.cases.events import act_on, timeline_of
from hub.cases.lifecycle import assign, leader
from hub.cases.models import (
    Case,
    CaseDispatch,
    CaseJurisdiction,
    CaseStatus,
    DispatchStatus,
)
from hub.departments.models import Department
from hub.errors import IllegalTransitionError, NotFoundError, UnknownDepartmentError


async def get_for_actor(
    *, session: AsyncSession, number: str, actor: Actor, for_update: bool = False
) -> Case:
    """The case, if the actor may see it; otherwise NOT_FOUND (existence is not revealed)."""
    query = select(Case).where(Case.number == number)
    if for_update:
        query = query.with_for_update()
    case = await session.scalar(query)
    if case is None:
        raise NotFoundError(f"no case {number!r}", field="caseNumber")
    crossed, dispatched = await crossed_of(session, case), await dispatched_to(session, case)
    if may_see_case(actor, case, crossed, dispatched):
        return case
    # A department a whistle on the case summoned reads it, but acts on what it is dispatched.
    seen_by = await summoned(session=session, codes=[case.id])
    if may_see_case(actor, case, crossed, dispatched, seen_by.get(case.id, [])):
        raise PermissionDeniedError(
            f"case {number!r} is not dispatched to your department", field="caseNumber"
        )
    raise NotFoundError(f"no case {number!r}", field="caseNumber")


async def readable_by(*, session: AsyncSession, case: Case, actor: Actor) -> bool:
    """Whether the actor may read the case (a summoning whistle's departments included)."""
    crossed, dispatched = await crossed_of(session, case), await dispatched_to(session, case)
    seen_by = await summoned(session=session, codes=[case.id])
    return may_see_case(actor, case, crossed, dispatched, seen_by.get(case.id, []))


async def crossed_of(session: AsyncSession, case: Case) -> list[str]:
    rows = await session.scalars(
        select(CaseJurisdiction.subdistrict_code).where(CaseJurisdiction.case_id == case.id)
    )
    return list(rows)


async def dispatched_to(session: AsyncSession, case: Case) -> list[str]:
    rows = await session.scalars(
        select(CaseDispatch.department_code).where(CaseDispatch.case_id == case.id)
    )
    return list(rows)


def require_case_scope(actor: Actor, case: Case, action: CaseAction) -> None:
    """Street offices and district platforms act only on cases of their own area."""
    require_case_action(actor, action)
    if actor.role in (Role.STREET_OFFICE, Role.DISTRICT_PLATFORM) and not within_scope(
        actor, case.subdistrict_code
    ):
        raise PermissionDeniedError(f"case {case.number} is not in your jurisdiction")


async def dispatch(
    *,
    session: AsyncSession,
    case: Case,
    department_codes: Sequence[str],
    note: str | None,
    actor: Actor,
    now: dt.datetime,
    lead: str | None = None,
) -> list[CaseDispatch]:
    """Send the case to one or several departments at once (双派单: dual dispatch).

    One unit leads (主办) and answers for the order, the others assist (协办): the lead is
    ``lead`` if named, else the first unit sent while the case has no lead.
    """
    require_case_scope(actor, case, CaseAction.DISPATCH)
    dispatches = await send(
        session=session,
        case=case,
        department_codes=department_codes,
        lead=lead,
        now=now,
        note=note,
    )
    lifecycle.dispatched(case, dispatches, note=note, act=act_on(session, case, actor, now))
    return dispatches


async def send(
    *,
    session: AsyncSession,
    case: Case,
    department_codes: Sequence[str],
    lead: str | None,
    now: dt.datetime,
    note: str | None,
) -> list[CaseDispatch]:
    """The dispatch rows for units not already working on the case (a withdrawn one returns)."""
    codes = list(dict.fromkeys(department_codes))
    if not codes:
        raise UnknownDepartmentError("name at least one department", field="departmentCodes")
    if lead is not None and lead not in codes:
        raise UnknownDepartmentError(
            "the lead unit must be one of those sent", field="leadDepartmentCode"
        )
    known = set(await session.scalars(select(Department.code).where(Department.code.in_(codes))))
    if missing := [code for code in codes if code not in known]:
        raise UnknownDepartmentError(f"no department {', '.join(missing)}", field="departmentCodes")
    rows = {row.department_code: row for row in await dispatches_of(session, case)}
    fresh = [
        code for code in codes if code not in rows or rows[code].status is DispatchStatus.WITHDRAWN
    ]
    if not fresh:
        raise IllegalTransitionError(f"case {case.number} is already with {', '.join(codes)}")
    leads = leader(case, rows.values(), fresh, lead)
    sent = []
    for code in fresh:
        row = rows.get(code) or CaseDispatch(case_id=case.id, department_code=code)
        assign(row, leads=code == leads, note=note, now=now)
        sent.append(row)
    session.add_all(sent)
    return sent


async def dispatches_of(session: AsyncSession, case: Case) -> list[CaseDispatch]:
    rows = await session.scalars(
        select(CaseDispatch).where(CaseDispatch.case_id == case.id).order_by(CaseDispatch.id)
    )
    return list(rows)


async def _own_dispatch(session: AsyncSession, case: Case, actor: Actor) -> CaseDispatch | None:
    """A department acts through its own dispatch only; others act for the whole case."""
    if actor.role is not Role.DEPARTMENT:
        return None
    found = await session.scalar(
        select(CaseDispatch).where(
            CaseDispatch.case_id == case.id, CaseDispatch.department_code == actor.department_code
        )
    )
    if found is None or found.status is DispatchStatus.WITHDRAWN:
        raise PermissionDeniedError(f"case {case.number} was not dispatched to your department")
    if found.status is DispatchStatus.RETURNED:
        raise IllegalTransitionError(
            f"your return of case {case.number} awaits the dispatcher's review"
        )
    return found


async def own_dispatch(session: AsyncSession, case: Case, actor: Actor) -> CaseDispatch:
    """The acting department's own dispatch of the case (FORBIDDEN if it has none)."""
    found = await _own_dispatch(session, case, actor)
    if found is None:
        raise PermissionDeniedError("only the unit the case was dispatched to may do that")
    return found


async def respond(
    *, session: AsyncSession, case: Case, note: str | None, actor: Actor, now: dt.datetime
) -> None:
    """The department's first reply to the caller (响应)."""
    require_case_scope(actor, case, CaseAction.RESPOND)
    own = await _own_dispatch(session, case, actor)
    lifecycle.responded(case, own, note=note, act=act_on(session, case, actor, now))


async def resolve(
    *, session: AsyncSession, case: Case, note: str | None, actor: Actor, now: dt.datetime
) -> None:
    """The problem is solved (办结); an assisting unit's part is done without closing the order."""
    require_case_scope(actor, case, CaseAction.RESOLVE)
    own = await _own_dispatch(session, case, actor)
    lifecycle.resolved(case, own, note=note, act=act_on(session, case, actor, now))


async def record_feedback(
    *,
    session: AsyncSession,
    case: Case,
    resolved: bool,
    satisfied: bool | None,
    comment: str | None,
    actor: Actor,
    now: dt.datetime,
) -> None:
    """The hotline's return call (回访); "not solved" reopens the case with its departments."""
    require_case_action(actor, CaseAction.FEEDBACK)
    if case.status is CaseStatus.MERGED:
        # A duplicate's caller gets a return call too, once the main order is resolved.
        await _merged_feedback(session, case, resolved, satisfied, comment, actor, now)
        return
    dispatches = await dispatches_of(session, case) if not resolved else []
    lifecycle.feedback(
        case,
        dispatches,
        resolved=resolved,
        satisfied=satisfied,
        comment=comment,
        act=act_on(session, case, actor, now),
    )
    if not resolved:
        await _tell_duplicates(session, case, actor, now)


async def reopen_dispatches(session: AsyncSession, case: Case) -> None:
    """Back to work: the case's resolution is undone for every unit still on it."""
    lifecycle.reopen(case, await dispatches_of(session, case))


async def _merged_feedback(
    session: AsyncSession,
    case: Case,
    resolved: bool,
    satisfied: bool | None,
    comment: str | None,
    actor: Actor,
    now: dt.datetime,
) -> None:
    """A duplicate's caller is called back once per resolution of the main order; "not
    solved" reopens the main order, as its own caller's answer would (a closed one stays
    closed: it was reviewed and archived, the answer is on record)."""
    main = (
        await session.get(Case, case.merged_into_id, with_for_update=True)
        if case.merged_into_id
        else None
    )
    if main is None or main.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise IllegalTransitionError(
            f"case {case.number} follows its main order, which is not resolved yet"
        )
    if case.feedback_at is not None and main.resolved_at and case.feedback_at >= main.resolved_at:
        raise IllegalTransitionError(
            f"the caller of case {case.number} was called back on this resolution already"
        )
    case.feedback_resolved, case.feedback_satisfied = resolved, satisfied
    case.feedback_comment, case.feedback_at = comment, now
    reopens = not resolved and main.status is CaseStatus.RESOLVED
    timeline_of(session, case)(
        "FEEDBACK_RECORDED",
        actor,
        at=now,
        note=comment,
        data={
            "resolved": resolved,
            "satisfied": satisfied,
            "mainOrder": main.number,
            "mainReopened": reopens,
        },
    )
    if reopens:
        lifecycle.reopened(
            main,
            await dispatches_of(session, main),
            act=act_on(session, main, actor, now),
            duplicate=case.number,
        )
        await _tell_duplicates(session, main, actor, now)


async def _tell_duplicates(
    session: AsyncSession, main: Case, actor: Actor, now: dt.datetime
) -> None:
    """The main order was reopened: each duplicate's timeline says so; its caller is called
    back again once the main order is resolved again."""
    duplicates = await session.scalars(select(Case.id).where(Case.merged_into_id == main.id))
    for case_id in duplicates:
        timeline_of(session, case_id)(
            "MAIN_ORDER_REOPENED", actor, at=now, data={"mainOrder": main.number}
        )


async def close(
    *, session: AsyncSession, case: Case, note: str | None, actor: Actor, now: dt.datetime
) -> None:
    require_case_scope(actor, case, CaseAction.CLOSE)
    lifecycle.closed(case, note=note, act=act_on(session, case, actor, now))


async def sweep_overdue(*, session: AsyncSession, now: dt.datetime) -> int:
    """Flag cases past their deadlines, exactly once each, whichever process sweeps.

    The flag is set by a conditional UPDATE … RETURNING: concurrent sweepers serialise on the
    rows, and only the transaction that flipped a flag writes its event.
    """
    flagged = 0
    for flag, deadline, done, event in (
        (Case.respond_overdue, Case.respond_by, Case.responded_at, "RESPOND_OVERDUE"),
        (Case.resolve_overdue, Case.resolve_by, Case.resolved_at, "RESOLVE_OVERDUE"),
    ):
        ids = list(
            await session.scalars(
                update(Case)
                .where(
                    flag.is_(False),
                    deadline < now,
                    done.is_(None),
                    Case.closed_at.is_(None),
                    Case.status.notin_((CaseStatus.DECLINED, CaseStatus.MERGED)),
                )
                .values({flag: True})
                .returning(Case.id)
            )
        )
        for case_id in ids:
            timeline_of(session, case_id)(event, SYSTEM, at=now)
        flagged += len(ids)
    return flagged


class CaseStep(Protocol):
    """respond, resolve and close share this shape."""

    async def __call__(
        self,
        *,
        session: AsyncSession,
        case: Case,
        note: str | None,
        actor: Actor,
        now: dt.datetime,
    ) -> None: ...
