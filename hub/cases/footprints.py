"""How large a case's footprint may be, and where, for whom reports it.

A footprint is the outline of what a case is about: a building, a yard, a stretch of road. It
puts the case before every street office it crosses, so an outline drawn over half the city
would put one street office's case in front of hundreds of others. Two rules keep it honest:

- **An area cap** for every reporter but the city platform and the hotline (who take the city's
  calls and may need to outline a larger site): ``MAX_FOOTPRINT_AREA_M2``, a street block. The
  city's unit grids are 10,000 m² each (万米单元网格); a street block of 500 m by 500 m is 25 of
  them and holds the sites the hub's cases describe (a building and its yard, an 800 m street
  with its pavements, a construction site), while a street office's whole area (several km²)
  does not fit. ``FOOTPRINT_TOO_LARGE``.
- **Scope**: a reporter with an area (a street office, a district platform, a grid worker) must
  have at least ``MIN_SHARE_IN_SCOPE`` of the footprint inside it: a site on the border may
  spill over into the neighbours, but not lie mostly in someone else's area. ``OUTSIDE_SCOPE``.
"""

from __future__ import annotations

import math
from typing import Any, Final

from hub.auth.actors import Actor, Role
from hub.auth.policy import scope_prefix
from hub.errors import DomainError, ErrorCode
from hub.geo.index import GeoIndex, parse_polygon

MAX_FOOTPRINT_AREA_M2: Final = 250_000
MIN_SHARE_IN_SCOPE: Final = 0.5
UNCAPPED: Final = frozenset({Role.CITY_PLATFORM, Role.HOTLINE})
SCOPED: Final = frozenset({Role.STREET_OFFICE, Role.DISTRICT_PLATFORM, Role.GRID_WORKER})

# Metres per degree of latitude, and of longitude at the equator (WGS84, mean).
_M_PER_DEG_LAT: Final = 110_574.0
_M_PER_DEG_LNG: Final = 111_320.0


class FootprintTooLargeError(DomainError):
    code = ErrorCode.FOOTPRINT_TOO_LARGE


class OutsideScopeError(DomainError):
    code = ErrorCode.OUTSIDE_SCOPE


def area_m2(geometry: Any) -> float:
    """Area of a WGS84 polygon in square metres (local equirectangular scale: within 0.1 % at
    the scale of a street block in Beijing)."""
    lat = float(geometry.centroid.y)
    return float(geometry.area) * _M_PER_DEG_LAT * _M_PER_DEG_LNG * math.cos(math.radians(lat))


def check_footprint(geo: GeoIndex, actor: Actor, footprint: dict[str, Any]) -> None:
    """Refuse a footprint too large for its reporter, or lying mostly outside their area."""
    geometry = parse_polygon(footprint)
    if actor.role not in UNCAPPED:
        area = area_m2(geometry)
        if area > MAX_FOOTPRINT_AREA_M2:
            raise FootprintTooLargeError(
                f"the footprint covers about {area:,.0f} m²; outline the site itself, at most "
                f"{MAX_FOOTPRINT_AREA_M2:,} m² (a street block)",
                field="footprint",
            )
    prefix = scope_prefix(actor)
    if actor.role in SCOPED and prefix:
        share = geo.locator.area_within(geometry, prefix) / max(float(geometry.area), 1e-300)
        if share < MIN_SHARE_IN_SCOPE:
            raise OutsideScopeError(
                f"only {share:.0%} of the footprint lies in your area ({prefix}); a footprint "
                f"may spill over your border but must lie at least "
                f"{MIN_SHARE_IN_SCOPE:.0%} within it",
                field="footprint",
            )
