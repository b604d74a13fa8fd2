"""Custom scalars."""

from __future__ import annotations

import json
from typing import Any, NewType

import strawberry

GeoJSON = strawberry.scalar(
    NewType("GeoJSON", object),
    description="A GeoJSON geometry object (RFC 7946), coordinates WGS84 [lng, lat].",
    serialize=lambda value: value,
    parse_value=lambda value: _parse_geojson(value),
)


def _parse_geojson(value: Any) -> Any:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict) or "type" not in value:
        raise ValueError("GeoJSON must be an object with a 'type'")
    return value
