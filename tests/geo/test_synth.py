"""The synthetic partition: counts, validity, exact tiling, codes and determinism."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely

from hub.geo import synth
from hub.geo.reference import (
    community_kind,
    load_communities,
    load_districts,
    load_streets,
    street_kind,
)
from hub.geo.synth import Area, City, build_city

RELATIVE = 1e-9


@pytest.fixture(scope="module")
def city() -> City:
    return build_city()


def _geoms(areas: list[Area]) -> np.ndarray:
    return np.array([a.geometry for a in areas], dtype=object)


def _assert_tiles(parts: np.ndarray, whole_area: float) -> None:
    """Parts tile a region of `whole_area`: no overlap (sum == union), no gap (union == whole)."""
    union_area = shapely.union_all(parts).area
    assert shapely.area(parts).sum() == pytest.approx(union_area, rel=RELATIVE)
    assert union_area == pytest.approx(whole_area, rel=RELATIVE)


def test_reference_counts_and_kinds() -> None:
    assert len(load_districts()) == 16
    assert len(load_streets()) == 349
    assert len(load_communities()) == 7_535
    assert street_kind("110101001", "东华门街道") == "STREET"
    assert street_kind("110115004", "亦庄地区") == "AREA"
    assert street_kind("110116102", "北房镇") == "TOWN"
    assert street_kind("110108200", "某乡") == "TOWNSHIP"
    assert street_kind("110115403", "北京经济技术开发区") == "SPECIAL_ZONE"
    assert community_kind("110101001001") == "RESIDENTS_COMMITTEE"
    assert community_kind("110105020201") == "VILLAGE_COMMITTEE"
    assert community_kind("110108020498") == "VIRTUAL"


def test_counts(city: City) -> None:
    assert len(city.districts) == 16
    assert len(city.streets) == 349
    assert len(city.communities) >= 7_535
    assert 30_000 <= len(city.grids) <= 80_000


def test_all_geometries_valid_and_polygonal(city: City) -> None:
    for areas in (city.districts, city.streets, city.communities, city.grids):
        geoms = _geoms(areas)
        assert shapely.is_valid(geoms).all()
        assert set(shapely.get_type_id(geoms).tolist()) <= {3, 6}  # Polygon, MultiPolygon
        assert (shapely.area(geoms) > 0).all()


def test_parents_and_kinds(city: City) -> None:
    district_codes = {d.code for d in city.districts}
    street_codes = {s.code for s in city.streets}
    community_codes = {c.code for c in city.communities}
    assert all(s.parent_code in district_codes for s in city.streets)
    assert all(c.parent_code in street_codes for c in city.communities)
    assert all(g.parent_code in community_codes for g in city.grids)
    assert {s.kind for s in city.streets} == {"STREET", "AREA", "TOWN", "TOWNSHIP", "SPECIAL_ZONE"}
    assert {d.level for d in city.districts} == {"DISTRICT"}
    assert {s.level for s in city.streets} == {"SUBDISTRICT"}
    assert {c.level for c in city.communities} == {"COMMUNITY"}
    assert {g.level for g in city.grids} == {"GRID"}
    assert all(d.kind is None for d in city.districts)


def test_districts_keep_their_outlines(city: City) -> None:
    originals = {d.code: d.geometry for d in load_districts()}
    for district in city.districts:
        original = originals[district.code]
        assert district.geometry.area == pytest.approx(original.area, rel=RELATIVE)


def test_streets_tile_their_district(city: City) -> None:
    by_district: dict[str, list[Area]] = defaultdict(list)
    for street in city.streets:
        by_district[street.parent_code].append(street)
    for district in city.districts:
        _assert_tiles(_geoms(by_district[district.code]), district.geometry.area)


def test_communities_tile_their_street(city: City) -> None:
    by_street: dict[str, list[Area]] = defaultdict(list)
    for community in city.communities:
        by_street[community.parent_code].append(community)
    for street in city.streets:
        _assert_tiles(_geoms(by_street[street.code]), street.geometry.area)


def test_grid_codes(city: City) -> None:
    codes = [g.code for g in city.grids]
    assert len(set(codes)) == len(codes)
    for grid in city.grids:
        assert len(grid.code) == 15
        assert grid.code.isdigit()
        assert grid.code.startswith(grid.parent_code)
        assert 1 <= int(grid.code[12:]) <= 999
    per_community = Counter(g.parent_code for g in city.grids)
    assert max(per_community.values()) <= 999
    assert set(per_community) == {c.code for c in city.communities}


def test_oversized_community_is_coarsened(city: City) -> None:
    # At 150 m the largest community (~156 km²) would need about 7,000 grids.
    big = max(city.communities, key=lambda c: c.geometry.area)
    grids = synth._grids(big, "大社区", "某街道", metres=150.0)
    assert 100 < len(grids) <= 999
    assert [g.code for g in grids] == [f"{big.code}{i:03d}" for i in range(1, len(grids) + 1)]
    _assert_tiles(_geoms(grids), big.geometry.area)


def test_grid_names(city: City) -> None:
    first = next(g for g in city.grids if g.code.startswith("110101001001"))
    assert first.name.startswith("东华门街道 多福巷社区 第")
    assert first.name.endswith("网格")


def test_grids_tile_the_city(city: City) -> None:
    districts_area = shapely.area(_geoms(city.districts)).sum()
    assert shapely.union_all(_geoms(city.districts)).area == pytest.approx(
        districts_area, rel=RELATIVE
    )
    _assert_tiles(_geoms(city.grids), districts_area)


def test_core_grids_are_finer(city: City) -> None:
    areas: dict[str, list[float]] = defaultdict(list)
    for grid in city.grids:
        areas[grid.code[:6]].append(grid.geometry.area)
    assert np.median(areas["110101"]) < np.median(areas["110116"]) / 4


def test_anchored_streets_stay_put(city: City) -> None:
    streets = {s.code: s.geometry for s in city.streets}
    assert streets["110102020"].contains(shapely.Point(116.335, 39.888))
    # The cell grows around the anchor, so its centre stays within a couple of kilometres.
    assert streets["110102020"].centroid.distance(shapely.Point(116.335, 39.888)) < 0.02
    tiananmen = shapely.Point(116.3975, 39.9087)
    holders = [s for s in city.streets if s.geometry.intersects(tiananmen)]
    assert {s.parent_code for s in holders} <= {"110101", "110102"}
    assert holders


def test_build_is_deterministic(city: City) -> None:
    again = build_city()
    for mine, theirs in (
        (city.streets, again.streets),
        (city.communities, again.communities),
        (city.grids, again.grids),
    ):
        assert [a.code for a in mine] == [a.code for a in theirs]
        assert [a.name for a in mine] == [a.name for a in theirs]
        assert shapely.to_wkb(_geoms(mine)).tolist() == shapely.to_wkb(_geoms(theirs)).tolist()
