"""Reading the messy fields department exports hold: times, coordinates, yes and no."""

from __future__ import annotations

import datetime as dt
import math
import re

from adapters.contract import RecordRejectedError
from hub.numbers import BEIJING

_SLASHED = re.compile(
    r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$"
)

# Beijing's bounding box with a margin: a point outside it cannot be a Beijing address.
LNG_RANGE = (115.0, 118.0)
LAT_RANGE = (39.0, 42.0)


def parse_time(text: str, field: str) -> dt.datetime | None:
    """``2026-03-15T09:12:00+08:00``, ``2026-03-15 09:12:00`` or ``2026/3/15 9:12``.

    A time without an offset is Beijing time; an empty one is None; anything else is refused.
    """
    text = text.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = _slashed(text, field)
    return value if value.tzinfo is not None else value.replace(tzinfo=BEIJING)


def _slashed(text: str, field: str) -> dt.datetime:
    match = _SLASHED.match(text)
    if match is None:
        raise RecordRejectedError(f"{field} is not a time: {text!r}", field=field)
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        raise RecordRejectedError(f"{field} is not a time: {text!r}", field=field) from error


def required_time(text: str, field: str) -> dt.datetime:
    value = parse_time(text, field)
    if value is None:
        raise RecordRejectedError(f"{field} is missing", field=field)
    return value


def number(value: object) -> float | None:
    """A coordinate as a float; empty, null or unreadable is None."""
    if value is None or value == "":
        return None
    try:
        result = float(str(value).strip())
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def clean_point(lng: object, lat: object) -> tuple[float, float] | None:
    """(lng, lat) made usable: None when missing or zero, swapped back when swapped."""
    x, y = number(lng), number(lat)
    if x is None or y is None or x == 0 or y == 0:
        return None
    if _within(y, LNG_RANGE) and _within(x, LAT_RANGE):
        x, y = y, x
    return x, y


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


YES_NO = {"是": True, "否": False, "1": True, "0": False, "true": True, "false": False}
SATISFACTION = {"满意": True, "基本满意": True, "不满意": False}


def answer(text: str, table: dict[str, bool], field: str) -> bool | None:
    text = text.strip().lower()
    if not text:
        return None
    if text not in table:
        raise RecordRejectedError(
            f"{field} is not one of {', '.join(table)}: {text!r}", field=field
        )
    return table[text]
