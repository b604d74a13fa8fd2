"""Conversions between WGS84, GCJ-02 and BD-09 longitude/latitude.

Chinese map services and many department systems deliver GCJ-02 (Amap, Tencent) or BD-09 (Baidu)
coordinates; the hub stores WGS84 and converts at the edge, in the adapters.

We implement the standard published formulas here instead of depending on a package: the PyPI
packages for this (coordTransform and friends) are unmaintained and work one scalar point at a
time, while our adapters convert whole batches of records, so everything below takes numpy arrays
(floats work too) and runs vectorised.

GCJ-02 has no closed-form inverse; `gcj02_to_wgs84` and `bd09_to_gcj02` invert the forward
transform by fixed-point iteration, which converges to well under 1e-6 degrees (about 0.1 m) in a
handful of steps because the offset changes slowly with position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, Literal, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "CRS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = npt.NDArray[np.float64]
# Batches: numpy arrays or plain sequences of floats; single points: plain floats.
Coords = npt.NDArray[Any] | Sequence[float]
ArrayLike = float | Coords
Pair = tuple[FloatArray, FloatArray] | tuple[float, float]
CRS = Literal["WGS84", "GCJ02", "BD09"]

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 algorithm.
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323
_X_PI: Final = np.pi * 3000.0 / 180.0

# The inverse iterations stop once the forward transform of the estimate is this close to the
# input (degrees); 1e-10 deg is ~0.01 mm, far below the 1e-6 contract.
_INVERSE_TOLERANCE: Final = 1e-10
_INVERSE_MAX_STEPS: Final = 30


def _as_arrays(lng: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = np.broadcast_arrays(np.asarray(lng, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x, y


def _result(x: FloatArray, y: FloatArray, scalar: bool) -> Pair:
    # Callers who pass plain floats get plain floats back, so scalar call sites stay simple.
    if scalar:
        return float(x), float(y)
    return x, y


def _is_scalar(lng: ArrayLike, lat: ArrayLike) -> bool:
    return np.ndim(lng) == 0 and np.ndim(lat) == 0


def out_of_china(lng: ArrayLike, lat: ArrayLike) -> npt.NDArray[np.bool_]:
    """Rough bounding box test used by the published algorithm: GCJ-02 is the identity outside."""
    x, y = _as_arrays(lng, lat)
    return (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj02_forward(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlat = _transform_lat(x - 105.0, y - 35.0)
    dlng = _transform_lng(x - 105.0, y - 35.0)
    radlat = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(x, y)
    return np.where(outside, x, x + dlng), np.where(outside, y, y + dlat)


def _bd09_forward(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


# A vectorised forward transform (lng, lat) -> (lng', lat').
_Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def _invert(forward: _Forward, tx: FloatArray, ty: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve forward(x, y) == (tx, ty) by fixed-point iteration on the offset."""
    x, y = tx.copy(), ty.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        fx, fy = forward(x, y)
        ex, ey = fx - tx, fy - ty
        x -= ex
        y -= ey
        # NaN errors compare False here, so a NaN input cannot keep the loop spinning.
        if not np.any((np.abs(ex) > _INVERSE_TOLERANCE) | (np.abs(ey) > _INVERSE_TOLERANCE)):
            break
    return x, y


@overload
def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lng: Coords, lat: Coords) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_gcj02(lng: ArrayLike, lat: ArrayLike) -> Pair:
    """WGS84 -> GCJ-02 (identity outside China)."""
    x, y = _gcj02_forward(*_as_arrays(lng, lat))
    return _result(x, y, _is_scalar(lng, lat))


@overload
def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lng: Coords, lat: Coords) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_wgs84(lng: ArrayLike, lat: ArrayLike) -> Pair:
    """GCJ-02 -> WGS84 by iterating the forward transform (error < 1e-6 degrees)."""
    x, y = _invert(_gcj02_forward, *_as_arrays(lng, lat))
    return _result(x, y, _is_scalar(lng, lat))


@overload
def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_bd09(lng: Coords, lat: Coords) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_bd09(lng: ArrayLike, lat: ArrayLike) -> Pair:
    """GCJ-02 -> BD-09 (Baidu's extra offset on top of GCJ-02)."""
    x, y = _bd09_forward(*_as_arrays(lng, lat))
    return _result(x, y, _is_scalar(lng, lat))


@overload
def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_gcj02(lng: Coords, lat: Coords) -> tuple[FloatArray, FloatArray]: ...
def bd09_to_gcj02(lng: ArrayLike, lat: ArrayLike) -> Pair:
    """BD-09 -> GCJ-02.

    The usual published inverse is a one-step approximation (error up to ~1e-6 degrees); we
    iterate it to the exact inverse of `gcj02_to_bd09` so round trips hold to 1e-9.
    """
    x, y = _invert(_bd09_forward, *_as_arrays(lng, lat))
    return _result(x, y, _is_scalar(lng, lat))


@overload
def wgs84_to_bd09(lng: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_bd09(lng: Coords, lat: Coords) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_bd09(lng: ArrayLike, lat: ArrayLike) -> Pair:
    """WGS84 -> BD-09 via GCJ-02."""
    x, y = _bd09_forward(*_gcj02_forward(*_as_arrays(lng, lat)))
    return _result(x, y, _is_scalar(lng, lat))


@overload
def bd09_to_wgs84(lng: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_wgs84(lng: Coords, lat: Coords) -> tuple[FloatArray, FloatArray]: ...
def bd09_to_wgs84(lng: ArrayLike, lat: ArrayLike) -> Pair:
    """BD-09 -> WGS84 via GCJ-02, both steps inverted iteratively."""
    gx, gy = _invert(_bd09_forward, *_as_arrays(lng, lat))
    x, y = _invert(_gcj02_forward, gx, gy)
    return _result(x, y, _is_scalar(lng, lat))


@overload
def to_wgs84(lng: float, lat: float, crs: str) -> tuple[float, float]: ...
@overload
def to_wgs84(lng: Coords, lat: Coords, crs: str) -> tuple[FloatArray, FloatArray]: ...
def to_wgs84(lng: ArrayLike, lat: ArrayLike, crs: str) -> Pair:
    """Convert coordinates in `crs` ("WGS84", "GCJ02" or "BD09", case-insensitive) to WGS84."""
    name = crs.upper().replace("-", "").replace("_", "")
    x, y = _as_arrays(lng, lat)
    if name == "WGS84":
        x, y = x.copy(), y.copy()
    elif name == "GCJ02":
        x, y = _invert(_gcj02_forward, x, y)
    elif name == "BD09":
        x, y = _invert(_gcj02_forward, *_invert(_bd09_forward, x, y))
    else:
        raise ValueError(f"unknown CRS {crs!r}; expected 'WGS84', 'GCJ02' or 'BD09'")
    return _result(x, y, _is_scalar(lng, lat))
