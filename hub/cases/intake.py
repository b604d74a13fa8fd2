"""Intake (reportCase): validate, locate, number and record a new case in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases.access import CaseAction, require_case_action, require_report_scope
from hub.cases.deadlines import DeadlinePolicy
from hub.cases.events import act_on
from hub.cases.footprints import check_footprint
from hub.cases.lifecycle import reported
from hub.cases.models import (
    Case,
    CaseExternalRef,
    CaseJurisdiction,
    CaseSource,
    CaseStatus,
    Priority,
    WarningLevel,
)
from hub.cases.service import readable_by
from hub.categories.models import Category
from hub.config import Settings
from hub.errors import ConflictError, DomainError, ErrorCode, InvalidInputError
from hub.geo.index import GeoIndex, parse_polygon
from hub.geo.models import Jurisdiction
from hub.lengths import DESCRIPTION
from hub.numbers import next_number
from hub.pii import protect

MAX_DESCRIPTION = DESCRIPTION
CLOCK_SKEW = dt.timedelta(minutes=5)


class UnknownCategoryError(DomainError):
    code = ErrorCode.UNKNOWN_CATEGORY


class DuplicateReferenceError(DomainError):
    code = ErrorCode.DUPLICATE_REFERENCE


@dataclass(frozen=True, slots=True)
class Intake:
    description: str
    category_code: str
    source: CaseSource
    priority: Priority = Priority.ROUTINE
    point: tuple[float, float, str] | None = None  # (lng, lat, crs)
    address: str | None = None
    footprint: dict[str, Any] | None = None
    reported_at: dt.datetime | None = None
    reporter_contact: str | None = None
    external_ref: tuple[str, str] | None = None
    source_version: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    lng: float | None
    lat: float | None
    grid_code: str | None
    subdistrict_code: str
    crossed: list[str]


def place(geo: GeoIndex, intake: Intake) -> Placement:
    """Where a case is: from its point, else its footprint, else the street its address names."""
    crossed: list[str] = []
    if intake.footprint is not None:
        crossed = geo.subdistricts_touching(intake.footprint)
    if intake.point is not None:
        lng, lat, crs = intake.point
        wlng, wlat, grid = geo.locate(lng=lng, lat=lat, crs=crs)
    elif intake.footprint is not None:
        inner = parse_polygon(intake.footprint).representative_point()
        wlng, wlat, grid = geo.locate(lng=inner.x, lat=inner.y)
    elif intake.address:
        street = geo.street_named_in(intake.address)
        return Placement(None, None, None, street, [street])
    else:
        raise InvalidInputError(
            "a case needs a location, a footprint or an address", field="location"
        )
    return Placement(wlng, wlat, grid, grid[:9], sorted({*crossed, grid[:9]}))


def _check(intake: Intake, now: dt.datetime) -> None:
    if not intake.description.strip():
        raise InvalidInputError("the description is empty", field="description")
    if len(intake.description) > MAX_DESCRIPTION:
        raise InvalidInputError(
            f"the description exceeds {MAX_DESCRIPTION} characters", field="description"
        )
    if intake.reported_at is not None and intake.reported_at > now + CLOCK_SKEW:
        raise InvalidInputError("reportedAt lies in the future", field="reportedAt")
    if intake.address is not None and len(intake.address) > 500:
        raise InvalidInputError("the address exceeds 500 characters", field="address")
    if intake.reporter_contact is not None and len(intake.reporter_contact) > 200:
        raise InvalidInputError("the contact exceeds 200 characters", field="reporterContact")


async def existing_by_ref(session: AsyncSession, system: str, external_id: str) -> Case | None:
    return await session.scalar(
        select(Case)
        .join(CaseExternalRef, CaseExternalRef.case_id == Case.id)
        .where(CaseExternalRef.system == system, CaseExternalRef.external_id == external_id)
    )


async def report(
    *,
    session: AsyncSession,
    geo: GeoIndex,
    settings: Settings,
    intake: Intake,
    actor: Actor,
    now: dt.datetime,
) -> tuple[Case, bool]:
    """Record a case; returns (case, created).

    A known external reference returns its case, but only to a caller who may read it; any
    other caller is refused without a word of the case. Of two reports of one reference racing
    each other, the loser's transaction fails on the reference's unique key (ConflictError):
    run again, it finds the winner's case.
    """
    require_case_action(actor, CaseAction.REPORT)
    _check(intake, now)
    if intake.external_ref is not None:
        found = await existing_by_ref(session, *intake.external_ref)
        if found is not None:
            return await _shown(session, found, actor), False
    category, placement = await _placed(session, geo, intake, actor)
    case = await _record(session, settings, intake, placement, category, actor, now)
    try:
        await session.flush()
    except IntegrityError as error:
        if intake.external_ref is None:
            raise
        raise ConflictError("the reference was recorded meanwhile") from error
    return case, True


async def _shown(session: AsyncSession, case: Case, actor: Actor) -> Case:
    if not await readable_by(session=session, case=case, actor=actor):
        raise DuplicateReferenceError(
            "this external reference belongs to a case you may not read; "
            "report under a reference of your own system",
            field="externalRef",
        )
    return case


async def _placed(
    session: AsyncSession, geo: GeoIndex, intake: Intake, actor: Actor
) -> tuple[Category, Placement]:
    category = await session.get(Category, intake.category_code)
    if category is None:
        raise UnknownCategoryError(f"no category {intake.category_code!r}", field="categoryCode")
    placement = place(geo, intake)
    require_report_scope(actor, placement.subdistrict_code, placement.grid_code)
    if intake.footprint is not None:
        check_footprint(geo, actor, intake.footprint)
    return category, placement


async def _record(
    session: AsyncSession,
    settings: Settings,
    intake: Intake,
    placement: Placement,
    category: Category,
    actor: Actor,
    now: dt.datetime,
) -> Case:
    case = await _new_case(session, settings, intake, placement, category, now)
    session.add_all(
        CaseJurisdiction(case_id=case.id, subdistrict_code=code) for code in placement.crossed
    )
    if intake.external_ref is not None:
        system, external_id = intake.external_ref
        session.add(
            CaseExternalRef(
                case_id=case.id,
                system=system,
                external_id=external_id,
                source_version=intake.source_version,
            )
        )
    reported(case, act_on(session, case, actor, now))
    return case


async def _new_case(
    session: AsyncSession,
    settings: Settings,
    intake: Intake,
    placement: Placement,
    category: Category,
    now: dt.datetime,
) -> Case:
    reported_at = (intake.reported_at or now).astimezone(dt.UTC)
    street = await session.get(Jurisdiction, placement.subdistrict_code)
    row = case_row(
        number=await next_number(
            session=session,
            prefix="C",
            district_code=placement.subdistrict_code[:6],
            at=reported_at,
        ),
        description=intake.description,
        category_code=category.code,
        category_name=category.name,
        source=intake.source,
        priority=intake.priority,
        placement=placement,
        address=intake.address,
        footprint=intake.footprint,
        street_name=street.name if street else None,
        reported_at=reported_at,
        contact=protect(settings, intake.reporter_contact),
        policy=DeadlinePolicy(settings.case_deadlines),
        now=now,
    )
    case = Case(**row)
    session.add(case)
    await session.flush()
    return case


def case_row(
    *,
    number: str,
    description: str,
    category_code: str,
    category_name: str,
    source: CaseSource,
    priority: Priority,
    placement: Placement,
    address: str | None,
    footprint: dict[str, Any] | None,
    street_name: str | None,
    reported_at: dt.datetime,
    contact: bytes | None,
    policy: DeadlinePolicy,
    now: dt.datetime,
) -> dict[str, Any]:
    """A new case's row, every column named: for ``report`` and ``batch.report_many`` alike."""
    reported_at = reported_at.astimezone(dt.UTC)
    clock = policy.clock(reported_at=reported_at, category_code=category_code, priority=priority)
    where = address or street_name or placement.subdistrict_code
    grid = placement.grid_code
    return {
        "number": number,
        "title": f"{category_name}：{where}"[:200],
        "description": description.strip(),
        "category_code": category_code,
        "source": source,
        "status": CaseStatus.RECEIVED,
        "priority": priority,
        "lat": placement.lat,
        "lng": placement.lng,
        "address": address,
        "footprint": footprint,
        "grid_code": grid,
        "community_code": grid[:12] if grid else None,
        "subdistrict_code": placement.subdistrict_code,
        "district_code": placement.subdistrict_code[:6],
        "crosses_boundary": len(placement.crossed) > 1,
        "reported_at": reported_at,
        "respond_by": clock.respond_by,
        "resolve_by": clock.resolve_by,
        "warn_at": clock.warn_at,
        "responded_at": None,
        "resolved_at": None,
        "closed_at": None,
        "respond_overdue": False,
        "resolve_overdue": False,
        "reporter_contact": contact,
        "feedback_resolved": None,
        "feedback_satisfied": None,
        "feedback_comment": None,
        "feedback_at": None,
        "reopen_count": 0,
        "warning_level": WarningLevel.GREEN,
        "merged_into_id": None,
        "decline_reason": None,
        "redispatch_count": 0,
        "themes_matched": False,
        "created_at": now,
        "updated_at": now,
    }
