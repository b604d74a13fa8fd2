"""``grids-geojson``: unit grids (网格) from a grid GIS, as a GeoJSON FeatureCollection.

Each feature is one grid: ``grid_code`` (15 digits, starting with its ``community_code``),
``name``, Polygon or MultiPolygon. A collection declaring ``"crs": "GCJ02"`` is converted to
WGS84. An invalid outline is repaired with ``make_valid`` when that is safe — the result is
polygonal and its area within 1% of the drawn one — and the repair is noted on the run;
otherwise the grid is refused with the reason. The hub's running processes index grids at
start-up, so a new outline locates cases once they restart.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pydantic import Field
from pydantic_settings import SettingsConfigDict
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from adapters.contract import (
    Adapter,
    AdapterSettings,
    Batch,
    Outcome,
    Parsed,
    Provenance,
    RecordRejectedError,
    Rejection,
    SourceRecord,
    SourceUnavailableError,
)
from adapters.fields import LAT_RANGE, LNG_RANGE, parse_time
from adapters.files import FileCursor, batches, digest_of, read_bytes, require_file, text_field
from hub.errors import DomainError
from hub.geo.crs import to_wgs84
from hub.geo.models import Grid, Jurisdiction, JurisdictionLevel

MAX_AREA_CHANGE = 0.01
MAX_VERTICES = 10_000


class GridSettings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_GRIDS_", frozen=True, extra="forbid")

    crs: str | None = Field(
        default=None, description="Override the collection's crs (WGS84, GCJ02 or BD09)."
    )


@dataclass(frozen=True, slots=True)
class GridItem:
    code: str
    name: str
    community_code: str
    boundary: bytes  # WKB, WGS84


def _crs(collection: dict[str, Any]) -> str:
    crs = collection.get("crs") or "WGS84"
    if isinstance(crs, dict):
        crs = str(crs.get("properties", {}).get("name", "WGS84"))
    return "GCJ02" if "GCJ" in str(crs).upper() else "BD09" if "BD" in str(crs).upper() else "WGS84"


class GridsAdapter(Adapter[GridSettings, FileCursor, GridItem]):
    name = "grids-geojson"
    summary = "Unit grids from a grid GIS: GeoJSON FeatureCollection, WGS84 or GCJ-02."
    settings_model = GridSettings
    cursor_model = FileCursor
    crs = "WGS84"
    communities: frozenset[str] = frozenset()

    async def check(self) -> None:
        require_file(Path(self.settings.source))

    async def read(self, cursor: FileCursor) -> AsyncIterator[Batch[FileCursor]]:
        data = await read_bytes(Path(self.settings.source))
        try:
            collection = json.loads(data)
            features = collection["features"]
        except (ValueError, KeyError, TypeError) as error:
            raise SourceUnavailableError(f"not a GeoJSON FeatureCollection: {error}") from error
        self.crs = self.settings.crs or _crs(collection)
        records = (
            SourceRecord(
                raw=f, source_id=text_field(f.get("properties") or {}, "grid_code") or None
            )
            if isinstance(f, dict)
            else SourceRecord(raw={"feature": f}, source_id=None, problem="not a GeoJSON feature")
            for f in features
        )
        async for batch in batches(
            records,
            cursor=cursor,
            digest=digest_of(data),
            size=self.settings.batch_size,
            total=len(features),
        ):
            yield batch

    async def prepare(self, session: AsyncSession) -> None:
        rows = await session.scalars(
            select(Jurisdiction.code).where(Jurisdiction.level == JurisdictionLevel.COMMUNITY)
        )
        self.communities = frozenset(rows)

    def parse(self, records: Sequence[SourceRecord]) -> list[Parsed[GridItem] | Rejection]:
        results: list[Parsed[GridItem] | Rejection] = []
        for record in records:
            try:
                results.append(self._parse(record))
            except DomainError as error:
                results.append(Rejection(record, error.message))
        return results

    def _parse(self, record: SourceRecord) -> Parsed[GridItem]:
        if record.problem:
            raise RecordRejectedError(record.problem)
        props = record.raw.get("properties") or {}
        code, community = text_field(props, "grid_code"), text_field(props, "community_code")
        if not (len(code) == 15 and code.isdigit()):
            raise RecordRejectedError(f"grid_code must be 15 digits: {code!r}")
        if not code.startswith(community) or len(community) != 12:
            raise RecordRejectedError(f"community_code {community!r} is not the grid's community")
        if community not in self.communities:
            raise RecordRejectedError(f"no community {community} in the hub")
        name = text_field(props, "name")
        if not name or len(name) > 100:
            raise RecordRejectedError("name is missing or longer than 100 characters")
        geometry = self._geometry(code, record.raw.get("geometry"))
        version = parse_time(text_field(props, "updated_at"), "updated_at")
        item = GridItem(code, name, community, shapely.to_wkb(geometry))
        return Parsed(record, Provenance(self.name, code, version), item)

    def _geometry(self, code: str, geojson: Any) -> BaseGeometry:
        try:
            geometry = shape(geojson)
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError) as e:
            raise RecordRejectedError(f"not a GeoJSON geometry: {e}") from e
        if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
            raise RecordRejectedError(
                f"a grid must be a Polygon or MultiPolygon, not {geometry.geom_type}"
            )
        if shapely.get_num_coordinates(geometry) > MAX_VERTICES:
            raise RecordRejectedError(f"the outline has more than {MAX_VERTICES} vertices")
        if self.crs != "WGS84":
            geometry = shapely.transform(geometry, self._to_wgs84)
        if not geometry.is_valid:
            geometry = self._repair(code, geometry)
        x0, y0, x1, y1 = geometry.bounds
        inside = (
            LNG_RANGE[0] <= x0 and x1 <= LNG_RANGE[1] and LAT_RANGE[0] <= y0 and y1 <= LAT_RANGE[1]
        )
        if not inside:
            raise RecordRejectedError("the outline lies outside Beijing")
        return geometry

    def _to_wgs84(self, coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lng, lat = to_wgs84(coords[:, 0], coords[:, 1], self.crs)
        return np.column_stack([lng, lat])

    def _repair(self, code: str, geometry: BaseGeometry) -> BaseGeometry:
        reason = shapely.is_valid_reason(geometry)
        repaired = shapely.make_valid(geometry)
        if repaired.geom_type == "GeometryCollection":
            parts = [g for g in repaired.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            repaired = shapely.union_all(parts) if parts else shapely.Polygon()
        drawn = abs(geometry.area)
        change = abs(repaired.area - drawn) / drawn if drawn > 0 else float("inf")
        safe = repaired.geom_type in ("Polygon", "MultiPolygon") and not repaired.is_empty
        if not safe or change > MAX_AREA_CHANGE:
            raise RecordRejectedError(
                f"invalid outline ({reason}) that cannot be repaired safely "
                f"(the repair would change its area by {change:.0%})"
            )
        self.note(f"grid {code}: repaired {reason} (area changed by {change:.2%})")
        return repaired

    async def write(self, session: AsyncSession, item: Parsed[GridItem]) -> Outcome:
        grid = item.item
        row = await session.get(Grid, grid.code, options=[undefer(Grid.boundary)])
        if row is None:
            session.add(
                Grid(
                    code=grid.code,
                    name=grid.name,
                    community_code=grid.community_code,
                    boundary=grid.boundary,
                    boundary_synthetic=False,
                )
            )
            await session.flush()
            return Outcome.CREATED
        same = (row.name, row.community_code, row.boundary, row.boundary_synthetic) == (
            grid.name,
            grid.community_code,
            grid.boundary,
            False,
        )
        if same:
            return Outcome.UNCHANGED
        row.name, row.community_code, row.boundary = grid.name, grid.community_code, grid.boundary
        row.boundary_synthetic = False
        await session.flush()
        return Outcome.UPDATED
