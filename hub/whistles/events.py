"""A whistle's timeline: every step is an event written in the step's own transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.whistles.models import Summons, Whistle, WhistleEvent


def add_event(
    session: AsyncSession,
    whistle: Whistle,
    type_: str,
    actor: Actor,
    *,
    at: dt.datetime,
    summons: Summons | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> WhistleEvent:
    event = WhistleEvent(
        whistle_id=whistle.id,
        summons_id=summons.id if summons is not None else None,
        type=type_,
        at=at,
        actor=actor.as_record(),
        note=note,
        data=data,
    )
    session.add(event)
    return event
