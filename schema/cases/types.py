"""Cases (诉求): their place, deadlines, dispatches, return call and timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from hub.cases.access import may_see_contact
from hub.cases.models import Case as CaseRow
from hub.cases.models import CaseDispatch as DispatchRow
from hub.cases.models import CaseEvent as EventRow
from hub.cases.models import (
    CaseSource,
    CaseStatus,
    DispatchRole,
    DispatchStatus,
    Priority,
    WarningLevel,
)
from hub.cases.queries import CaseFilter, page_cases
from hub.cases.routing import suggest_departments
from hub.db import reading
from hub.errors import InvalidArgumentError, UnknownJurisdictionError
from hub.geo.models import level_of_code
from hub.pagination import NEWEST
from hub.pii import mask, reveal
from schema.auth.types import TimelineEvent
from schema.cases.orders import CaseExtension, CaseReturn
from schema.context import Info
from schema.core.common import ExternalRef
from schema.core.inputs import search_text
from schema.core.pages import page_request
from schema.core.relay import Connection, Node, connection_from_page
from schema.core.rows import answered_first_by, from_row, scalar_arguments
from schema.core.scalars import GeoJSON
from schema.departments.types import Category, Department
from schema.geo.types import GeoPoint, Grid, Jurisdiction, wrap_jurisdiction

if TYPE_CHECKING:
    from schema.whistles.types import Whistle

WhistleRef = Annotated["Whistle", strawberry.lazy("schema.whistles.types")]

for _domain_enum in (CaseSource, CaseStatus, Priority, DispatchStatus):
    strawberry.enum(_domain_enum)


def _held(wrap: Any, rows: Mapping[str, Any], code: str | None) -> Any:
    """``wrap(row=…)`` of the process's reference row of ``code``; None when not held."""
    row = rows.get(code) if code is not None else None
    return wrap(row=row) if row is not None else None


@strawberry.type(description="The return call's answer (回访).")
class Feedback:
    resolved: bool
    satisfied: bool | None
    comment: str | None
    at: dt.datetime


@strawberry.type(description="The case sent to one department.")
class Dispatch:
    row: strawberry.Private[DispatchRow]

    @strawberry.field
    async def department(self, info: Info) -> Department:
        row = await info.context.loaders.department.load(self.row.department_code)
        assert row is not None
        return Department(row=row)

    status = from_row("status", DispatchStatus)
    note = from_row("note", str | None)
    dispatched_at = from_row("dispatched_at", dt.datetime)
    responded_at = from_row("responded_at", dt.datetime | None)
    resolved_at = from_row("resolved_at", dt.datetime | None)
    role = from_row(
        "role",
        DispatchRole,
        description="LEAD answers for the order (主办); ASSIST units help (协办).",
    )

    sign_by = from_row(
        "sign_by",
        dt.datetime | None,
        description="When the unit must sign for it (签收): one working day.",
    )

    signed_at = from_row("signed_at", dt.datetime | None)
    sign_overdue = from_row(
        "sign_overdue", bool, description="Not signed for by signBy (chased once by the sweeper)."
    )


@strawberry.type(description="One entry of a case's timeline.")
class CaseEvent(TimelineEvent):
    row: strawberry.Private[EventRow]

    @strawberry.field(name="case")
    async def case_(self, info: Info) -> Case:
        row = await info.context.loaders.case_by_id.load(self.row.case_id)
        assert row is not None
        return Case(row=row)


@strawberry.type(description="A citizen's problem, from intake to return call (接诉即办).")
class Case(Node):
    row: strawberry.Private[CaseRow]

    def node_key(self) -> str:
        return self.row.number

    number = from_row(
        "number", str, description="Human-readable: C-<district>-<yyyymmdd>-<serial>."
    )

    title = from_row("title", str)
    description = from_row("description", str)

    @strawberry.field
    @answered_first_by(
        lambda case, context: _held(Category, context.reference.categories, case.row.category_code)
    )
    async def category(self, info: Info) -> Category:
        rows = await info.context.loaders.all_categories.load(0)
        return next(Category(row=row) for row in rows if row.code == self.row.category_code)

    source = from_row("source", CaseSource)
    status = from_row("status", CaseStatus)
    priority = from_row("priority", Priority)

    @strawberry.field(description="WGS84; null when the case was placed by its address only.")
    def location(self) -> GeoPoint | None:
        if self.row.lat is None or self.row.lng is None:
            return None
        return GeoPoint(lat=self.row.lat, lng=self.row.lng)

    address = from_row("address", str | None)

    @strawberry.field
    def footprint(self) -> GeoJSON | None:
        return GeoJSON(self.row.footprint) if self.row.footprint else None

    @strawberry.field
    async def grid(self, info: Info) -> Grid | None:
        if self.row.grid_code is None:
            return None
        row = await info.context.loaders.grid.load(self.row.grid_code)
        return Grid(row=row) if row else None

    @strawberry.field
    @answered_first_by(
        lambda case, context: _held(
            Jurisdiction, context.reference.jurisdictions, case.row.community_code
        )
    )
    async def community(self, info: Info) -> Jurisdiction | None:
        code = self.row.community_code
        return (
            wrap_jurisdiction(await info.context.loaders.jurisdiction.load(code)) if code else None
        )

    @strawberry.field
    @answered_first_by(
        lambda case, context: _held(
            Jurisdiction, context.reference.jurisdictions, case.row.subdistrict_code
        )
    )
    async def subdistrict(self, info: Info) -> Jurisdiction:
        row = await info.context.loaders.jurisdiction.load(self.row.subdistrict_code)
        assert row is not None
        return Jurisdiction(row=row)

    @strawberry.field
    @answered_first_by(
        lambda case, context: _held(
            Jurisdiction, context.reference.jurisdictions, case.row.district_code
        )
    )
    async def district(self, info: Info) -> Jurisdiction:
        row = await info.context.loaders.jurisdiction.load(self.row.district_code)
        assert row is not None
        return Jurisdiction(row=row)

    crosses_boundary = from_row(
        "crosses_boundary",
        bool,
        description="True when the case touches more than one street office.",
    )

    @strawberry.field(description="Every street office the footprint (or the point) touches.")
    async def jurisdictions_crossed(self, info: Info) -> list[Jurisdiction]:
        codes = await info.context.loaders.case_crossed.load(self.row.id)
        rows = await info.context.loaders.jurisdiction.load_many(codes)
        return [Jurisdiction(row=row) for row in rows if row is not None]

    reported_at = from_row("reported_at", dt.datetime)
    respond_by = from_row("respond_by", dt.datetime | None)
    resolve_by = from_row("resolve_by", dt.datetime | None)
    responded_at = from_row("responded_at", dt.datetime | None)
    resolved_at = from_row("resolved_at", dt.datetime | None)
    closed_at = from_row("closed_at", dt.datetime | None)
    respond_overdue = from_row(
        "respond_overdue", bool, description="Not responded by respondBy (flagged by the sweeper)."
    )

    resolve_overdue = from_row(
        "resolve_overdue", bool, description="Not resolved by resolveBy (flagged by the sweeper)."
    )

    reopen_count = from_row("reopen_count", int, description="How often a return call reopened it.")
    warning_level = from_row(
        "warning_level",
        WarningLevel,
        description="Graded warning: yellow at 80% of the time gone, red overdue.",
    )

    @strawberry.field(description="The main order this duplicate was merged into (合并).")
    async def merged_into(self, info: Info) -> Case | None:
        if self.row.merged_into_id is None:
            return None
        row = await info.context.loaders.case_by_id.load(self.row.merged_into_id)
        return Case(row=row) if row else None

    @strawberry.field(description="The duplicates merged into this main order.")
    async def duplicates(self, info: Info) -> list[Case]:
        return [
            Case(row=row) for row in await info.context.loaders.case_duplicates.load(self.row.id)
        ]

    @strawberry.field(description="Its units' returns (退单), with who decided.")
    async def returns(self, info: Info) -> list[CaseReturn]:
        return [
            CaseReturn(row=row) for row in await info.context.loaders.case_returns.load(self.row.id)
        ]

    @strawberry.field(description="Extensions asked for (延期), with who decided.")
    async def extensions(self, info: Info) -> list[CaseExtension]:
        rows = await info.context.loaders.case_extensions.load(self.row.id)
        return [CaseExtension(row=row) for row in rows]

    decline_reason = from_row(
        "decline_reason", str | None, description="Why it was declined (不予受理)."
    )

    redispatch_count = from_row(
        "redispatch_count", int, description="Dispatches made again after a return (重复派单)."
    )

    @strawberry.field
    @scalar_arguments
    async def dispatches(self, info: Info) -> list[Dispatch]:
        return [
            Dispatch(row=row)
            for row in await info.context.loaders.case_dispatches.load(self.row.id)
        ]

    @strawberry.field
    def feedback(self) -> Feedback | None:
        row = self.row
        if row.feedback_at is None or row.feedback_resolved is None:
            return None
        return Feedback(
            resolved=row.feedback_resolved,
            satisfied=row.feedback_satisfied,
            comment=row.feedback_comment,
            at=row.feedback_at,
        )

    @strawberry.field(description="Whistles blown on this case that you may see, newest first.")
    async def whistles(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[WhistleRef]:
        from schema.whistles.types import WhistleFilterInput, whistles_connection

        return await whistles_connection(
            info, WhistleFilterInput(), first, after, case_id=self.row.id
        )

    @strawberry.field(
        description="The timeline, oldest first: the case's audit trail; `last: N` keeps the "
        "latest N entries only."
    )
    @scalar_arguments
    async def events(self, info: Info, last: int | None = None) -> list[CaseEvent]:
        if last is not None and last < 0:
            raise InvalidArgumentError("last must not be negative")
        if last == 0:
            return []
        if last is None:
            rows = await info.context.loaders.case_events.load(self.row.id)
        else:  # only the latest `last` are read
            rows = await info.context.loaders.case_latest_events.load((self.row.id, last))
        return [CaseEvent(row=row) for row in rows]

    @strawberry.field
    async def external_refs(self, info: Info) -> list[ExternalRef]:
        rows = await info.context.loaders.case_refs.load(self.row.id)
        return [ExternalRef(system=row.system, id=row.external_id) for row in rows]

    @strawberry.field(description="The caller's contact; masked unless your role calls back.")
    def reporter_contact(self, info: Info) -> str | None:
        contact = reveal(info.context.settings, self.row.reporter_contact)
        return contact if may_see_contact(info.context.actor) else mask(contact)

    @strawberry.field(
        description="Departments that answer for this category here, most local first."
    )
    async def suggested_departments(self, info: Info) -> list[Department]:
        async with info.context.sessionmaker() as session:
            rows = await suggest_departments(session=session, case=self.row)
        return [Department(row=row) for row in rows]


@strawberry.input(description="Which cases; every condition must hold.")
class CaseFilterInput:
    jurisdiction_code: str | None = strawberry.field(
        default=None, description="Any level; descendants and footprints crossing in included."
    )
    grid_code: str | None = None
    status: CaseStatus | None = None
    statuses: list[CaseStatus] | None = strawberry.field(
        default=None,
        description="Any of these statuses, e.g. the open ones: [RECEIVED, DISPATCHED, RESPONDED].",
    )
    category_code: str | None = strawberry.field(
        default=None, description="A leaf, or a group (its leaves included)."
    )
    source: CaseSource | None = None
    department_code: str | None = strawberry.field(
        default=None, description="Dispatched to this department."
    )
    reported_from: dt.datetime | None = None
    reported_to: dt.datetime | None = strawberry.field(default=None, description="Exclusive.")
    text: str | None = strawberry.field(
        default=None, description="Appears in the description, title or address."
    )
    overdue: bool | None = None


def _query_filter(case_filter: CaseFilterInput) -> CaseFilter:
    if case_filter.jurisdiction_code and level_of_code(case_filter.jurisdiction_code) is None:
        raise UnknownJurisdictionError(f"no jurisdiction {case_filter.jurisdiction_code!r}")
    search_text(case_filter.text, "text")
    fields = {field: getattr(case_filter, field) for field in CaseFilter.__dataclass_fields__}
    if case_filter.statuses is not None:
        fields["statuses"] = frozenset(case_filter.statuses)
    return CaseFilter(**fields)


async def cases_connection(
    info: Info, case_filter: CaseFilterInput, first: int, after: str | None
) -> Connection[Case]:
    request = page_request(info, first, after, NEWEST)
    query_filter = _query_filter(case_filter)
    async with reading(info.context.sessionmaker)() as session:
        page = await page_cases(
            session=session, case_filter=query_filter, actor=info.context.actor, page=request
        )
    return connection_from_page(page, lambda row: Case(row=row))


async def jurisdiction_cases(
    info: Info, code: str, case_filter: CaseFilterInput, first: int, after: str | None
) -> Connection[Case]:
    """A jurisdiction's cases, batched with its siblings' in a list (``Loaders.cases_within``)."""
    request = page_request(info, first, after, NEWEST)
    query_filter = _query_filter(dataclasses.replace(case_filter, jurisdiction_code=None))
    page = await info.context.loaders.cases_within.load(
        (code, query_filter, info.context.actor, request)
    )
    return connection_from_page(page, lambda row: Case(row=row))
