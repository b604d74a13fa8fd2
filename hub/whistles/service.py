"""The whistle's own steps: review, joint action, resolve, evaluate, close, escalate, sweep.

Every function takes the caller's session and never commits: one GraphQL mutation (or one
demo story) owns the transaction. Each change goes through ``rules`` and adds an event to the
whistle's timeline. The summoned parties' own steps are in ``reporting``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import SYSTEM, Actor
from hub.errors import (
    DomainError,
    ErrorCode,
    IllegalTransitionError,
    InvalidInputError,
    NotFoundError,
)
from hub.whistles.access import (
    require_caller,
    require_direction,
    require_escalation,
    require_review,
    whistle_visibility,
)
from hub.whistles.events import add_event
from hub.whistles.intake import optional_text, required_text, summon
from hub.whistles.models import Summons, SummonsStatus, Whistle, WhistleEvent, WhistleStatus
from hub.whistles.rules import (
    ESCALATION_LEVELS,
    TOP_ESCALATION,
    WhistleTransition,
    needs_review,
    next_status,
)

ACTIVE = (WhistleStatus.SUMMONING, WhistleStatus.IN_ACTION)


class PartiesOutstandingError(DomainError):
    """事不绝、人不撤: people do not withdraw until the matter is done."""

    code = ErrorCode.PARTIES_OUTSTANDING


class NotEvaluatedError(DomainError):
    code = ErrorCode.NOT_EVALUATED


@dataclass(frozen=True, slots=True)
class Rating:
    summons_id: int
    score: int
    comment: str | None = None


async def get_for_actor(
    *, session: AsyncSession, number: str, actor: Actor, for_update: bool = False
) -> Whistle:
    """The whistle, if the actor may see it; otherwise NOT_FOUND (existence is not revealed)."""
    query = select(Whistle).where(Whistle.number == number, whistle_visibility(actor))
    whistle = await session.scalar(query.with_for_update() if for_update else query)
    if whistle is None:
        raise NotFoundError(f"no whistle {number!r}", field="whistleNumber")
    return whistle


async def summons_of(session: AsyncSession, whistle: Whistle) -> list[Summons]:
    """Every party of the whistle, locked: the whistle's lock is always taken first."""
    rows = await session.scalars(
        select(Summons)
        .where(Summons.whistle_id == whistle.id)
        .order_by(Summons.id)
        .with_for_update()
    )
    return list(rows)


def label(summons: Summons) -> str:
    return summons.department_code or summons.partner_code or str(summons.id)


def move(whistle: Whistle, transition: WhistleTransition, now: dt.datetime) -> None:
    whistle.status = next_status(whistle.status, transition)
    whistle.updated_at = now


def _party(parties: Sequence[Summons], summons_id: int, field: str) -> Summons:
    found = next((one for one in parties if one.id == summons_id), None)
    if found is None:
        raise NotFoundError(f"no summons {summons_id} on this whistle", field=field)
    return found


async def review(
    *,
    session: AsyncSession,
    whistle: Whistle,
    approve: bool,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> None:
    """The platform above accepts (联审、立项、派发) or rejects with a reason."""
    require_review(actor, whistle)
    if not needs_review(whistle.scope):
        raise IllegalTransitionError(f"a {whistle.scope} whistle needs no review")
    if whistle.reviewed_at is not None:
        raise IllegalTransitionError(f"whistle {whistle.number} has been reviewed already")
    text = optional_text(note, "note") if approve else required_text(note, "note")
    pending = whistle.status is WhistleStatus.PENDING_REVIEW
    move(whistle, WhistleTransition.APPROVE if approve else WhistleTransition.REJECT, now)
    whistle.reviewed_at, whistle.review_note = now, text
    add_event(session, whistle, "APPROVED" if approve else "REJECTED", actor, at=now, note=text)
    if approve and pending:
        summon(session, whistle, await summons_of(session, whistle), actor, now)


async def schedule_joint_action(
    *,
    session: AsyncSession,
    whistle: Whistle,
    at: dt.datetime,
    place: str,
    assignments: Sequence[tuple[int, str]],
    actor: Actor,
    now: dt.datetime,
) -> None:
    """Fix time, place and division of labour (联合行动); may be rescheduled."""
    require_direction(actor, whistle)
    where = required_text(place, "place")
    move(whistle, WhistleTransition.ACT, now)
    parties = await summons_of(session, whistle)
    tasks = {
        _party(parties, summons_id, "assignments").id: required_text(task, "task")
        for summons_id, task in assignments
    }
    for one in parties:
        one.task = tasks.get(one.id, one.task)
    whistle.action_at, whistle.action_place = at.astimezone(dt.UTC), where
    add_event(
        session,
        whistle,
        "JOINT_ACTION_SCHEDULED",
        actor,
        at=now,
        note=where,
        data={"at": at.isoformat(), "tasks": {str(key): task for key, task in tasks.items()}},
    )


async def resolve(
    *,
    session: AsyncSession,
    whistle: Whistle,
    note: str | None,
    releases: Sequence[tuple[int, str]],
    actor: Actor,
    now: dt.datetime,
) -> None:
    """The matter is done; a party not done must be released with a reason (事不绝、人不撤)."""
    require_direction(actor, whistle)
    resolved = next_status(whistle.status, WhistleTransition.RESOLVE)
    parties = await summons_of(session, whistle)
    released = {
        _party(parties, summons_id, "releases").id: required_text(reason, "reason")
        for summons_id, reason in releases
    }
    not_done = [one for one in parties if one.status is not SummonsStatus.DONE]
    if done := [label(one) for one in parties if one.id in released and one not in not_done]:
        raise InvalidInputError(f"{', '.join(done)} has completed already", field="releases")
    if outstanding := [label(one) for one in not_done if one.id not in released]:
        raise PartiesOutstandingError(
            f"people do not withdraw until the matter is done: {', '.join(outstanding)} "
            "has not completed; release it with a reason",
            field="releases",
        )
    for one in not_done:
        add_event(
            session, whistle, "SUMMONS_RELEASED", actor, at=now, summons=one, note=released[one.id]
        )
    whistle.status, whistle.updated_at = resolved, now
    whistle.resolved_at = now
    whistle.release_reason = "; ".join(released.values()) or None
    add_event(session, whistle, "RESOLVED", actor, at=now, note=optional_text(note, "note"))


async def evaluate(
    *,
    session: AsyncSession,
    whistle: Whistle,
    ratings: Sequence[Rating],
    actor: Actor,
    now: dt.datetime,
) -> None:
    """The caller rates how each party reported (评价监督), 1 to 5, once the matter is resolved."""
    require_caller(actor, whistle)
    move(whistle, WhistleTransition.EVALUATE, now)
    if not ratings:
        raise InvalidInputError("rate at least one summoned party", field="ratings")
    parties = await summons_of(session, whistle)
    for rating in ratings:
        one = _party(parties, rating.summons_id, "ratings")
        if not 1 <= rating.score <= 5:
            raise InvalidInputError("a score lies between 1 and 5", field="ratings")
        one.rating_score = rating.score
        one.rating_comment = optional_text(rating.comment, "comment")
        add_event(
            session,
            whistle,
            "RATED",
            actor,
            at=now,
            summons=one,
            note=one.rating_comment,
            data={"score": rating.score},
        )


async def close(
    *, session: AsyncSession, whistle: Whistle, feedback: str, actor: Actor, now: dt.datetime
) -> None:
    """Feed the result back (结果反馈) and close; every department that completed must be rated.

    The street assesses the departments' staff it summoned; a partner street office it worked
    with is not under its assessment, so rating one is allowed but not required."""
    require_caller(actor, whistle)
    closed = next_status(whistle.status, WhistleTransition.CLOSE)
    text = required_text(feedback, "feedback")
    parties = await summons_of(session, whistle)
    unrated = [
        label(one)
        for one in parties
        if one.status is SummonsStatus.DONE
        and one.department_code is not None
        and one.rating_score is None
    ]
    if unrated:
        raise NotEvaluatedError(f"rate {', '.join(unrated)} before closing", field="ratings")
    whistle.status, whistle.updated_at = closed, now
    whistle.feedback, whistle.closed_at = text, now
    add_event(session, whistle, "CLOSED", actor, at=now, note=text)


async def escalate(
    *, session: AsyncSession, whistle: Whistle, reason: str, actor: Actor, now: dt.datetime
) -> None:
    """Raise the whistle one level: street → district platform → city platform."""
    require_escalation(actor, whistle)
    text = required_text(reason, "reason")
    move(whistle, WhistleTransition.ESCALATE, now)
    _raise_level(session, whistle, actor, now, text)


def _raise_level(
    session: AsyncSession, whistle: Whistle, actor: Actor, now: dt.datetime, note: str
) -> None:
    if whistle.escalation_level >= TOP_ESCALATION:
        raise IllegalTransitionError(f"whistle {whistle.number} is with the city platform already")
    whistle.escalation_level += 1
    whistle.updated_at = now
    level = whistle.escalation_level
    add_event(
        session,
        whistle,
        "ESCALATED",
        actor,
        at=now,
        note=note,
        data={"level": level, "to": ESCALATION_LEVELS[level]},
    )


def _due(now: dt.datetime) -> list[Any]:
    """Summons sent, not on site, past their report-by, not yet flagged."""
    return [
        Summons.overdue.is_(False),
        Summons.arrived_at.is_(None),
        Summons.report_by < now,
    ]


async def sweep_overdue(*, session: AsyncSession, now: dt.datetime) -> int:
    """Flag summons not on site by their report-by, and escalate their whistles one level.

    Exactly once whichever process sweeps: the whistles are locked first (in id order, as
    every mutation does), then the flag is set by a conditional UPDATE … RETURNING, and only
    the transaction that flipped a flag writes its events and raises the level. Returns the
    number of summons flagged.
    """
    candidates = select(Summons.whistle_id).where(*_due(now))
    whistles = list(
        await session.scalars(
            select(Whistle)
            .where(Whistle.id.in_(candidates), Whistle.status.in_(ACTIVE))
            .order_by(Whistle.id)
            .with_for_update()
        )
    )
    if not whistles:
        return 0
    flagged = (
        await session.execute(
            update(Summons)
            .where(*_due(now), Summons.whistle_id.in_([w.id for w in whistles]))
            .values(overdue=True)
            .returning(Summons.id, Summons.whistle_id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    late = {whistle_id for _, whistle_id in flagged}
    session.add_all(
        WhistleEvent(
            whistle_id=whistle_id,
            summons_id=summons_id,
            type="SUMMONS_OVERDUE",
            at=now,
            actor=SYSTEM.as_record(),
            note="not on site by the report-by time",
        )
        for summons_id, whistle_id in sorted(flagged)
    )
    for whistle in whistles:
        if whistle.id in late and whistle.escalation_level < TOP_ESCALATION:
            _raise_level(session, whistle, SYSTEM, now, "a summoned party is overdue")
    return len(flagged)
