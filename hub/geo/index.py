"""The in-memory spatial index a hub process answers ``locate`` from.

Built once per process from the grid and street office outlines in the database (each
process of a deployment builds its own; the data is reference data and changes rarely).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.errors import ErrorCode, GeographyNotLoadedError, InvalidGeometryError, OutsideCityError
from hub.geo.crs import to_wgs84
from hub.geo.locator import Locator
from hub.geo.models import Grid, Jurisdiction, JurisdictionLevel

MAX_FOOTPRINT_VERTICES = 10_000


class GeoIndex:
    def __init__(self) -> None:
        self._locator: Locator | None = None
        self._addresses: AddressIndex | None = None

    @property
    def loaded(self) -> bool:
        return self._locator is not None

    async def load(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        async with sessionmaker() as session:
            grids = (await session.execute(select(Grid.code, Grid.boundary))).all()
            streets = (
                await session.execute(
                    select(Jurisdiction.code, Jurisdiction.boundary, Jurisdiction.name).where(
                        Jurisdiction.level == JurisdictionLevel.SUBDISTRICT
                    )
                )
            ).all()
            districts = (
                await session.execute(
                    select(Jurisdiction.code, Jurisdiction.name).where(
                        Jurisdiction.level == JurisdictionLevel.DISTRICT
                    )
                )
            ).all()
        if not grids:
            self._locator = None
            return
        self._locator = Locator(
            [code for code, _ in grids],
            list(shapely.from_wkb([wkb for _, wkb in grids])),
            [code for code, _, _ in streets],
            list(shapely.from_wkb([wkb for _, wkb, _ in streets])),
        )
        self._addresses = AddressIndex(
            [(code, name) for code, _, name in streets], [(code, name) for code, name in districts]
        )

    @property
    def locator(self) -> Locator:
        if self._locator is None:
            raise GeographyNotLoadedError("the geography is not loaded: run `hub demo` first")
        return self._locator

    def locate(self, *, lng: float, lat: float, crs: str = "WGS84") -> tuple[float, float, str]:
        """(WGS84 lng, WGS84 lat, grid code) of a point; outside the city is an error."""
        if not (math.isfinite(lng) and math.isfinite(lat)) or abs(lat) > 90 or abs(lng) > 180:
            raise OutsideCityError(f"not a valid coordinate: lat {lat}, lng {lng}", field="point")
        wlng, wlat = to_wgs84(lng, lat, crs)
        code = self.locator.locate(float(wlng), float(wlat))
        if code is None:
            raise OutsideCityError(
                f"the point lat {lat}, lng {lng} ({crs}) lies outside Beijing", field="point"
            )
        return float(wlng), float(wlat), code

    def street_named_in(self, address: str, *, district_name: str | None = None) -> str:
        """The street office an address names (for cases that arrive without a point)."""
        if self._addresses is None:
            raise GeographyNotLoadedError("the geography is not loaded: run `hub demo` first")
        return self._addresses.match(address, district_name=district_name)

    def subdistricts_touching(self, footprint: Any) -> list[str]:
        """Every street office a GeoJSON polygon (WGS84) overlaps; none is an error."""
        geometry = parse_polygon(footprint)
        codes = self.locator.subdistricts_touching(geometry)
        if not codes:
            raise OutsideCityError("the area lies outside Beijing", field="footprint")
        return codes


def parse_polygon(footprint: Any) -> Any:
    """A valid (Multi)Polygon from GeoJSON, or InvalidGeometryError saying why not."""
    try:
        geometry = shape(footprint)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError) as err:
        raise InvalidGeometryError(f"not a GeoJSON geometry: {err}", field="footprint") from err
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise InvalidGeometryError(
            "the footprint must be a Polygon or MultiPolygon", field="footprint"
        )
    if shapely.get_num_coordinates(geometry) > MAX_FOOTPRINT_VERTICES:
        raise InvalidGeometryError("the footprint has too many vertices", field="footprint")
    if geometry.is_empty or not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise InvalidGeometryError(f"invalid polygon: {reason}", field="footprint")
    return geometry


class AddressNotLocatedError(OutsideCityError):
    code = ErrorCode.ADDRESS_NOT_LOCATED


def _short(name: str) -> str:
    """``广安门外街道`` → ``广安门外`` (addresses often drop the suffix)."""
    for suffix in ("街道办事处", "地区办事处", "街道", "地区", "镇", "乡"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class AddressIndex:
    """Street offices named in free text; the fallback when a case arrives without a point."""

    def __init__(self, streets: list[tuple[str, str]], districts: list[tuple[str, str]]) -> None:
        self._districts = {code: name for code, name in districts}
        # Every full and short name, to find the ones a text holds by looking up its
        # substrings (a text is short; there are hundreds of names).
        self._names: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        self._lengths_of: dict[str, tuple[int, int]] = {}  # code → (full, short) name length
        for code, name in streets:
            short = _short(name)
            self._names[name].append((code, True))
            if short != name:
                self._names[short].append((code, False))
            self._lengths_of[code] = (len(name), len(short))
        self._lengths = sorted({len(name) for name in self._names})

    def _named_in(self, text: str) -> list[tuple[int, str]]:
        """(length, code) of every street office ``text`` names, by its full name if it can."""
        full: set[str] = set()
        short: set[str] = set()
        for start in range(len(text)):
            for length in self._lengths:
                if start + length > len(text):
                    break
                for code, is_full in self._names.get(text[start : start + length], ()):
                    (full if is_full else short).add(code)
        return [(self._lengths_of[code][0 if code in full else 1], code) for code in full | short]

    def match(self, address: str, *, district_name: str | None = None) -> str:
        """The one street office ``address`` names; ambiguity or silence is an error."""
        text = address.replace(" ", "")
        # A street named in full outranks one named by its short form ("海淀区清河街道" is
        # 清河街道, not 海淀街道 by the district's name); longer names outrank shorter ones.
        hits = self._named_in(text)
        district_hint = district_name or next(
            (name for name in self._districts.values() if name in text), None
        )
        if district_hint:
            hits = [hit for hit in hits if self._districts.get(hit[1][:6]) == district_hint] or hits
        if not hits:
            raise AddressNotLocatedError(
                f"no street office of Beijing is named in the address {address!r}", field="address"
            )
        hits.sort(reverse=True)
        best = [code for length, code in hits if length == hits[0][0]]
        if len(set(best)) > 1:
            raise AddressNotLocatedError(
                f"the address {address!r} names several street offices ({', '.join(sorted(best))})",
                field="address",
            )
        return best[0]
