"""The root Query: reference data (jurisdictions, grids, departments, categories) and locating."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from hub.auth.policy import may_read_cases, may_see_case
from hub.departments import service as departments
from hub.errors import DomainError
from hub.geo import service as geo
from hub.geo.models import level_of_code
from schema.audit_query import AuditQuery
from schema.context import Info
from schema.errors import PublicError
from schema.metrics_query import MetricsQuery
from schema.pages import page_request
from schema.relay import (
    Connection,
    InvalidGlobalIdError,
    Node,
    connection_from_page,
    from_global_id,
)
from schema.scalars import GeoJSON
from schema.types.actor import Actor
from schema.types.adapters import AdapterQuery, load_adapter_run
from schema.types.cases import Case, CaseFilterInput, cases_connection
from schema.types.departments import Category, Department
from schema.types.enums import JurisdictionLevel
from schema.types.geo import AreaLocation, GeoPoint, GeoPointInput, Grid, Jurisdiction, Location
from schema.whistles_query import WhistleQuery, load_summons_node, load_whistle_node

MAX_NODES = 100


async def _load_jurisdiction(info: Info, key: str) -> Node | None:
    row = await info.context.loaders.jurisdiction.load(key)
    return Jurisdiction(row=row) if row else None


async def _load_grid(info: Info, key: str) -> Node | None:
    row = await info.context.loaders.grid.load(key)
    return Grid(row=row) if row else None


async def _load_department(info: Info, key: str) -> Node | None:
    row = await info.context.loaders.department.load(key)
    return Department(row=row) if row else None


async def _load_category(info: Info, key: str) -> Node | None:
    rows = await info.context.loaders.all_categories.load(0)
    return next((Category(row=row) for row in rows if row.code == key), None)


async def _load_case(info: Info, key: str) -> Node | None:
    return await visible_case(info, key)


async def visible_case(info: Info, number: str) -> Case | None:
    """A case by number if the actor may see it; null otherwise (existence is not revealed)."""
    if not may_read_cases(info.context.actor):
        return None
    row = await info.context.loaders.case_by_number.load(number)
    if row is None:
        return None
    crossed = await info.context.loaders.case_crossed.load(row.id)
    dispatched = [
        d.department_code for d in await info.context.loaders.case_dispatches.load(row.id)
    ]
    summoned = await info.context.loaders.case_summoned.load(row.id)
    visible = may_see_case(info.context.actor, row, crossed, dispatched, summoned)
    return Case(row=row) if visible else None


NODE_LOADERS: dict[str, Callable[[Info, str], Awaitable[Node | None]]] = {
    "Jurisdiction": _load_jurisdiction,
    "Grid": _load_grid,
    "Department": _load_department,
    "Category": _load_category,
    "Case": _load_case,
    "AdapterRun": load_adapter_run,
    "Whistle": load_whistle_node,
    "Summons": load_summons_node,
}


async def resolve_node(info: Info, global_id: str) -> Node | None:
    """Any entity by global id; an unknown or malformed id is simply not found."""
    try:
        type_name, key = from_global_id(global_id)
    except InvalidGlobalIdError:
        return None
    loader = NODE_LOADERS.get(type_name)
    return await loader(info, key) if loader else None


def _raise_public(error: DomainError) -> None:
    raise PublicError(error.code, error.message, field=error.field) from error


@strawberry.type
class Query(MetricsQuery, WhistleQuery, AdapterQuery, AuditQuery):
    @strawberry.field(description="Fetches an object given its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Fetches objects given their global ids (at most 100).")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise PublicError("TOO_MANY_IDS", f"at most {MAX_NODES} ids at once")
        return [await resolve_node(info, global_id) for global_id in ids]

    @strawberry.field(description="The actor behind this request; null without a token.")
    def me(self, info: Info) -> Actor | None:
        actor = info.context.actor
        return None if actor.is_anonymous else Actor(record=actor)

    @strawberry.field(description="A jurisdiction by its division code.")
    async def jurisdiction(self, info: Info, code: str) -> Jurisdiction | None:
        if level_of_code(code) is None:
            return None
        row = await info.context.loaders.jurisdiction.load(code)
        return Jurisdiction(row=row) if row else None

    @strawberry.field(description="Jurisdictions by level, parent and a code prefix or name part.")
    async def jurisdictions(
        self,
        info: Info,
        level: JurisdictionLevel | None = None,
        parent_code: str | None = None,
        search: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Jurisdiction]:
        request = page_request(first, after)
        async with info.context.sessionmaker() as session:
            page = await geo.page_jurisdictions(
                session=session, level=level, parent_code=parent_code, search=search, page=request
            )
        return connection_from_page(page, lambda row: Jurisdiction(row=row))

    @strawberry.field(description="The grid, community, street office and district of a point.")
    def locate(self, info: Info, point: GeoPointInput) -> Location:
        try:
            lng, lat, grid_code = info.context.geo.locate(
                lng=point.lng, lat=point.lat, crs=point.crs.value
            )
        except DomainError as error:
            _raise_public(error)
            raise
        return Location(point=GeoPoint(lat=lat, lng=lng), grid_code=grid_code)

    @strawberry.field(description="Every street office a polygon (GeoJSON, WGS84) touches.")
    def locate_area(self, info: Info, area: GeoJSON) -> AreaLocation:
        try:
            codes = info.context.geo.subdistricts_touching(area)
        except DomainError as error:
            _raise_public(error)
            raise
        return AreaLocation(subdistrict_codes=codes)

    @strawberry.field(description="A unit grid by its 15-digit code.")
    async def grid(self, info: Info, code: str) -> Grid | None:
        row = await info.context.loaders.grid.load(code)
        return Grid(row=row) if row else None

    @strawberry.field(description="A department by code, e.g. `110102.URBAN_MANAGEMENT`.")
    async def department(self, info: Info, code: str) -> Department | None:
        row = await info.context.loaders.department.load(code)
        return Department(row=row) if row else None

    @strawberry.field(
        description="Departments within a jurisdiction (descendants included) that answer "
        "for a category."
    )
    async def departments(
        self,
        info: Info,
        jurisdiction_code: str | None = None,
        category_code: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Department]:
        request = page_request(first, after)
        if jurisdiction_code is not None and level_of_code(jurisdiction_code) is None:
            raise PublicError("UNKNOWN_JURISDICTION", f"no jurisdiction {jurisdiction_code!r}")
        async with info.context.sessionmaker() as session:
            page = await departments.page_departments(
                session=session,
                jurisdiction_code=jurisdiction_code,
                category_code=category_code,
                page=request,
            )
        return connection_from_page(page, lambda row: Department(row=row))

    @strawberry.field(description="The category tree's roots (each with its children).")
    async def categories(self, info: Info) -> list[Category]:
        rows = await info.context.loaders.all_categories.load(0)
        return [Category(row=row) for row in rows if row.parent_code is None]

    @strawberry.field(name="case", description="A case by number, if you may see it.")
    async def case_(self, info: Info, number: str) -> Case | None:
        return await visible_case(info, number)

    @strawberry.field(description="Cases you may see, newest first.")
    async def cases(
        self,
        info: Info,
        filter: CaseFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Case]:
        return await cases_connection(info, filter or CaseFilterInput(), first, after)

    @strawberry.field(description="A category by code.")
    async def category(self, info: Info, code: str) -> Category | None:
        node = await _load_category(info, code)
        return node if isinstance(node, Category) else None
