"""Whistles (吹哨), their summons (报到) and timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from hub.departments.models import Department as DepartmentRow
from hub.errors import UnknownJurisdictionError
from hub.geo.models import level_of_code
from hub.pagination import NEWEST
from hub.whistles import performance
from hub.whistles.models import Summons as SummonsRow
from hub.whistles.models import SummonsStatus, WhistleKind, WhistleScope, WhistleStatus
from hub.whistles.models import Whistle as WhistleRow
from hub.whistles.models import WhistleEvent as EventRow
from hub.whistles.queries import WhistleFilter, page_whistles
from schema.auth.types import TimelineEvent
from schema.context import Info
from schema.core.pages import page_request
from schema.core.relay import Connection, Node, connection_from_page
from schema.core.rows import from_row
from schema.departments.types import Department
from schema.geo.types import GeoPoint, Jurisdiction, wrap_jurisdiction

if TYPE_CHECKING:
    from schema.cases.types import Case

CaseRef = Annotated["Case", strawberry.lazy("schema.cases.types")]

for _domain_enum in (WhistleKind, WhistleScope, WhistleStatus, SummonsStatus):
    strawberry.enum(_domain_enum)


@strawberry.type(description="How the caller rated a summoned party (1–5).")
class Rating:
    score: int
    comment: str | None


@strawberry.type(description="The joint action's time and place (联合行动).")
class JointAction:
    at: dt.datetime
    place: str


@strawberry.type(description="One summoned party's duty to report on site (报到).")
class Summons(Node):
    row: strawberry.Private[SummonsRow]

    def node_key(self) -> int:
        return self.row.id

    @strawberry.field
    async def whistle(self, info: Info) -> Whistle:
        row = await info.context.loaders.whistle_by_id.load(self.row.whistle_id)
        assert row is not None
        return Whistle(row=row)

    @strawberry.field(description="The summoned department; null for a partner street office.")
    async def department(self, info: Info) -> Department | None:
        code = self.row.department_code
        row = await info.context.loaders.department.load(code) if code else None
        return Department(row=row) if row else None

    @strawberry.field(description="A summoned street office (of another district, usually).")
    async def partner(self, info: Info) -> Jurisdiction | None:
        code = self.row.partner_code
        return (
            wrap_jurisdiction(await info.context.loaders.jurisdiction.load(code)) if code else None
        )

    @strawberry.field(description="The partner's summons that brought this department.")
    async def invited_by(self, info: Info) -> Summons | None:
        key = self.row.invited_by_id
        row = await info.context.loaders.summons_by_id.load(key) if key else None
        return Summons(row=row) if row else None

    status = from_row("status", SummonsStatus)
    summoned_at = from_row(
        "summoned_at", dt.datetime | None, description="Null while the whistle waits for review."
    )

    report_by = from_row("report_by", dt.datetime | None)
    acknowledged_at = from_row("acknowledged_at", dt.datetime | None)
    arrived_at = from_row(
        "arrived_at", dt.datetime | None, description="When the party reported in on site."
    )

    @strawberry.field(description="Where it reported in (WGS84).")
    def arrived_location(self) -> GeoPoint | None:
        if self.row.arrived_lat is None or self.row.arrived_lng is None:
            return None
        return GeoPoint(lat=self.row.arrived_lat, lng=self.row.arrived_lng)

    completed_at = from_row("completed_at", dt.datetime | None)
    overdue = from_row(
        "overdue", bool, description="Not on site by reportBy; counted against the department."
    )

    task = from_row("task", str | None, description="Its part in the joint action.")
    note = from_row(
        "note", str | None, description="The party's latest note (on reporting in or completing)."
    )

    @strawberry.field
    def rating(self) -> Rating | None:
        if self.row.rating_score is None:
            return None
        return Rating(score=self.row.rating_score, comment=self.row.rating_comment)

    @strawberry.field(description="Why the caller let the party go before it was done.")
    async def release_reason(self, info: Info) -> str | None:
        events = await info.context.loaders.whistle_events.load(self.row.whistle_id)
        return next(
            (
                e.note
                for e in events
                if e.type == "SUMMONS_RELEASED" and e.summons_id == self.row.id
            ),
            None,
        )


@strawberry.type(description="One entry of a whistle's timeline.")
class WhistleEvent(TimelineEvent):
    row: strawberry.Private[EventRow]

    @strawberry.field(
        description="The summons concerned, when one party changed (SUMMONS_SENT, which may"
        " send several, lists them in `summonsSent`)."
    )
    async def summons(self, info: Info) -> Summons | None:
        key = self.row.summons_id
        row = await info.context.loaders.summons_by_id.load(key) if key else None
        return Summons(row=row) if row else None

    @strawberry.field(description="The summons a SUMMONS_SENT event sent; empty otherwise.")
    async def summons_sent(self, info: Info) -> list[Summons]:
        keys = (self.row.data or {}).get("summons", []) if self.row.type == "SUMMONS_SENT" else []
        rows = await info.context.loaders.summons_by_id.load_many(keys)
        return [Summons(row=row) for row in rows if row is not None]

    @strawberry.field
    async def whistle(self, info: Info) -> Whistle:
        row = await info.context.loaders.whistle_by_id.load(self.row.whistle_id)
        assert row is not None
        return Whistle(row=row)


@strawberry.type(description="A street office summons departments to report on site (吹哨报到).")
class Whistle(Node):
    row: strawberry.Private[WhistleRow]

    def node_key(self) -> str:
        return self.row.number

    number = from_row(
        "number", str, description="Human-readable: W-<district>-<yyyymmdd>-<serial>."
    )

    kind = from_row("kind", WhistleKind)
    scope = from_row(
        "scope", WhistleScope, description="Derived from who is summoned and where the cases lie."
    )

    status = from_row("status", WhistleStatus)

    @strawberry.field(description="The street office (or district) that blew the whistle.")
    async def caller(self, info: Info) -> Jurisdiction:
        row = await info.context.loaders.jurisdiction.load(self.row.caller_code)
        assert row is not None
        return Jurisdiction(row=row)

    @strawberry.field(description="The source cases (哨源); whoever sees the whistle sees them.")
    async def cases(self, info: Info) -> list[CaseRef]:
        from schema.cases.types import Case

        return [Case(row=row) for row in await info.context.loaders.whistle_cases.load(self.row.id)]

    @strawberry.field(description="Every summoned party, in the order summoned.")
    async def summons(self, info: Info) -> list[Summons]:
        rows = await info.context.loaders.whistle_summons.load(self.row.id)
        return [Summons(row=row) for row in rows]

    reason = from_row("reason", str)
    report_within_minutes = from_row(
        "report_within_minutes", int, description="The report-in window the summons were given."
    )

    report_by = from_row(
        "report_by", dt.datetime | None, description="When the first summons had to be on site."
    )

    opened_at = from_row("opened_at", dt.datetime)
    reviewed_at = from_row("reviewed_at", dt.datetime | None)
    review_note = from_row("review_note", str | None)
    resolved_at = from_row("resolved_at", dt.datetime | None)
    closed_at = from_row("closed_at", dt.datetime | None)
    escalation_level = from_row(
        "escalation_level", int, description="0 street, 1 district platform, 2 city platform."
    )

    @strawberry.field
    def joint_action(self) -> JointAction | None:
        if self.row.action_at is None or self.row.action_place is None:
            return None
        return JointAction(at=self.row.action_at, place=self.row.action_place)

    release_reason = from_row(
        "release_reason", str | None, description="Why parties were released before they were done."
    )

    feedback = from_row(
        "feedback", str | None, description="The result fed back on closing (结果反馈)."
    )

    @strawberry.field(description="True when any summoned party went overdue.")
    async def overdue(self, info: Info) -> bool:
        return any(
            row.overdue for row in await info.context.loaders.whistle_summons.load(self.row.id)
        )

    @strawberry.field(description="The timeline, oldest first: the whistle's audit trail.")
    async def events(self, info: Info) -> list[WhistleEvent]:
        rows = await info.context.loaders.whistle_events.load(self.row.id)
        return [WhistleEvent(row=row) for row in rows]


@strawberry.input(description="Which whistles; every condition must hold.")
class WhistleFilterInput:
    jurisdiction_code: str | None = strawberry.field(
        default=None, description="The caller or a partner lies within it (any level)."
    )
    department_code: str | None = strawberry.field(
        default=None, description="This department was summoned."
    )
    status: WhistleStatus | None = None
    kind: WhistleKind | None = None
    scope: WhistleScope | None = None
    overdue: bool | None = None


def _query_filter(whistle_filter: WhistleFilterInput, case_id: int | None) -> WhistleFilter:
    code = whistle_filter.jurisdiction_code
    if code and level_of_code(code) is None:
        raise UnknownJurisdictionError(f"no jurisdiction {code!r}")
    return WhistleFilter(
        jurisdiction_code=code,
        department_code=whistle_filter.department_code,
        status=whistle_filter.status,
        kind=whistle_filter.kind,
        scope=whistle_filter.scope,
        overdue=whistle_filter.overdue,
        case_id=case_id,
    )


async def whistles_connection(
    info: Info,
    whistle_filter: WhistleFilterInput,
    first: int,
    after: str | None,
    *,
    case_id: int | None = None,
) -> Connection[Whistle]:
    request = page_request(info, first, after, NEWEST)
    query_filter = _query_filter(whistle_filter, case_id)
    async with info.context.sessionmaker() as session:
        page = await page_whistles(
            session=session, whistle_filter=query_filter, actor=info.context.actor, page=request
        )
    return connection_from_page(page, lambda row: Whistle(row=row))


async def jurisdiction_whistles(
    info: Info, code: str, whistle_filter: WhistleFilterInput, first: int, after: str | None
) -> Connection[Whistle]:
    """A jurisdiction's whistles, batched with its siblings' (``Loaders.whistles_within``)."""
    request = page_request(info, first, after, NEWEST)
    query_filter = _query_filter(dataclasses.replace(whistle_filter, jurisdiction_code=None), None)
    page = await info.context.loaders.whistles_within.load(
        (code, query_filter, info.context.actor, request)
    )
    return connection_from_page(page, lambda row: Whistle(row=row))


@strawberry.type(description="Who should report for some cases, and the scope that follows.")
class SummonsSuggestion:
    scope: WhistleScope
    department_rows: strawberry.Private[list[DepartmentRow]]
    partner_codes: strawberry.Private[list[str]]

    @strawberry.field(description="From the responsibility matrix, most local first.")
    def departments(self) -> list[Department]:
        return [Department(row=row) for row in self.department_rows]

    @strawberry.field(description="Street offices across a district boundary the cases touch.")
    async def partners(self, info: Info) -> list[Jurisdiction]:
        rows = await info.context.loaders.jurisdiction.load_many(self.partner_codes)
        return [Jurisdiction(row=row) for row in rows if row is not None]


@strawberry.type(description="How a department reported when summoned (报到), over a period.")
class DepartmentPerformance:
    figures: strawberry.Private[performance.Performance]

    @strawberry.field
    async def department(self, info: Info) -> Department:
        row = await info.context.loaders.department.load(self.figures.department_code)
        assert row is not None
        return Department(row=row)

    @strawberry.field(description="Summons sent to it in the period.")
    def summons_received(self) -> int:
        return self.figures.summons_received

    @strawberry.field
    def acknowledged_in_time(self) -> int:
        return self.figures.acknowledged_in_time

    @strawberry.field(description="On site by the report-by time.")
    def arrived_in_time(self) -> int:
        return self.figures.arrived_in_time

    @strawberry.field(description="From summons to arrival, over the summons it arrived for.")
    def median_minutes_to_arrive(self) -> float | None:
        return self.figures.median_minutes_to_arrive

    @strawberry.field(description="The callers' ratings, 1–5.")
    def average_rating(self) -> float | None:
        return self.figures.average_rating

    @strawberry.field(description="Summons marked overdue.")
    def overdue(self) -> int:
        return self.figures.overdue
