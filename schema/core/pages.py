"""Validating the ``first``/``after`` arguments of every connection."""

from __future__ import annotations

from hub.pagination import InvalidCursorError, PageRequest, decode_cursor
from schema.core.errors import PublicError

MAX_PAGE = 100


def page_request(first: int, after: str | None) -> PageRequest:
    if not 1 <= first <= MAX_PAGE:
        raise PublicError("INVALID_PAGE_SIZE", f"first must be between 1 and {MAX_PAGE}")
    try:
        key = decode_cursor(after) if after is not None else None
    except InvalidCursorError as error:
        raise PublicError("INVALID_CURSOR", error.message, field="after") from error
    return PageRequest(first=first, after=key)
