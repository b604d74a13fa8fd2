"""Custom scalars (mapped in ``StrawberryConfig.scalar_map``)."""

from __future__ import annotations

import json
from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

GeoJSON = NewType("GeoJSON", object)


def _parse_geojson(value: Any) -> Any:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict) or "type" not in value:
        raise ValueError("GeoJSON must be an object with a 'type'")
    return value


SCALARS: dict[object, ScalarDefinition] = {
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        description="A GeoJSON geometry object (RFC 7946), coordinates WGS84 [lng, lat].",
        serialize=lambda value: value,
        parse_value=_parse_geojson,
    )
}
