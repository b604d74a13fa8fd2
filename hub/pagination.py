"""Keyset pagination, batched: one SQL statement pages many parents at once.

A connection nested under a list (the departments of each of 16 districts) must not cost a
statement per parent. ``fetch_pages`` computes every parent's page and total in a single
statement with window functions (SQLite ≥ 3.25 and PostgreSQL both have them).
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, SQLColumnExpression, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.errors import DomainError

R = TypeVar("R")
P = TypeVar("P", bound=Hashable)


class InvalidCursorError(DomainError):
    """A cursor that this hub did not hand out."""

    code = "INVALID_CURSOR"


MAX_CURSOR = 512  # characters: a cursor holds one sort key, a number or a short code
_INT64 = range(-(2**63), 2**63)


def encode_cursor(key: str | int) -> str:
    return base64.urlsafe_b64encode(json.dumps([key]).encode()).decode()


def _invalid(cursor: str) -> InvalidCursorError:
    return InvalidCursorError(
        f"invalid cursor: {cursor[:40]!r}; pass an endCursor or edge cursor from a page "
        "of the same connection, or leave after out to start at the beginning",
        field="after",
    )


def decode_cursor(cursor: str) -> str | int:
    if len(cursor) > MAX_CURSOR:
        raise _invalid(cursor)
    try:
        (key,) = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, RecursionError) as error:
        raise _invalid(cursor) from error
    valid_int = isinstance(key, int) and not isinstance(key, bool) and key in _INT64
    valid_str = isinstance(key, str) and key.isprintable() and key.isascii()
    if not (valid_int or valid_str):
        raise _invalid(cursor)
    return key  # type: ignore[no-any-return]


def _check_after(order: SQLColumnExpression[Any], after: str | int) -> None:
    """A cursor's key must be of the sort column's kind (a number for ids, text for codes)."""
    try:
        expected = getattr(order, "type").python_type  # noqa: B009 -- not on the protocol
    except (AttributeError, NotImplementedError):
        return
    if not isinstance(after, expected):
        raise _invalid(encode_cursor(after))


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int
    after: str | int | None = None


@dataclass(slots=True)
class Page(Generic[R]):
    items: list[tuple[str | int, R]] = field(default_factory=list)  # (sort key, row)
    has_next: bool = False
    total: int = 0


async def fetch_pages(
    session: AsyncSession,
    query: Select[Any],
    *,
    entity: Any,
    partition: SQLColumnExpression[Any] | None,
    parents: Sequence[P],
    order: SQLColumnExpression[Any],
    page: PageRequest,
    descending: bool = False,
) -> dict[P, Page[Any]]:
    """Page ``query`` (which selects ``entity``) per value of ``partition`` among ``parents``.

    ``partition`` None pages the whole query as one parent (``parents`` then holds one key).
    Totals ignore ``after``; rows come ordered by ``order`` (ascending unless ``descending``).
    """
    part = partition if partition is not None else literal(0)
    counted = query.add_columns(
        part.label("_part"),
        order.label("_key"),
        func.count().over(partition_by=part).label("_total"),
    )
    if partition is not None:
        counted = counted.where(partition.in_(list(parents)))
    inner = counted.subquery()
    key_order = inner.c._key.desc() if descending else inner.c._key
    ranked_query = select(
        inner,
        func.row_number().over(partition_by=inner.c._part, order_by=key_order).label("_rn"),
    )
    if page.after is not None:
        _check_after(order, page.after)
        past = inner.c._key < page.after if descending else inner.c._key > page.after
        ranked_query = ranked_query.where(past)
    ranked = ranked_query.subquery()
    row_entity = aliased(entity, ranked)
    outer = (
        select(row_entity, ranked.c._part, ranked.c._key, ranked.c._total)
        .where(ranked.c._rn <= page.first + 1)
        .order_by(ranked.c._part, ranked.c._key.desc() if descending else ranked.c._key)
    )
    pages: dict[Any, Page[Any]] = defaultdict(Page)
    for row, part_value, key, total in (await session.execute(outer)).all():
        bucket = pages[part_value if partition is not None else parents[0]]
        bucket.total = total
        if len(bucket.items) < page.first:
            bucket.items.append((key, row))
        else:
            bucket.has_next = True
    if page.after is not None:
        await _fill_totals(session, query, partition, parents, pages)
    return {parent: pages.get(parent, Page()) for parent in parents}


async def _fill_totals(
    session: AsyncSession,
    query: Select[Any],
    partition: SQLColumnExpression[Any] | None,
    parents: Sequence[Any],
    pages: dict[Any, Page[Any]],
) -> None:
    """Totals for parents whose page after the cursor came back empty."""
    missing = [parent for parent in parents if parent not in pages]
    if not missing:
        return
    sub = query.subquery()
    if partition is None:
        total = (await session.execute(select(func.count()).select_from(sub))).scalar_one()
        pages[parents[0]] = Page(total=total)
        return
    counts = query.with_only_columns(partition, func.count()).where(partition.in_(missing))
    for part_value, total in (await session.execute(counts.group_by(partition))).all():
        pages[part_value] = Page(total=total)
