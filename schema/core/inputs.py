"""Checks on query arguments that the GraphQL types alone cannot express."""

from __future__ import annotations

from hub.errors import SearchTooLongError

# A search is a few words: SQLite refuses LIKE patterns past 50,000 bytes, and a long pattern
# scans every text for nothing.
MAX_SEARCH = 100


def search_text(value: str | None, field: str) -> str | None:
    """``value`` if it is short enough to search with; SEARCH_TOO_LONG otherwise."""
    if value is not None and len(value) > MAX_SEARCH:
        raise SearchTooLongError(
            f"{field} is {len(value)} characters long; search with at most {MAX_SEARCH}",
            field=field,
        )
    return value
