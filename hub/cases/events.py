"""A case's timeline: every change is an event written in the change's own transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases.lifecycle import Timeline
from hub.cases.models import Case, CaseEvent


def timeline_of(session: AsyncSession, case: Case) -> Timeline:
    """The case's timeline in the session, for ``hub.cases.lifecycle``'s steps."""
    return Timeline(lambda fields: session.add(CaseEvent(case_id=case.id, **fields)))


def add_event(
    session: AsyncSession,
    case: Case,
    type_: str,
    actor: Actor,
    *,
    at: dt.datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """One event on the case's timeline, for a step outside ``hub.cases.lifecycle``."""
    timeline_of(session, case)(type_, actor, at=at, note=note, data=data)
