"""Root fields over geography: jurisdiction(s), grid, locate, locateArea."""

from __future__ import annotations

import strawberry

from hub.geo import service as geo
from hub.geo.models import level_of_code
from hub.pagination import BY_CODE
from schema.context import Info
from schema.core.enums import JurisdictionLevel
from schema.core.inputs import search_text
from schema.core.pages import page_request
from schema.core.relay import Connection, Node, connection_from_page
from schema.core.scalars import GeoJSON
from schema.geo.types import AreaLocation, GeoPoint, GeoPointInput, Grid, Jurisdiction, Location


async def load_jurisdiction_node(info: Info, key: str) -> Node | None:
    row = await info.context.loaders.jurisdiction.load(key)
    return Jurisdiction(row=row) if row else None


async def load_grid_node(info: Info, key: str) -> Node | None:
    row = await info.context.loaders.grid.load(key)
    return Grid(row=row) if row else None


@strawberry.type
class GeoQuery:
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
        request = page_request(info, first, after, BY_CODE)
        search_text(search, "search")
        async with info.context.sessionmaker() as session:
            page = await geo.page_jurisdictions(
                session=session, level=level, parent_code=parent_code, search=search, page=request
            )
        return connection_from_page(page, lambda row: Jurisdiction(row=row))

    @strawberry.field(description="The grid, community, street office and district of a point.")
    def locate(self, info: Info, point: GeoPointInput) -> Location:
        lng, lat, grid_code = info.context.geo.locate(
            lng=point.lng, lat=point.lat, crs=point.crs.value
        )
        return Location(point=GeoPoint(lat=lat, lng=lng), grid_code=grid_code)

    @strawberry.field(description="Every street office a polygon (GeoJSON, WGS84) touches.")
    def locate_area(self, info: Info, area: GeoJSON) -> AreaLocation:
        codes = info.context.geo.subdistricts_touching(area)
        return AreaLocation(subdistrict_codes=codes)

    @strawberry.field(description="A unit grid by its 15-digit code.")
    async def grid(self, info: Info, code: str) -> Grid | None:
        row = await info.context.loaders.grid.load(code)
        return Grid(row=row) if row else None
