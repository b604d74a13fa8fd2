"""Point-in-grid location: which unit grid (网格) contains a WGS84 point.

A grid code's prefixes are its community (12 digits), street office (9) and district (6), so
locating the grid is all the hub needs to route a report to every level.

`locate_many` does not build shapely Point objects (creating a million of them costs more than
the whole lookup). A uniform bucket index over the grids' bounding boxes gives each point its
candidate grids with plain numpy arithmetic, and `shapely.intersects_xy` on prepared geometries
does the exact test. `locate` takes the STRtree path instead, so the two are independent
implementations of the same rule that the tests can check against each other.

Rule on shared boundaries: a point on the border of several grids belongs to the grid with the
lowest code, so answers do not depend on input order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

if TYPE_CHECKING:
    from hub.geo.synth import City

__all__ = ["MIN_OVERLAP_AREA", "Locator"]

GeomArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Geometries = Sequence[BaseGeometry] | GeomArray

# Buckets per grid: more buckets mean fewer false candidates per point but a bigger index.
_BUCKETS_PER_GEOMETRY: Final = 4
_MAX_BUCKETS: Final = 1 << 22
# Square degrees; see `Locator.subdistricts_touching`.
MIN_OVERLAP_AREA: Final = 1e-12


class _BucketIndex:
    """Regular lattice of buckets over the bounds; each lists the geometries whose bbox meets it."""

    def __init__(self, geometries: GeomArray) -> None:
        bounds = shapely.bounds(geometries)
        self.bounds: FloatArray = bounds
        self.x0, self.y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        width = float(bounds[:, 2].max()) - self.x0
        height = float(bounds[:, 3].max()) - self.y0
        target = min(_BUCKETS_PER_GEOMETRY * len(geometries), _MAX_BUCKETS)
        self.size = max(math.sqrt(width * height / target), width / target, height / target, 1e-9)
        self.nx = math.floor(width / self.size) + 1
        self.ny = math.floor(height / self.size) + 1
        c0, r0 = self._cell(bounds[:, 0], bounds[:, 1])
        c1, r1 = self._cell(bounds[:, 2], bounds[:, 3])
        ncols = c1 - c0 + 1
        counts = ncols * (r1 - r0 + 1)
        owner = np.repeat(np.arange(len(geometries), dtype=np.int64), counts)
        offset = np.arange(len(owner), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        bucket = (r0[owner] + offset // ncols[owner]) * self.nx + c0[owner] + offset % ncols[owner]
        # Stable sort keeps each bucket's geometries in index order, i.e. in code order.
        order = np.argsort(bucket, kind="stable")
        self.members: IntArray = owner[order]
        self.starts: IntArray = np.zeros(self.nx * self.ny + 1, dtype=np.int64)
        np.cumsum(np.bincount(bucket, minlength=self.nx * self.ny), out=self.starts[1:])

    def _cell(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
        # floor((x - x0) / size) is monotonic in x, so a point inside a bbox lands in a bucket
        # within that bbox's bucket range even when the division rounds.
        col = np.floor((x - self.x0) / self.size)
        row = np.floor((y - self.y0) / self.size)
        return col.astype(np.int64), row.astype(np.int64)

    def candidates(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
        """(point index, geometry index) pairs, grouped by point, geometries in index order."""
        with np.errstate(invalid="ignore"):
            col_f = np.floor((x - self.x0) / self.size)
            row_f = np.floor((y - self.y0) / self.size)
        inside = (col_f >= 0) & (col_f < self.nx) & (row_f >= 0) & (row_f < self.ny)
        points = np.flatnonzero(inside)
        bucket = row_f[points].astype(np.int64) * self.nx + col_f[points].astype(np.int64)
        first, counts = self.starts[bucket], self.starts[bucket + 1] - self.starts[bucket]
        point = np.repeat(points, counts)
        offset = np.arange(len(point), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        member = self.members[np.repeat(first, counts) + offset]
        # A bounding-box test in numpy is far cheaper than the exact test it saves.
        box = self.bounds[member]
        px, py = x[point], y[point]
        near = (box[:, 0] <= px) & (px <= box[:, 2]) & (box[:, 1] <= py) & (py <= box[:, 3])
        return point[near], member[near]


class Locator:
    """Locate WGS84 points in unit grids; find street offices under a footprint.

    Build it from plain sequences (for instance rows read from the database, see `from_wkb`) or
    from a synthetic `City` (`from_city`). Street office outlines are optional: without them,
    `subdistricts_touching` works from the grids, which tile the streets.
    """

    def __init__(
        self,
        grid_codes: Sequence[str],
        grid_geometries: Geometries,
        street_codes: Sequence[str] = (),
        street_geometries: Geometries = (),
    ) -> None:
        self._grid_codes, self._grids = _sorted_by_code(grid_codes, grid_geometries)
        self._street_codes, self._streets = _sorted_by_code(street_codes, street_geometries)
        if len(self._grids) == 0:
            raise ValueError("a Locator needs at least one grid")
        shapely.prepare(self._grids)
        shapely.prepare(self._streets)
        self._grid_tree = shapely.STRtree(self._grids)
        self._street_tree = shapely.STRtree(self._streets)
        self._buckets = _BucketIndex(self._grids)

    @classmethod
    def from_city(cls, city: City) -> Locator:
        """Index the grids and street offices of a (synthetic) city."""
        return cls(
            [g.code for g in city.grids],
            [g.geometry for g in city.grids],
            [s.code for s in city.streets],
            [s.geometry for s in city.streets],
        )

    @classmethod
    def from_wkb(
        cls,
        grids: Iterable[tuple[str, bytes]],
        streets: Iterable[tuple[str, bytes]] = (),
    ) -> Locator:
        """Index (code, WKB) rows, e.g. `SELECT code, boundary FROM grid`."""
        grid_codes, grid_wkb = _unzip(grids)
        street_codes, street_wkb = _unzip(streets)
        return cls(
            grid_codes, shapely.from_wkb(grid_wkb), street_codes, shapely.from_wkb(street_wkb)
        )

    @property
    def grid_codes(self) -> tuple[str, ...]:
        """All indexed grid codes, sorted."""
        return tuple(self._grid_codes.tolist())

    def locate(self, lng: float, lat: float) -> str | None:
        """Code of the grid containing (lng, lat) in WGS84, or None outside every grid."""
        hits = self._grid_tree.query(shapely.Point(lng, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        # Grids are stored sorted by code, so the lowest index is the lowest code.
        return str(self._grid_codes[int(hits.min())])

    def locate_many(self, lngs: npt.ArrayLike, lats: npt.ArrayLike) -> list[str | None]:
        """`locate` for many points at once (WGS84 arrays of equal length)."""
        x = np.asarray(lngs, dtype=np.float64).ravel()
        y = np.asarray(lats, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError("lngs and lats must have the same length")
        point, grid = self._buckets.candidates(x, y)
        hit = shapely.intersects_xy(self._grids[grid], x[point], y[point])
        point, grid = point[hit], grid[hit]
        # Pairs come grouped by point with grids ascending, so the first hit is the lowest code.
        first = np.ones(len(point), dtype=bool)
        first[1:] = point[1:] != point[:-1]
        found: GeomArray = np.full(len(x), None, dtype=object)
        found[point[first]] = self._grid_codes[grid[first]]
        result: list[str | None] = found.tolist()
        return result

    def subdistricts_touching(
        self, geometry: BaseGeometry, min_area: float = MIN_OVERLAP_AREA
    ) -> list[str]:
        """Sorted street office codes whose area overlaps `geometry` (WGS84).

        For a polygonal footprint only an overlap of more than `min_area` square degrees counts:
        sharing a boundary line or a corner does not. The threshold is there because stored
        outlines never match bit for bit along shared borders; the resulting slivers are below
        1e-15 deg² (~1e-5 m²), while the default 1e-12 deg² is ~0.01 m². Points and lines have
        no area, so for them any contact counts.
        """
        if len(self._streets) > 0:
            codes, tree, geometries = self._street_codes, self._street_tree, self._streets
        else:
            codes, tree, geometries = self._grid_codes, self._grid_tree, self._grids
        candidates = tree.query(geometry, predicate="intersects")
        if shapely.get_dimensions(geometry) == 2 and len(candidates) > 0:
            overlap = shapely.area(shapely.intersection(geometry, geometries[candidates]))
            candidates = candidates[overlap > min_area]
        return sorted({str(code)[:9] for code in codes[candidates]})

    def area_within(self, geometry: BaseGeometry, prefix: str) -> float:
        """Square degrees of `geometry` inside the outlines whose codes start with `prefix`.

        A prefix of up to 9 digits (a district or a street office) is measured against the
        street office outlines when there are any; a longer one (a community or a grid) against
        the grids. The outlines tile the city, so their overlaps with `geometry` add up.
        """
        if len(prefix) <= 9 and len(self._streets) > 0:
            codes, tree, geometries = self._street_codes, self._street_tree, self._streets
        else:
            codes, tree, geometries = self._grid_codes, self._grid_tree, self._grids
        candidates = tree.query(geometry, predicate="intersects")
        ours = [int(i) for i in candidates if str(codes[i]).startswith(prefix)]
        if not ours:
            return 0.0
        return float(shapely.area(shapely.intersection(geometry, geometries[ours])).sum())


def _sorted_by_code(codes: Sequence[str], geometries: Geometries) -> tuple[GeomArray, GeomArray]:
    code_array: GeomArray = np.asarray(list(codes), dtype=object)
    geometry_array: GeomArray = np.asarray(geometries, dtype=object)
    if code_array.shape != geometry_array.shape:
        raise ValueError("need exactly one geometry per code")
    if len(set(code_array.tolist())) != len(code_array):
        raise ValueError("codes must be unique")
    # An empty outline has NaN bounds, which the bucket index cannot place.
    if (
        len(geometry_array)
        and (shapely.is_missing(geometry_array) | shapely.is_empty(geometry_array)).any()
    ):
        raise ValueError("every code needs a non-empty geometry")
    order = np.argsort(code_array.astype(str), kind="stable")
    return code_array[order], geometry_array[order]


def _unzip(rows: Iterable[tuple[str, bytes]]) -> tuple[list[str], list[bytes]]:
    pairs = list(rows)
    return [code for code, _ in pairs], [wkb for _, wkb in pairs]
