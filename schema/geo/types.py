"""Jurisdictions, grids and located points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import shapely
import strawberry

from hub.geo import service as geo
from hub.geo.models import Grid as GridRow
from hub.geo.models import Jurisdiction as JurisdictionRow
from hub.pagination import BY_CODE
from schema.context import Info
from schema.core.enums import CRS, JurisdictionLevel
from schema.core.pages import page_request
from schema.core.relay import Connection, Node, connection_from_page
from schema.core.rows import from_row
from schema.core.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.cases.types import Case, CaseFilterInput
    from schema.departments.types import Department
    from schema.whistles.types import Whistle, WhistleFilterInput

DepartmentRef = Annotated["Department", strawberry.lazy("schema.departments.types")]
CaseRef = Annotated["Case", strawberry.lazy("schema.cases.types")]
CaseFilterRef = Annotated["CaseFilterInput", strawberry.lazy("schema.cases.types")]
WhistleRef = Annotated["Whistle", strawberry.lazy("schema.whistles.types")]
WhistleFilterRef = Annotated["WhistleFilterInput", strawberry.lazy("schema.whistles.types")]

SYNTHETIC_NOTE = (
    "Street office, community and grid outlines are synthetic (generated inside the real "
    "district outlines; no open data exists); district outlines are real."
)


def wkb_to_geojson(wkb: bytes | None) -> GeoJSON | None:
    if wkb is None:
        return None
    return GeoJSON(shapely.geometry.mapping(shapely.from_wkb(wkb)))


@strawberry.type(description="A point in WGS84.")
class GeoPoint:
    lat: float
    lng: float


@strawberry.input(description="A point; converted to WGS84 at the edge.")
class GeoPointInput:
    lat: float
    lng: float
    crs: CRS = CRS.WGS84


@strawberry.type(description="A node of the tree: city → district → street office → community.")
class Jurisdiction(Node):
    row: strawberry.Private[JurisdictionRow]

    def node_key(self) -> str:
        return self.row.code

    code = from_row("code", str, description="Official division code (6, 9 or 12 digits).")
    name = from_row("name", str)
    level = from_row("level", JurisdictionLevel)
    kind = from_row(
        "kind",
        str,
        description="STREET, TOWN, TOWNSHIP, AREA, SPECIAL_ZONE for street offices; "
        "RESIDENTS_COMMITTEE, VILLAGE_COMMITTEE, VIRTUAL for communities.",
    )

    @strawberry.field
    async def parent(self, info: Info) -> Jurisdiction | None:
        if self.row.parent_code is None:
            return None
        return wrap_jurisdiction(await info.context.loaders.jurisdiction.load(self.row.parent_code))

    @strawberry.field(description="Direct children, ordered by code.")
    async def children(self, info: Info) -> list[Jurisdiction]:
        rows = await info.context.loaders.children.load(self.row.code)
        return [Jurisdiction(row=row) for row in rows]

    @strawberry.field(description="From the city down to the parent.")
    async def ancestors(self, info: Info) -> list[Jurisdiction]:
        rows = await info.context.loaders.jurisdiction.load_many(geo.ancestor_codes(self.row.code))
        return [Jurisdiction(row=row) for row in rows if row is not None]

    @strawberry.field(description=f"Outline (GeoJSON, WGS84). {SYNTHETIC_NOTE}")
    async def boundary(self, info: Info) -> GeoJSON | None:
        wkb, _ = await info.context.loaders.jurisdiction_boundary.load(self.row.code)
        return wkb_to_geojson(wkb)

    boundary_synthetic = from_row(
        "boundary_synthetic", bool, description="True when the outline is synthetic, not official."
    )

    @strawberry.field(description="Departments seated at this jurisdiction, ordered by code.")
    async def departments(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[DepartmentRef]:
        from schema.departments.types import Department

        page = await info.context.loaders.departments_page.load(
            (self.row.code, page_request(info, first, after, BY_CODE))
        )
        return connection_from_page(page, lambda row: Department(row=row))

    @strawberry.field(
        description="Cases within it (descendants included) you may see, newest first."
    )
    async def cases(
        self,
        info: Info,
        filter: CaseFilterRef | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[CaseRef]:
        from schema.cases.types import CaseFilterInput, jurisdiction_cases

        return await jurisdiction_cases(
            info, self.row.code, filter or CaseFilterInput(), first, after
        )

    @strawberry.field(
        description="Whistles called or partnered within it (descendants included) you may see, "
        "newest first."
    )
    async def whistles(
        self,
        info: Info,
        filter: WhistleFilterRef | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[WhistleRef]:
        from schema.whistles.types import WhistleFilterInput, jurisdiction_whistles

        return await jurisdiction_whistles(
            info, self.row.code, filter or WhistleFilterInput(), first, after
        )

    @strawberry.field(description="Unit grids within this jurisdiction, ordered by code.")
    async def grids(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Grid]:
        page = await info.context.loaders.grids_page.load(
            (self.row.code, page_request(info, first, after, BY_CODE))
        )
        return connection_from_page(page, lambda row: Grid(row=row))


@strawberry.type(description="A unit grid (网格); code = district 6 + street 3 + community 3 + 3.")
class Grid(Node):
    row: strawberry.Private[GridRow]

    def node_key(self) -> str:
        return self.row.code

    code = from_row("code", str)
    name = from_row("name", str)

    @strawberry.field
    async def community(self, info: Info) -> Jurisdiction:
        row = await info.context.loaders.jurisdiction.load(self.row.community_code)
        assert row is not None, "grid without its community"
        return Jurisdiction(row=row)

    @strawberry.field(description=f"Outline (GeoJSON, WGS84). {SYNTHETIC_NOTE}")
    async def boundary(self, info: Info) -> GeoJSON:
        geometry = wkb_to_geojson(await info.context.loaders.grid_boundary.load(self.row.code))
        assert geometry is not None, "grid without its outline"
        return geometry

    boundary_synthetic = from_row(
        "boundary_synthetic", bool, description="True: grid outlines are synthetic."
    )


@strawberry.type(description="Where a point lies: its grid and every level above it.")
class Location:
    point: GeoPoint
    grid_code: strawberry.Private[str]

    @strawberry.field
    async def grid(self, info: Info) -> Grid | None:
        row = await info.context.loaders.grid.load(self.grid_code)
        return Grid(row=row) if row else None

    @strawberry.field
    async def community(self, info: Info) -> Jurisdiction | None:
        return await _jurisdiction(info, self.grid_code[:12])

    @strawberry.field
    async def subdistrict(self, info: Info) -> Jurisdiction | None:
        return await _jurisdiction(info, self.grid_code[:9])

    @strawberry.field
    async def district(self, info: Info) -> Jurisdiction | None:
        return await _jurisdiction(info, self.grid_code[:6])


@strawberry.type(description="The street offices (and districts) an area touches.")
class AreaLocation:
    subdistrict_codes: strawberry.Private[list[str]]

    @strawberry.field(description="Every street office the area overlaps, ordered by code.")
    async def subdistricts(self, info: Info) -> list[Jurisdiction]:
        rows = await info.context.loaders.jurisdiction.load_many(self.subdistrict_codes)
        return [Jurisdiction(row=row) for row in rows if row is not None]

    @strawberry.field
    async def districts(self, info: Info) -> list[Jurisdiction]:
        codes = sorted({code[:6] for code in self.subdistrict_codes})
        rows = await info.context.loaders.jurisdiction.load_many(codes)
        return [Jurisdiction(row=row) for row in rows if row is not None]

    @strawberry.field(description="True when the area lies in more than one street office.")
    def crosses_boundary(self) -> bool:
        return len(self.subdistrict_codes) > 1


def wrap_jurisdiction(row: JurisdictionRow | None) -> Jurisdiction | None:
    return Jurisdiction(row=row) if row is not None else None


async def _jurisdiction(info: Info, code: str) -> Jurisdiction | None:
    return wrap_jurisdiction(await info.context.loaders.jurisdiction.load(code))
