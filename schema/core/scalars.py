"""Custom scalars (mapped in ``StrawberryConfig.scalar_map``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NewType

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

GeoJSON = NewType("GeoJSON", object)


def _parse_geojson(value: Any) -> Any:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict) or "type" not in value:
        raise ValueError("GeoJSON must be an object with a 'type'")
    return value


# Instants the hub stores and computes deadlines from; beyond these, arithmetic overflows.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
DATETIME_EXAMPLE = "2026-03-15T09:30:00+08:00"


def _invalid_datetime(value: object, reason: str) -> GraphQLError:
    return GraphQLError(
        f"{repr(value)[:60]} is not a DateTime: {reason}; send ISO-8601 with an offset, "
        f"e.g. {DATETIME_EXAMPLE!r}.",
        extensions={"code": "INVALID_DATETIME"},
    )


def _parse_datetime(value: object) -> dt.datetime:
    """ISO-8601 with an offset, an instant between 1900 and 2999 (UTC)."""
    if not isinstance(value, str):
        raise _invalid_datetime(value, "it is not a string")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (ValueError, OverflowError) as error:
        raise _invalid_datetime(value, str(error) or "it does not parse") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _invalid_datetime(value, "it has no offset (Z or ±hh:mm)")
    try:
        instant = parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        instant = None
    if instant is None or not EARLIEST <= instant <= LATEST:
        raise _invalid_datetime(value, "it lies outside 1900–2999")
    return parsed


SCALARS: dict[object, ScalarDefinition] = {
    dt.datetime: strawberry.scalar(
        name="DateTime",
        description=f"An ISO-8601 date and time with its offset, e.g. {DATETIME_EXAMPLE}.",
        serialize=dt.datetime.isoformat,
        parse_value=_parse_datetime,
    ),
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        description="A GeoJSON geometry object (RFC 7946), coordinates WGS84 [lng, lat].",
        serialize=lambda value: value,
        parse_value=_parse_geojson,
    ),
}
