"""Validating the ``first``/``after`` arguments of every connection, and seeing what it counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from strawberry.types.nodes import SelectedField, Selection

from hub.pagination import (
    BY_ID,
    InvalidCursorError,
    InvalidPageSizeError,
    PageRequest,
    decode_cursor,
)
from schema.core.context import AnyInfo

MAX_PAGE = 100
COUNT_FIELDS = frozenset({"totalCount", "totalCountPrecision"})


def page_request(
    info: AnyInfo, first: int, after: str | None, shape: Sequence[type] = BY_ID
) -> PageRequest:
    """The page asked for; ``shape`` is the list's sort key (what its cursors hold)."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidPageSizeError(f"first must be between 1 and {MAX_PAGE}")
    try:
        key = decode_cursor(after, shape) if after is not None else None
    except InvalidCursorError as error:
        raise InvalidCursorError(error.message, field="after") from error
    return PageRequest(first=first, after=key, count=counts_asked(info))


def counts_asked(info: AnyInfo) -> bool:
    """Whether this connection's selection asks for its total (fragments included)."""
    return any(_asks_count(field.selections) for field in info.selected_fields)


def _asks_count(selections: Iterable[Selection]) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name in COUNT_FIELDS:
                return True
        elif _asks_count(selection.selections):  # a fragment spread or an inline fragment
            return True
    return False
