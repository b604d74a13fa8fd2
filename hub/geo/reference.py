"""Typed access to the reference data bundled in `hub/geo/data/` (see SOURCES.md there).

The files are real: division codes of the National Bureau of Statistics (2022-10-31) and district
outlines in WGS84. Loaders return tuples of frozen dataclasses and are memoised in memory, since
the files never change while the process runs; nothing is cached on disk.

Kinds are derived from the code rules rather than from names, because the codes are what other
departments' systems send us; the one exception is "AREA", which the code rules cannot tell apart
from an ordinary street office (both are 001-099), so it is recognised by the "地区" suffix.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

__all__ = [
    "CITY_CODE",
    "AnchorRecord",
    "CommunityKind",
    "CommunityRecord",
    "DistrictRecord",
    "StreetKind",
    "StreetRecord",
    "community_kind",
    "load_anchors",
    "load_city_outline",
    "load_communities",
    "load_districts",
    "load_streets",
    "street_kind",
]

CITY_CODE = "110000"

StreetKind = Literal["STREET", "AREA", "TOWN", "TOWNSHIP", "SPECIAL_ZONE"]
CommunityKind = Literal["RESIDENTS_COMMITTEE", "VILLAGE_COMMITTEE", "VIRTUAL"]


@dataclass(frozen=True, slots=True)
class DistrictRecord:
    """The city (110000) or one of its 16 districts, with its real outline (WGS84 lng/lat)."""

    code: str
    name: str
    geometry: BaseGeometry


@dataclass(frozen=True, slots=True)
class StreetRecord:
    """A township-level unit: street office, area office, town, township or special zone."""

    code: str
    name: str
    district_code: str
    kind: StreetKind


@dataclass(frozen=True, slots=True)
class CommunityRecord:
    """A village-level unit: residents' committee, village committee or virtual unit."""

    code: str
    name: str
    street_code: str
    kind: CommunityKind

    @property
    def short_name(self) -> str:
        """Name without the committee suffix, as people say it: "多福巷社区", "楼梓庄村"."""
        return _short_community_name(self.name)


@dataclass(frozen=True, slots=True)
class AnchorRecord:
    """Approximate centre (±1 km, WGS84) of a street office named in the seed articles."""

    code: str
    name: str
    lng: float
    lat: float


def street_kind(code: str, name: str) -> StreetKind:
    """Kind of a 9-digit street code from its digits 7-9 (and the 地区 suffix for areas)."""
    serial = _serial(code, 9)
    if 1 <= serial <= 99:
        return "AREA" if name.endswith("地区") else "STREET"
    if 100 <= serial <= 199:
        return "TOWN"
    if 200 <= serial <= 399:
        return "TOWNSHIP"
    if 400 <= serial <= 599:
        return "SPECIAL_ZONE"
    raise ValueError(f"street code {code!r} has no known kind")


def community_kind(code: str) -> CommunityKind:
    """Kind of a 12-digit community code from its digits 10-12."""
    serial = _serial(code, 12)
    if 1 <= serial <= 199:
        return "RESIDENTS_COMMITTEE"
    if 200 <= serial <= 399:
        return "VILLAGE_COMMITTEE"
    return "VIRTUAL"


def _serial(code: str, length: int) -> int:
    if len(code) != length or not code.isdigit():
        raise ValueError(f"expected a {length}-digit code, got {code!r}")
    return int(code[-3:])


# Longest suffix first: "居民委员会" must win over "委员会".
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("居民委员会", "社区"),
    ("村民委员会", "村"),
    ("居委会", "社区"),
    ("村委会", "村"),
)


def _short_community_name(name: str) -> str:
    for suffix, noun in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(noun) else stem + noun
    return name


def _read_text(filename: str) -> str:
    return resources.files("hub.geo").joinpath("data", filename).read_text(encoding="utf-8")


def _read_csv(filename: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_read_text(filename))))


@cache
def _district_features() -> tuple[DistrictRecord, ...]:
    collection: dict[str, Any] = json.loads(_read_text("districts.geojson"))
    records = [
        DistrictRecord(
            code=str(feature["properties"]["code"]),
            name=str(feature["properties"]["name"]),
            geometry=shape(feature["geometry"]),
        )
        for feature in collection["features"]
    ]
    return tuple(sorted(records, key=lambda r: r.code))


def load_city_outline() -> DistrictRecord:
    """The outline of Beijing as a whole (code 110000)."""
    return next(r for r in _district_features() if r.code == CITY_CODE)


def load_districts() -> tuple[DistrictRecord, ...]:
    """The 16 districts, sorted by code, with their outlines as published (not repaired)."""
    return tuple(r for r in _district_features() if r.code != CITY_CODE)


@cache
def load_streets() -> tuple[StreetRecord, ...]:
    """The 349 township-level units, sorted by code."""
    rows = _read_csv("streets.csv")
    records = (
        StreetRecord(r["code"], r["name"], r["district_code"], street_kind(r["code"], r["name"]))
        for r in rows
    )
    return tuple(sorted(records, key=lambda r: r.code))


@cache
def load_communities() -> tuple[CommunityRecord, ...]:
    """The 7,535 village-level units, sorted by code."""
    rows = _read_csv("communities.csv")
    records = (
        CommunityRecord(r["code"], r["name"], r["street_code"], community_kind(r["code"]))
        for r in rows
    )
    return tuple(sorted(records, key=lambda r: r.code))


@cache
def load_anchors() -> tuple[AnchorRecord, ...]:
    """Approximate centres of the 21 named street offices, sorted by code."""
    rows = _read_csv("street_anchors.csv")
    records = (AnchorRecord(r["code"], r["name"], float(r["lng"]), float(r["lat"])) for r in rows)
    return tuple(sorted(records, key=lambda r: r.code))
