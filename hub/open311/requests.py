"""Cases as Open311 service requests: reading them with the spec's filters, and filing one.

A request's id is the case number.  Its status is the spec's ``open``/``closed`` (closed once
the case is resolved), with the hub's own status and who holds it in ``status_notes``; the
agency responsible is the department it was dispatched to, else the street office it lies in.
Contacts are never shown: the spec has no field for them, and the hub keeps them protected.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases import intake
from hub.cases import queries as cases
from hub.cases.models import Case, CaseSource, CaseStatus, Priority
from hub.config import Settings
from hub.departments.service import get_many
from hub.errors import DomainError, ErrorCode
from hub.geo.index import GeoIndex
from hub.geo.models import Jurisdiction
from hub.open311.services import PRIORITY_ATTRIBUTE, Service

DEFAULT_SPAN = dt.timedelta(days=90)
LIMIT = 1000
TOKEN_SYSTEM = "open311-token"
CLOSED = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
BEIJING = dt.timezone(dt.timedelta(hours=8))


class RequestError(DomainError):
    """Bad parameters: answered 400 with the spec's error format."""

    code = ErrorCode.BAD_REQUEST


@dataclass(frozen=True, slots=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: tuple[str, ...] = ()

    @classmethod
    def parse(cls, params: Mapping[str, str], now: dt.datetime) -> RequestQuery:
        ids = _list(params.get("service_request_id"))
        if ids:  # the spec: other parameters are ignored when ids are given
            return cls(ids=ids)
        statuses = _list(params.get("status"))
        if any(status not in ("open", "closed") for status in statuses):
            raise RequestError("status must be open or closed")
        start, end = _time(params, "start_date"), _time(params, "end_date")
        end = end or (start + DEFAULT_SPAN if start else now)
        start = start or end - DEFAULT_SPAN
        if end < start:
            raise RequestError("end_date lies before start_date")
        if end - start > DEFAULT_SPAN:
            raise RequestError("start_date and end_date may span at most 90 days")
        codes = _list(params.get("service_code"))
        return cls(service_codes=codes, start=start, end=end, statuses=statuses)


def _list(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())[:LIMIT]


def _time(params: Mapping[str, str], name: str) -> dt.datetime | None:
    text = params.get(name)
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise RequestError(f"{name} is not a w3 date-time: {text[:40]!r}") from error
    if moment.tzinfo is None:
        raise RequestError(f"{name} needs a time zone offset")
    return moment


def _stamp(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(BEIJING).isoformat(timespec="seconds") if moment else None


async def find(
    *, session: AsyncSession, actor: Actor, query: RequestQuery, services: Mapping[str, Service]
) -> list[dict[str, Any]]:
    """The requests the actor may see that match, newest first, at most 1,000."""
    statement = cases.filtered(cases.CaseFilter(), actor)
    if query.ids:
        statement = statement.where(Case.number.in_(query.ids))
    else:
        assert query.start is not None
        assert query.end is not None
        statement = statement.where(Case.reported_at >= query.start, Case.reported_at <= query.end)
        if query.service_codes:
            statement = statement.where(Case.category_code.in_(query.service_codes))
        if len(query.statuses) == 1:
            closed = Case.status.in_(CLOSED)
            statement = statement.where(closed if query.statuses[0] == "closed" else ~closed)
    rows = list(await session.scalars(statement.order_by(Case.reported_at.desc()).limit(LIMIT)))
    return await describe(session=session, rows=rows, services=services)


async def describe(
    *, session: AsyncSession, rows: Sequence[Case], services: Mapping[str, Service]
) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    dispatches = await cases.dispatches(session=session, codes=ids)
    codes = {d.department_code for found in dispatches.values() for d in found}
    departments = await get_many(session=session, codes=sorted(codes))
    streets = await _street_names(session, {row.subdistrict_code for row in rows})
    described = []
    for row in rows:
        agencies = [
            departments[d.department_code].name
            for d in dispatches.get(row.id, [])
            if d.department_code in departments
        ]
        described.append(_request(row, services, agencies, streets.get(row.subdistrict_code)))
    return described


async def _street_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    result = await session.execute(
        select(Jurisdiction.code, Jurisdiction.name).where(Jurisdiction.code.in_(codes))
    )
    return {code: name for code, name in result}


def _status_notes(row: Case, agencies: list[str]) -> str:
    holders = "、".join(agencies)
    notes = {
        CaseStatus.RECEIVED: "RECEIVED: awaiting dispatch",
        CaseStatus.DISPATCHED: f"DISPATCHED to {holders}",
        CaseStatus.RESPONDED: f"RESPONDED: {holders} at work",
        CaseStatus.RESOLVED: f"RESOLVED by {holders}; awaiting the return call",
        CaseStatus.CLOSED: "CLOSED after the return call",
    }
    return notes.get(row.status, row.status.value)


def _request(
    row: Case, services: Mapping[str, Service], agencies: list[str], street: str | None
) -> dict[str, Any]:
    service = services.get(row.category_code)
    return {
        "service_request_id": row.number,
        "status": "closed" if row.status in CLOSED else "open",
        "status_notes": _status_notes(row, agencies),
        "service_name": service.name if service else row.category_code,
        "service_code": row.category_code,
        "description": row.description[:4000],
        "agency_responsible": "、".join(agencies) or street,
        "service_notice": None,
        "requested_datetime": _stamp(row.reported_at),
        "updated_datetime": _stamp(row.updated_at),
        "expected_datetime": _stamp(row.resolve_by),
        "address": row.address or street,
        "address_id": row.subdistrict_code,
        "zipcode": None,
        "lat": row.lat,
        "long": row.lng,
        "media_url": None,
    }


async def by_token(*, session: AsyncSession, actor: Actor, token: str) -> list[dict[str, Any]]:
    """``tokens/{token}``: the request a POST created, for the client that may see it."""
    case = await intake.existing_by_ref(session, TOKEN_SYSTEM, token[:128])
    if case is None:
        return []
    visible = await session.scalar(
        cases.filtered(cases.CaseFilter(), actor).where(Case.id == case.id)
    )
    return [{"service_request_id": case.number, "token": token}] if visible else []


@dataclass(frozen=True, slots=True)
class Filing:
    """POST requests.json: what the client sent, as text."""

    fields: Mapping[str, str]

    def get(self, name: str) -> str | None:
        value = self.fields.get(name, "").strip()
        return value or None

    def number(self, name: str) -> float | None:
        text = self.get(name)
        if text is None:
            return None
        try:
            return float(text)
        except ValueError as error:
            raise RequestError(f"{name} is not a number") from error

    def intake(self, service: Service, token: str) -> intake.Intake:
        lat, lng = self.number("lat"), self.number("long")
        address = self.get("address_string")
        if (lat is None) != (lng is None):
            raise RequestError("lat and long go together")
        if lat is None and address is None:
            raise RequestError("a request needs a location: lat and long, or address_string")
        description = self.get("description") or service.name
        if len(description) > 4000:
            raise RequestError("description exceeds 4,000 characters")
        return intake.Intake(
            description=description,
            category_code=service.code,
            source=CaseSource.OPEN311,
            priority=self._priority(service),
            point=(lng, lat, "WGS84") if lat is not None and lng is not None else None,
            address=address,
            reporter_contact=self.get("phone") or self.get("email"),
            external_ref=(TOKEN_SYSTEM, token),
        )

    def _priority(self, service: Service) -> Priority:
        chosen = self.get(f"attribute[{PRIORITY_ATTRIBUTE}]")
        if chosen is None:
            if service.needs_urgency:
                raise RequestError(f"attribute[{PRIORITY_ATTRIBUTE}] is required for this service")
            return Priority.ROUTINE
        try:
            return Priority(chosen)
        except ValueError as error:
            raise RequestError(
                f"attribute[{PRIORITY_ATTRIBUTE}] is not one of its values"
            ) from error


async def file(
    *,
    session: AsyncSession,
    geo: GeoIndex,
    settings: Settings,
    actor: Actor,
    filing: Filing,
    services: Mapping[str, Service],
    now: dt.datetime,
) -> dict[str, Any]:
    """Take the request in through the same intake as ``reportCase`` (source OPEN311)."""
    code = filing.get("service_code")
    service = services.get(code or "")
    if service is None:
        raise RequestError(f"no service {code!r}" if code else "service_code is required")
    token = secrets.token_urlsafe(16)
    case, _ = await intake.report(
        session=session,
        geo=geo,
        settings=settings,
        intake=filing.intake(service, token),
        actor=actor,
        now=now,
    )
    return {
        "service_request_id": case.number,
        "token": token,
        "service_notice": f"Respond by {_stamp(case.respond_by)}",
    }
