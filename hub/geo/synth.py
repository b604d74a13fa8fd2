"""A deterministic synthetic partition of Beijing into streets, communities and unit grids.

There are no open polygons for street offices, communities or grids (see data/SOURCES.md), so the
demo builds them: synthetic shapes, real codes and names. Anything that shows these polygons must
say they are synthetic.

How the partition is made:

* Districts keep their real outlines. Invalid outlines are repaired with `shapely.make_valid`.
  Outlines are taken in code order and any part that overlaps an earlier district (positive
  area) is subtracted from the later one, so districts never overlap; a district that overlaps
  nothing keeps its published coordinates untouched. Everything below tiles each district, so
  the grids tile exactly the union of the districts, whatever gaps that union might have inside
  the city outline. The bundled data (checked 2022 outlines) has neither: the 16 outlines are
  valid, pairwise overlaps have zero area and their union equals the city outline.
* Each district is cut into one cell per street office: a Voronoi diagram of seed points
  clipped to the district. Streets listed in street_anchors.csv use their anchor as a fixed seed,
  so named streets stay roughly where they really are; the other seeds are pseudo-random points
  in the district (seeded by the district code) moved by two Lloyd relaxation steps so that
  cells come out compact rather than slivered.
* Each street is cut the same way into one cell per community listed for it. Every street in
  the bundled data has at least one community, so no synthetic community is invented; a street
  without any would raise instead of silently leaving a hole.
* Each community is intersected with a square lattice (250 m in the two core districts, 500 m in
  the inner ring, 1 km outside); every non-empty piece is one grid, numbered 001-999 in reading
  order (north to south, west to east). Slivers under 1% of a lattice cell, where a community
  border clips a cell's corner, are merged into the neighbouring piece of the same community.
  A community that would get more than 999 grids is redone with a coarser lattice.

Polygons tile their parent to within float rounding: neighbours' shared borders agree to about
1e-14 degrees but not bit for bit (each clip computes its own intersection points), so overlaps
and gaps between neighbours are below 1e-15 square degrees (~1e-5 m²) and GEOS's strict
`coverage_is_valid` says False. Area sums and unions agree to ~1e-14 relative.

Seeds are fixed, GEOS operations are deterministic, and ordering is by code throughout, so two
builds produce byte-identical WKB. Nothing is cached on disk.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from hub.geo.reference import (
    CITY_CODE,
    CommunityRecord,
    StreetRecord,
    load_anchors,
    load_communities,
    load_districts,
    load_streets,
)

__all__ = ["Area", "City", "Level", "build_city", "partition"]

# The same words as hub.geo.models.JurisdictionLevel (grids have their own table there).
Level = Literal["DISTRICT", "SUBDISTRICT", "COMMUNITY", "GRID"]
GeomArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# Lattice pieces of one community with the row and column of the lattice cell each came from.
Pieces = tuple[GeomArray, IntArray, IntArray]

LLOYD_STEPS: Final = 2
MAX_GRIDS_PER_COMMUNITY: Final = 999
# Pieces smaller than this fraction of a lattice cell are merged into a neighbouring grid.
SLIVER_FRACTION: Final = 0.01
# Lattice step in metres; the core is finer because that is where hotline cases concentrate.
GRID_METRES: Final[dict[str, float]] = {
    "110101": 250.0,  # 东城
    "110102": 250.0,  # 西城
    "110105": 500.0,  # 朝阳
    "110106": 500.0,  # 丰台
    "110107": 500.0,  # 石景山
    "110108": 500.0,  # 海淀
}
DEFAULT_GRID_METRES: Final = 1000.0
# All lattices share one origin and one degrees-per-metre scale, so 250/500/1000 m lattices nest
# and grids of neighbouring districts line up along their common lattice lines.
_ORIGIN: Final = (115.4, 39.4)
_METRES_PER_DEGREE_LAT: Final = 111_320.0
_METRES_PER_DEGREE_LNG: Final = _METRES_PER_DEGREE_LAT * math.cos(math.radians(40.0))
# shapely's vectorised functions release the GIL, so districts can be built on two threads.
_WORKERS: Final = 2


@dataclass(frozen=True, slots=True)
class Area:
    """One synthetic (or, for districts, real) administrative polygon in WGS84 lng/lat.

    `kind` is the street or community kind from the code rules; None for districts and grids.
    """

    code: str
    name: str
    level: Level
    parent_code: str
    kind: str | None
    geometry: BaseGeometry


@dataclass(frozen=True, slots=True)
class City:
    """The whole partition; every list is sorted by code.

    District, street and community geometries come back prepared (`shapely.prepare`), a side
    effect of building; that only makes later predicates on them faster.
    """

    districts: list[Area] = field(default_factory=list)
    streets: list[Area] = field(default_factory=list)
    communities: list[Area] = field(default_factory=list)
    grids: list[Area] = field(default_factory=list)


def build_city() -> City:
    """Build the full synthetic partition (deterministic; a few seconds)."""
    districts = _disjoint_districts()
    streets_by_district: dict[str, list[StreetRecord]] = defaultdict(list)
    for street in load_streets():
        streets_by_district[street.district_code].append(street)
    communities_by_street: dict[str, list[CommunityRecord]] = defaultdict(list)
    for community in load_communities():
        communities_by_street[community.street_code].append(community)

    def build(district: Area) -> tuple[list[Area], list[Area], list[Area]]:
        return _build_district(district, streets_by_district[district.code], communities_by_street)

    city = City(districts=districts)
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for streets, communities, grids in pool.map(build, districts):
            city.streets.extend(streets)
            city.communities.extend(communities)
            city.grids.extend(grids)
    return city


def _disjoint_districts() -> list[Area]:
    """Real outlines, repaired if invalid, with overlaps given to the lower code."""
    areas: list[Area] = []
    placed: BaseGeometry | None = None
    for record in load_districts():
        geometry = _polygonal(record.geometry)
        if placed is not None and shapely.intersection(geometry, placed).area > 0.0:
            geometry = _polygonal(shapely.difference(geometry, placed))
        placed = geometry if placed is None else shapely.union(placed, geometry)
        areas.append(Area(record.code, record.name, "DISTRICT", CITY_CODE, None, geometry))
    return areas


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Valid polygonal part of `geometry` (make_valid may add lines or points; we drop them)."""
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = shapely.get_parts(geometry)
    polygons = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polygons)


def _build_district(
    district: Area,
    streets: Sequence[StreetRecord],
    communities_by_street: dict[str, list[CommunityRecord]],
) -> tuple[list[Area], list[Area], list[Area]]:
    anchors = {a.code: (a.lng, a.lat) for a in load_anchors()}
    fixed = {i: anchors[s.code] for i, s in enumerate(streets) if s.code in anchors}
    cells = partition(district.geometry, len(streets), fixed, seed=int(district.code))
    metres = GRID_METRES.get(district.code, DEFAULT_GRID_METRES)
    street_areas: list[Area] = []
    community_areas: list[Area] = []
    grid_areas: list[Area] = []
    for street, cell in zip(streets, cells, strict=True):
        street_areas.append(
            Area(street.code, street.name, "SUBDISTRICT", district.code, street.kind, cell)
        )
        members = communities_by_street.get(street.code, [])
        communities, grids = _build_street(street, cell, members, metres)
        community_areas.extend(communities)
        grid_areas.extend(grids)
    return street_areas, community_areas, grid_areas


def _build_street(
    street: StreetRecord, cell: BaseGeometry, members: Sequence[CommunityRecord], metres: float
) -> tuple[list[Area], list[Area]]:
    if not members:
        # The bundled data has none; a silent hole in the coverage would be worse than failing.
        raise ValueError(f"street {street.code} has no communities to partition it into")
    pieces = partition(cell, len(members), {}, seed=int(street.code))
    communities: list[Area] = []
    grids: list[Area] = []
    for community, piece in zip(members, pieces, strict=True):
        area = Area(community.code, community.name, "COMMUNITY", street.code, community.kind, piece)
        communities.append(area)
        grids.extend(_grids(area, community.short_name, street.name, metres))
    return communities, grids


def partition(
    region: BaseGeometry, n: int, fixed: dict[int, tuple[float, float]], seed: int
) -> list[BaseGeometry]:
    """Cut `region` into `n` cells that tile it exactly, cell i grown around seed point i.

    `fixed` maps cell index to a seed that must not move (it must lie inside `region`); the other
    seeds are pseudo-random points from `seed`, relaxed by Lloyd steps.
    """
    if n == 1:
        return [region]
    rng = np.random.default_rng(seed)
    shapely.prepare(region)
    points = _random_points(region, n, rng)
    is_fixed = np.zeros(n, dtype=bool)
    for index, (lng, lat) in fixed.items():
        points[index] = (lng, lat)
        is_fixed[index] = True
    for _ in range(LLOYD_STEPS):
        cells = _voronoi_cells(region, points)
        points[~is_fixed] = _centres(region, cells[~is_fixed])
    return list(_voronoi_cells(region, points))


def _random_points(region: BaseGeometry, n: int, rng: np.random.Generator) -> FloatArray:
    """`n` uniform pseudo-random points strictly inside `region` (rejection sampling)."""
    minx, miny, maxx, maxy = region.bounds
    found: list[FloatArray] = []
    count = 0
    while count < n:
        # Oversample by the bounding-box fill ratio so one or two rounds usually suffice.
        fill = max(region.area / ((maxx - minx) * (maxy - miny)), 0.01)
        batch = int((n - count) / fill * 1.5) + 16
        xy = np.column_stack((rng.uniform(minx, maxx, batch), rng.uniform(miny, maxy, batch)))
        inside = xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]
        found.append(inside)
        count += len(inside)
    return np.concatenate(found)[:n]


def _voronoi_cells(region: BaseGeometry, points: FloatArray) -> GeomArray:
    """Voronoi cells of `points` (in input order) clipped to `region`."""
    minx, miny, maxx, maxy = region.bounds
    envelope = shapely.box(minx - 1.0, miny - 1.0, maxx + 1.0, maxy + 1.0)
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=envelope, ordered=True
    )
    cells: GeomArray = shapely.get_parts(diagram)
    if len(cells) != len(points):
        raise ValueError("duplicate seed points; the Voronoi cells would not match the seeds")
    clipped: GeomArray = shapely.intersection(cells, region)
    return clipped


def _centres(region: BaseGeometry, cells: GeomArray) -> FloatArray:
    """Centroids of `cells`, or a point on the cell where the centroid falls outside `region`."""
    centres = shapely.centroid(cells)
    xy: FloatArray = shapely.get_coordinates(centres)
    outside = ~shapely.contains_xy(region, xy[:, 0], xy[:, 1])
    if outside.any():
        xy[outside] = shapely.get_coordinates(shapely.point_on_surface(cells[outside]))
    return xy


def _grids(community: Area, short_name: str, street_name: str, metres: float) -> list[Area]:
    """Cut a community by the lattice into grids coded community code + 001..999."""
    pieces, rows, cols = _lattice_pieces(community.geometry, metres)
    while len(pieces) > MAX_GRIDS_PER_COMMUNITY:
        metres *= 2.0
        pieces, rows, cols = _lattice_pieces(community.geometry, metres)
    # Reading order: northernmost row first, then west to east.
    order = np.lexsort((cols, -rows))
    return [
        Area(
            code=f"{community.code}{serial:03d}",
            name=f"{street_name} {short_name} 第{serial}网格",
            level="GRID",
            parent_code=community.code,
            kind=None,
            geometry=pieces[index],
        )
        for serial, index in enumerate(order, start=1)
    ]


def _lattice_pieces(region: BaseGeometry, metres: float) -> Pieces:
    """Intersections of `region` with the lattice cells it meets, with their cell indices.

    Slivers (under SLIVER_FRACTION of a cell) are merged into a neighbouring piece.
    """
    dx = metres / _METRES_PER_DEGREE_LNG
    dy = metres / _METRES_PER_DEGREE_LAT
    minx, miny, maxx, maxy = region.bounds
    col_range = np.arange(math.floor((minx - _ORIGIN[0]) / dx), math.ceil((maxx - _ORIGIN[0]) / dx))
    row_range = np.arange(math.floor((miny - _ORIGIN[1]) / dy), math.ceil((maxy - _ORIGIN[1]) / dy))
    cols, rows = (a.ravel() for a in np.meshgrid(col_range, row_range))
    # Edges from integer indices, not x0 + dx, so neighbouring boxes share bit-identical edges.
    x0, x1 = _ORIGIN[0] + cols * dx, _ORIGIN[0] + (cols + 1) * dx
    y0, y1 = _ORIGIN[1] + rows * dy, _ORIGIN[1] + (rows + 1) * dy
    boxes = shapely.box(x0, y0, x1, y1)
    shapely.prepare(region)
    hit = shapely.intersects(region, boxes)
    pieces: GeomArray = shapely.intersection(boxes[hit], region)
    keep = shapely.area(pieces) > 0.0
    return _merge_slivers(pieces[keep], rows[hit][keep], cols[hit][keep], SLIVER_FRACTION * dx * dy)


def _merge_slivers(pieces: GeomArray, rows: IntArray, cols: IntArray, min_area: float) -> Pieces:
    """Merge each piece smaller than `min_area` into the piece sharing its longest border.

    Where the community boundary clips a lattice cell's corner we would otherwise get "grids" of
    a few square metres nobody could patrol. All pieces come from one community, so merging keeps
    the tiling; a sliver with no full-size neighbour (an isolated fragment) stays a grid.
    """
    small = shapely.area(pieces) < min_area
    if not small.any() or small.all():
        return pieces, rows, cols
    big = np.flatnonzero(~small)
    slivers = np.flatnonzero(small)
    pairs = shapely.STRtree(pieces[big]).query(pieces[slivers], predicate="intersects")
    shared = shapely.length(
        shapely.intersection(
            shapely.boundary(pieces[slivers[pairs[0]]]), shapely.boundary(pieces[big[pairs[1]]])
        )
    )
    # Longest shared border first; ties go to the lower piece index so the result is stable.
    order = np.lexsort((pairs[1], -shared, pairs[0]))
    first = np.unique(pairs[0][order], return_index=True)[1]
    chosen = order[first][shared[order[first]] > 0.0]
    targets: dict[int, list[int]] = defaultdict(list)
    for sliver, target in zip(slivers[pairs[0][chosen]], big[pairs[1][chosen]], strict=True):
        targets[int(target)].append(int(sliver))
    merged = pieces.copy()
    for target, members in targets.items():
        merged[target] = shapely.union_all(pieces[[target, *members]])
    keep = np.ones(len(pieces), dtype=bool)
    keep[[m for members in targets.values() for m in members]] = False
    return merged[keep], rows[keep], cols[keep]
