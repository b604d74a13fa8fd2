"""Placing many records at once: points converted and located in one vectorised pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hub.errors import DomainError
from hub.geo.crs import to_wgs84
from hub.geo.index import GeoIndex


@dataclass(frozen=True, slots=True)
class Place:
    subdistrict_code: str
    grid_code: str | None = None
    point: tuple[float, float] | None = None  # WGS84
    address: str | None = None


def locate_points(
    geo: GeoIndex, points: Sequence[tuple[float, float] | None], crs: str
) -> list[Place | None]:
    """Each point's grid (``to_wgs84`` and ``Locator.locate_many`` once for all); None outside."""
    given = [(i, point) for i, point in enumerate(points) if point is not None]
    found: list[Place | None] = [None] * len(points)
    if not given:
        return found
    lngs = np.array([point[0] for _, point in given], dtype=np.float64)
    lats = np.array([point[1] for _, point in given], dtype=np.float64)
    wlngs, wlats = to_wgs84(lngs, lats, crs)
    for (i, _), lng, lat, grid in zip(
        given, wlngs, wlats, geo.locator.locate_many(wlngs, wlats), strict=True
    ):
        if grid is not None:
            found[i] = Place(grid[:9], grid, (float(lng), float(lat)))
    return found


def by_address(geo: GeoIndex, texts: Sequence[str]) -> Place | None:
    """Placed by the first text that names exactly one street office (as intake would)."""
    for text in dict.fromkeys(t for t in texts if t):
        try:
            return Place(geo.street_named_in(text), address=text)
        except DomainError:
            continue
    return None
