"""The summoned parties' steps (部门报到): acknowledge, report in on site, complete, join.

A department acts on its own summons only; a partner street office on its own, and it may
bring its own district's departments (joinWhistle). The whistle's row is locked before its
summons, as everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import SYSTEM, Actor
from hub.errors import IllegalTransitionError, InvalidInputError, NotFoundError
from hub.geo.index import GeoIndex
from hub.whistles.access import require_join, require_own_summons, whistle_visibility
from hub.whistles.events import add_event
from hub.whistles.intake import known_departments, optional_text, summon
from hub.whistles.models import Summons, SummonsStatus, Whistle
from hub.whistles.rules import (
    SummonsTransition,
    WhistleTransition,
    next_summons_status,
)
from hub.whistles.service import move, summons_of


async def get_summons_for_actor(
    *, session: AsyncSession, summons_id: int | None, label: str, actor: Actor
) -> tuple[Whistle, Summons]:
    """The summons and its whistle, locked, if the actor may see the whistle; else NOT_FOUND."""
    missing = NotFoundError(f"no summons {label!r}", field="summonsId")
    if summons_id is None:
        raise missing
    whistle_id = await session.scalar(select(Summons.whistle_id).where(Summons.id == summons_id))
    whistle = await session.scalar(
        select(Whistle).where(Whistle.id == whistle_id, whistle_visibility(actor)).with_for_update()
    )
    if whistle is None:
        raise missing
    summons = await session.scalar(
        select(Summons).where(Summons.id == summons_id).with_for_update()
    )
    assert summons is not None
    return whistle, summons


def _step(summons: Summons, transition: SummonsTransition) -> None:
    if summons.summoned_at is None:
        raise IllegalTransitionError("this summons has not been sent yet")
    summons.status = next_summons_status(summons.status, transition)


async def acknowledge(
    *, session: AsyncSession, whistle: Whistle, summons: Summons, actor: Actor, now: dt.datetime
) -> None:
    """The party has the summons and is on its way."""
    require_own_summons(actor, summons)
    move(whistle, WhistleTransition.ACKNOWLEDGE, now)
    _step(summons, SummonsTransition.ACKNOWLEDGE)
    summons.acknowledged_at = now
    add_event(session, whistle, "SUMMONS_ACKNOWLEDGED", actor, at=now, summons=summons)


async def report_in(
    *,
    session: AsyncSession,
    geo: GeoIndex,
    whistle: Whistle,
    summons: Summons,
    point: tuple[float, float, str],
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> None:
    """Report on site (报到) for one summons; the place is taken in any CRS, kept in WGS84."""
    require_own_summons(actor, summons)
    lng, lat, crs = point
    wlng, wlat, grid = geo.locate(lng=lng, lat=lat, crs=crs)
    move(whistle, WhistleTransition.ACT, now)
    _step(summons, SummonsTransition.REPORT_IN)
    summons.acknowledged_at = summons.acknowledged_at or now
    summons.arrived_at, summons.arrived_lat, summons.arrived_lng = now, wlat, wlng
    summons.note = optional_text(note, "note")
    add_event(
        session,
        whistle,
        "REPORTED_IN",
        actor,
        at=now,
        summons=summons,
        note=summons.note,
        data={"lat": wlat, "lng": wlng, "grid": grid},
    )
    late = summons.report_by is not None and now > summons.report_by
    if late and not summons.overdue:
        summons.overdue = True
        add_event(
            session,
            whistle,
            "SUMMONS_OVERDUE",
            SYSTEM,
            at=now,
            summons=summons,
            note="reported in after the report-by time",
        )


async def complete(
    *,
    session: AsyncSession,
    whistle: Whistle,
    summons: Summons,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> None:
    """The party has done its part; only a party on site can be done."""
    require_own_summons(actor, summons)
    move(whistle, WhistleTransition.COMPLETE, now)
    _step(summons, SummonsTransition.COMPLETE)
    summons.completed_at = now
    summons.note = optional_text(note, "note") or summons.note
    add_event(
        session, whistle, "SUMMONS_COMPLETED", actor, at=now, summons=summons, note=summons.note
    )


async def join(
    *,
    session: AsyncSession,
    whistle: Whistle,
    department_codes: Sequence[str],
    actor: Actor,
    now: dt.datetime,
) -> list[Summons]:
    """A summoned partner street office brings its own district's departments (跨区吹哨)."""
    if not department_codes:
        raise InvalidInputError("name at least one department", field="departmentCodes")
    parties = await summons_of(session, whistle)
    partner = next(
        (
            one
            for one in parties
            if one.partner_code and one.partner_code == actor.jurisdiction_code
        ),
        None,
    )
    departments = await known_departments(session, department_codes)
    require_join(actor, partner, departments)
    assert partner is not None
    move(whistle, WhistleTransition.SUMMON, now)
    already = {one.department_code for one in parties}
    fresh = [d for d in departments if d.code not in already]
    if not fresh:
        raise IllegalTransitionError("those departments are summoned already")
    brought = [
        Summons(
            whistle_id=whistle.id,
            department_code=d.code,
            invited_by_id=partner.id,
            status=SummonsStatus.SUMMONED,
        )
        for d in fresh
    ]
    session.add_all(brought)
    await session.flush()
    add_event(
        session,
        whistle,
        "JOINED",
        actor,
        at=now,
        summons=partner,
        data={"departments": [d.code for d in fresh]},
    )
    summon(session, whistle, brought, actor, now)
    return brought
