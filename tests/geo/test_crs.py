"""WGS84 / GCJ-02 / BD-09 conversions."""

from __future__ import annotations

import numpy as np
import pytest

from hub.geo import crs

TOLERANCE = 1e-6  # degrees, ~0.1 m


def _china_points(n: int = 2_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240601)
    return rng.uniform(73.0, 135.0, n), rng.uniform(18.0, 53.0, n)


def test_known_gcj02_sample() -> None:
    # Published sample of the standard algorithm (wandergis/coordtransform README).
    lng, lat = crs.wgs84_to_gcj02(116.404, 39.915)
    assert lng == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)


def test_known_bd09_sample() -> None:
    lng, lat = crs.gcj02_to_bd09(116.404, 39.915)
    assert lng == pytest.approx(116.41036949371029, abs=1e-9)
    assert lat == pytest.approx(39.92133699351021, abs=1e-9)


def test_wgs84_to_bd09_goes_through_gcj02() -> None:
    assert crs.wgs84_to_bd09(116.404, 39.915) == pytest.approx(
        crs.gcj02_to_bd09(*crs.wgs84_to_gcj02(116.404, 39.915)), abs=1e-12
    )


def test_gcj02_round_trip_within_tolerance() -> None:
    lng, lat = _china_points()
    back_lng, back_lat = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lng, lat))
    assert np.abs(back_lng - lng).max() < TOLERANCE
    assert np.abs(back_lat - lat).max() < TOLERANCE


def test_bd09_round_trip_within_tolerance() -> None:
    lng, lat = _china_points()
    back_lng, back_lat = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lng, lat))
    assert np.abs(back_lng - lng).max() < TOLERANCE
    assert np.abs(back_lat - lat).max() < TOLERANCE


def test_bd09_to_gcj02_inverts_gcj02_to_bd09() -> None:
    lng, lat = _china_points()
    back_lng, back_lat = crs.bd09_to_gcj02(*crs.gcj02_to_bd09(lng, lat))
    assert np.abs(back_lng - lng).max() < TOLERANCE
    assert np.abs(back_lat - lat).max() < TOLERANCE


def test_outside_china_gcj02_is_identity() -> None:
    assert crs.wgs84_to_gcj02(2.3522, 48.8566) == (2.3522, 48.8566)
    assert crs.gcj02_to_wgs84(-74.006, 40.7128) == (-74.006, 40.7128)


def test_scalars_in_scalars_out_arrays_in_arrays_out() -> None:
    lng, lat = crs.wgs84_to_gcj02(116.4, 39.9)
    assert type(lng) is float
    assert type(lat) is float
    lngs, lats = crs.wgs84_to_gcj02(np.array([[116.4, 116.5]]), np.array([[39.9, 40.0]]))
    assert lngs.shape == (1, 2)
    assert lats.shape == (1, 2)
    assert lngs[0, 0] == pytest.approx(lng, abs=1e-12)


def test_offset_in_beijing_is_a_few_hundred_metres() -> None:
    lng, lat = crs.wgs84_to_gcj02(116.3975, 39.9087)
    assert 0.004 < lng - 116.3975 < 0.008
    assert 0.0005 < lat - 39.9087 < 0.002


@pytest.mark.parametrize("name", ["WGS84", "GCJ02", "BD09", "gcj-02", "bd_09"])
def test_to_wgs84_dispatches(name: str) -> None:
    wgs = (116.3975, 39.9087)
    forward = {
        "WGS84": lambda x, y: (x, y),
        "GCJ02": crs.wgs84_to_gcj02,
        "BD09": crs.wgs84_to_bd09,
    }[name.upper().replace("-", "").replace("_", "")]
    lng, lat = crs.to_wgs84(*forward(*wgs), name)
    assert lng == pytest.approx(wgs[0], abs=TOLERANCE)
    assert lat == pytest.approx(wgs[1], abs=TOLERANCE)


def test_to_wgs84_rejects_unknown_crs() -> None:
    with pytest.raises(ValueError, match="unknown CRS"):
        crs.to_wgs84(116.0, 40.0, "CGCS2000")
