"""A case's timeline: every change is an event written in the change's own transaction.

``timeline_of`` is the one way a step on a case in the session writes its events (the batch
intake gives ``states.Timeline`` its own list of rows): a step calls it, or hands it to a
``hub.cases.lifecycle`` step as part of its ``act_on``, and never builds a ``CaseEvent`` itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases.models import Case, CaseEvent
from hub.cases.states import Act, Timeline


def timeline_of(session: AsyncSession, case: Case | int) -> Timeline:
    """The case's timeline in the session; ``case`` by its id where only that is at hand (a
    sweep's flagged rows, a main order's duplicates)."""

    def write(fields: dict[str, object]) -> None:
        case_id = case if isinstance(case, int) else case.id
        session.add(CaseEvent(case_id=case_id, **fields))

    return Timeline(write)


def act_on(session: AsyncSession, case: Case, actor: Actor, now: dt.datetime) -> Act:
    """A lifecycle step on ``case`` by ``actor`` at ``now``, its events in the session."""
    return Act(actor, now, timeline_of(session, case))
