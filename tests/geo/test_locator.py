"""Point-in-grid location and street offices under a footprint."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from hub.geo.locator import Locator
from hub.geo.reference import load_anchors
from hub.geo.synth import City, build_city


@pytest.fixture(scope="module")
def city() -> City:
    return build_city()


@pytest.fixture(scope="module")
def locator(city: City) -> Locator:
    return Locator.from_city(city)


def test_tiananmen_is_in_the_core(locator: Locator) -> None:
    code = locator.locate(116.3975, 39.9087)
    assert code is not None
    assert len(code) == 15
    assert code[:6] in {"110101", "110102"}


def test_anchor_points_land_in_their_own_street(locator: Locator) -> None:
    for anchor in load_anchors():
        code = locator.locate(anchor.lng, anchor.lat)
        assert code is not None
        assert code[:9] == anchor.code, anchor.name


@pytest.mark.parametrize(
    ("lng", "lat"),
    [(121.47, 31.23), (120.5, 38.8), (0.0, 0.0), (float("nan"), 40.0)],
    ids=["shanghai", "bohai-sea", "null-island", "nan"],
)
def test_outside_the_city_is_none(locator: Locator, lng: float, lat: float) -> None:
    assert locator.locate(lng, lat) is None
    assert locator.locate_many(np.array([lng]), np.array([lat])) == [None]


def test_locate_many_agrees_with_locate(city: City, locator: Locator) -> None:
    minx, miny, maxx, maxy = shapely.total_bounds([d.geometry for d in city.districts])
    rng = np.random.default_rng(7)
    lngs, lats = rng.uniform(minx, maxx, 1_000), rng.uniform(miny, maxy, 1_000)
    many = locator.locate_many(lngs, lats)
    assert many == [locator.locate(x, y) for x, y in zip(lngs, lats, strict=True)]
    found = [code for code in many if code is not None]
    assert 300 < len(found) < 1_000  # the city fills about half of its bounding box


def test_located_grid_contains_the_point(city: City, locator: Locator) -> None:
    grids = {g.code: g.geometry for g in city.grids}
    rng = np.random.default_rng(8)
    lngs, lats = rng.uniform(116.3, 116.5, 200), rng.uniform(39.85, 39.95, 200)
    for code, x, y in zip(locator.locate_many(lngs, lats), lngs, lats, strict=True):
        assert code is not None
        assert grids[code].intersects(shapely.Point(x, y))


def test_shared_boundary_goes_to_the_lowest_code(city: City, locator: Locator) -> None:
    geoms = np.array([g.geometry for g in city.grids], dtype=object)
    codes = np.array([g.code for g in city.grids], dtype=object)
    tree = shapely.STRtree(geoms)
    checked = 0
    # Vertices of grids are on the border of their neighbours too.
    for x, y in shapely.get_coordinates(geoms[::500]):
        sharing = tree.query(shapely.Point(x, y), predicate="intersects")
        if len(sharing) > 1:
            expected = min(codes[sharing])
            assert locator.locate(x, y) == expected
            assert locator.locate_many(np.array([x]), np.array([y])) == [expected]
            checked += 1
    assert checked > 50


def test_footprint_across_the_district_border(locator: Locator) -> None:
    # A 1 km box around a point on the Xicheng (110102) / Fengtai (110106) border.
    footprint = shapely.box(116.325, 39.872, 116.335, 39.882)
    codes = locator.subdistricts_touching(footprint)
    assert codes == sorted(codes)
    assert {code[:6] for code in codes} == {"110102", "110106"}


def test_footprint_inside_one_street(locator: Locator) -> None:
    footprint = shapely.Point(116.335, 39.888).buffer(0.0005)
    assert locator.subdistricts_touching(footprint) == ["110102020"]


def test_touching_the_border_is_not_overlapping(city: City, locator: Locator) -> None:
    # Each street's own outline touches its neighbours only along shared borders.
    for street in city.streets[::7]:
        assert locator.subdistricts_touching(street.geometry) == [street.code]


def test_without_street_outlines_grids_are_used(city: City, locator: Locator) -> None:
    grids_only = Locator([g.code for g in city.grids], [g.geometry for g in city.grids])
    footprint = shapely.box(116.325, 39.872, 116.335, 39.882)
    assert grids_only.subdistricts_touching(footprint) == locator.subdistricts_touching(footprint)


def test_from_wkb_rows(city: City, locator: Locator) -> None:
    grid_rows = [(g.code, shapely.to_wkb(g.geometry)) for g in reversed(city.grids)]
    street_rows = [(s.code, shapely.to_wkb(s.geometry)) for s in city.streets]
    from_rows = Locator.from_wkb(grid_rows, street_rows)
    rng = np.random.default_rng(9)
    lngs, lats = rng.uniform(116.0, 117.0, 500), rng.uniform(39.6, 40.4, 500)
    assert from_rows.locate_many(lngs, lats) == locator.locate_many(lngs, lats)
    assert from_rows.grid_codes == locator.grid_codes


def test_constructor_checks_its_input(city: City) -> None:
    with pytest.raises(ValueError, match="one geometry per code"):
        Locator(["110101001001001"], [])
    grid = city.grids[0]
    with pytest.raises(ValueError, match="unique"):
        Locator([grid.code, grid.code], [grid.geometry, grid.geometry])
    with pytest.raises(ValueError, match="non-empty"):
        Locator([grid.code, "110101001001999"], [grid.geometry, shapely.Polygon()])
