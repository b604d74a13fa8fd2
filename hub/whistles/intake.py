"""Blowing a whistle (吹哨): validate, derive the scope, number it and summon, in one transaction.

The scope is derived, never chosen: CITY when a city-level department is summoned,
CROSS_DISTRICT when a partner street office, a department or a case lies (even partly)
outside the caller's district, else DISTRICT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases import events as case_events
from hub.cases import queries as case_queries
from hub.cases.access import case_visibility
from hub.cases.models import Case
from hub.config import Settings
from hub.departments.models import Department
from hub.errors import (
    InvalidInputError,
    NotFoundError,
    UnknownDepartmentError,
    UnknownJurisdictionError,
)
from hub.geo.models import Jurisdiction, JurisdictionLevel
from hub.numbers import next_number
from hub.whistles.access import require_blow
from hub.whistles.deadlines import MAX_MINUTES, ReportWindows
from hub.whistles.events import add_event
from hub.whistles.models import (
    Summons,
    SummonsStatus,
    Whistle,
    WhistleCase,
    WhistleKind,
    WhistleScope,
    WhistleStatus,
)
from hub.whistles.rules import initial_status

MAX_TEXT = 2_000
CALLER_LEVELS = (JurisdictionLevel.SUBDISTRICT, JurisdictionLevel.DISTRICT)


@dataclass(frozen=True, slots=True)
class Call:
    """What a caller asks for when blowing a whistle."""

    caller_code: str
    kind: WhistleKind
    case_numbers: Sequence[str]
    reason: str
    department_codes: Sequence[str] = ()
    partner_codes: Sequence[str] = ()
    report_within_minutes: int | None = None


def optional_text(value: str | None, field: str) -> str | None:
    """Trimmed text within bounds, or None when blank."""
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInputError(f"{field} exceeds {MAX_TEXT} characters", field=field)
    return text or None


def required_text(value: str | None, field: str) -> str:
    text = optional_text(value, field)
    if text is None:
        raise InvalidInputError(f"{field} is empty", field=field)
    return text


def derive_scope(
    caller_code: str,
    departments: Iterable[Department],
    partner_codes: Iterable[str],
    case_places: Iterable[str],
) -> WhistleScope:
    """CITY beats CROSS_DISTRICT beats DISTRICT; places are division codes of any level."""
    departments = list(departments)
    if any(d.level is JurisdictionLevel.CITY for d in departments):
        return WhistleScope.CITY
    district = caller_code[:6]
    places = [*(d.jurisdiction_code for d in departments), *partner_codes, *case_places]
    if any(place[:6] != district for place in places):
        return WhistleScope.CROSS_DISTRICT
    return WhistleScope.DISTRICT


async def case_places(session: AsyncSession, cases: Sequence[Case]) -> list[str]:
    """Every street office the cases touch, and their own."""
    crossed = await case_queries.crossed(session=session, codes=[c.id for c in cases])
    return [code for case in cases for code in (case.subdistrict_code, *crossed.get(case.id, []))]


async def _caller(session: AsyncSession, code: str) -> Jurisdiction:
    caller = await session.get(Jurisdiction, code)
    if caller is None or caller.level not in CALLER_LEVELS:
        raise UnknownJurisdictionError(f"no street office or district {code!r}", field="callerCode")
    return caller


async def visible_cases(session: AsyncSession, numbers: Sequence[str], actor: Actor) -> list[Case]:
    """The cases named, each of which the actor must see (NOT_FOUND otherwise)."""
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        raise InvalidInputError("a whistle is blown on at least one case", field="caseNumbers")
    rows = await session.scalars(
        select(Case).where(Case.number.in_(wanted), case_visibility(actor)).order_by(Case.id)
    )
    found = {row.number: row for row in rows}
    if missing := [n for n in wanted if n not in found]:
        raise NotFoundError(f"no case {', '.join(missing)}", field="caseNumbers")
    return [found[n] for n in wanted]


async def known_departments(session: AsyncSession, codes: Sequence[str]) -> list[Department]:
    wanted = list(dict.fromkeys(codes))
    rows = await session.scalars(select(Department).where(Department.code.in_(wanted)))
    found = {row.code: row for row in rows}
    if missing := [c for c in wanted if c not in found]:
        raise UnknownDepartmentError(f"no department {', '.join(missing)}", field="departmentCodes")
    return [found[c] for c in wanted]


async def _partners(session: AsyncSession, codes: Sequence[str], caller: str) -> list[str]:
    wanted = list(dict.fromkeys(codes))
    rows = await session.scalars(
        select(Jurisdiction.code).where(
            Jurisdiction.code.in_(wanted), Jurisdiction.level == JurisdictionLevel.SUBDISTRICT
        )
    )
    found = set(rows)
    if missing := [c for c in wanted if c not in found or c == caller]:
        raise UnknownJurisdictionError(
            f"{', '.join(missing)} is not another street office", field="partnerCodes"
        )
    return wanted


def _check(call: Call) -> None:
    required_text(call.reason, "reason")
    if not (call.department_codes or call.partner_codes):
        raise InvalidInputError(
            "summon at least one department or partner", field="departmentCodes"
        )
    minutes = call.report_within_minutes
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInputError(
            f"reportWithinMinutes must lie between 1 and {MAX_MINUTES}", field="reportWithinMinutes"
        )


async def blow(
    *, session: AsyncSession, settings: Settings, call: Call, actor: Actor, now: dt.datetime
) -> Whistle:
    """Blow a whistle (街乡吹哨) on cases, summoning departments and partner street offices."""
    require_blow(actor, call.caller_code)
    _check(call)
    caller = await _caller(session, call.caller_code)
    cases = await visible_cases(session, call.case_numbers, actor)
    departments = await known_departments(session, call.department_codes)
    partners = await _partners(session, call.partner_codes, caller.code)
    scope = derive_scope(caller.code, departments, partners, await case_places(session, cases))
    whistle = await _new_whistle(session, settings, call, caller.code, scope, now)
    session.add_all(WhistleCase(whistle_id=whistle.id, case_id=case.id) for case in cases)
    summons = [Summons(whistle_id=whistle.id, department_code=d.code) for d in departments]
    summons += [Summons(whistle_id=whistle.id, partner_code=code) for code in partners]
    for one in summons:
        one.status = SummonsStatus.SUMMONED
    session.add_all(summons)
    await session.flush()
    add_event(
        session,
        whistle,
        "BLOWN",
        actor,
        at=now,
        note=whistle.reason,
        data={"scope": scope.value, "departments": [d.code for d in departments]}
        | {"partners": partners, "cases": [c.number for c in cases]},
    )
    for case in cases:
        case_events.timeline_of(session, case)(
            "WHISTLE_BLOWN", actor, at=now, data={"whistle": whistle.number}
        )
    if whistle.status is WhistleStatus.SUMMONING:
        summon(session, whistle, summons, actor, now)
    return whistle


async def _new_whistle(
    session: AsyncSession,
    settings: Settings,
    call: Call,
    caller_code: str,
    scope: WhistleScope,
    now: dt.datetime,
) -> Whistle:
    district = caller_code[:6]
    windows = ReportWindows(settings.whistle_report_minutes)
    whistle = Whistle(
        number=await next_number(session=session, prefix="W", district_code=district, at=now),
        kind=call.kind,
        scope=scope,
        status=initial_status(call.kind, scope),
        caller_code=caller_code,
        district_code=district,
        reason=required_text(call.reason, "reason"),
        report_within_minutes=windows.minutes(call.kind, call.report_within_minutes),
        opened_at=now,
        escalation_level=0,
        created_at=now,
        updated_at=now,
    )
    session.add(whistle)
    await session.flush()
    return whistle


def summon(
    session: AsyncSession,
    whistle: Whistle,
    summons: Sequence[Summons],
    actor: Actor,
    now: dt.datetime,
) -> None:
    """Send the summons not yet sent: each party must report on site by its deadline."""
    report_by = ReportWindows.deadline(now, whistle.report_within_minutes)
    sent = [one for one in summons if one.summoned_at is None]
    for one in sent:
        one.summoned_at, one.report_by = now, report_by
    whistle.report_by = whistle.report_by or report_by
    add_event(
        session,
        whistle,
        "SUMMONS_SENT",
        actor,
        at=now,
        data={"summons": [one.id for one in sent], "reportBy": report_by.isoformat()},
    )
