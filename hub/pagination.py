"""Keyset pagination that costs its page: ``LIMIT first + 1`` past the cursor, in index order.

A page is the rows after the cursor in the connection's order (``ORDER BY k1, k2 … LIMIT n``
with ``(k1, k2 …) < cursor``), which the database answers by walking an index in that order:
the cost grows with the page, not with the table.  A connection nested under a list (the cases
of each of 16 districts) costs one statement for all its parents, not one per parent: each
parent's page is its own ``ORDER BY … LIMIT`` branch of a ``UNION ALL``, so each still walks
its index and stops after its page (measured against a window over the parents' rows and a
``LATERAL`` join in BENCHMARKS.md).

``totalCount`` is counted only when asked for, and exactly only up to ``COUNT_CAP`` rows: past
it the count says so (``Page.total_exact``), as Shopify's counts do (``AT_LEAST``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    Select,
    String,
    cast,
    column,
    func,
    inspect,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from hub.errors import DomainError, ErrorCode

R = TypeVar("R")
P = TypeVar("P", bound=Hashable)

Scalar = str | int | dt.datetime
Key = tuple[Scalar, ...]

MAX_CURSOR = 512  # characters: a cursor holds one sort key, a time and an id at most
_INT64 = range(-(2**63), 2**63)
COUNT_CAP = 10_000  # totalCount is exact up to here; past it, "at least" this many

# The shape of a connection's cursor: the types of its sort key, in order.
BY_ID: tuple[type, ...] = (int,)
BY_CODE: tuple[type, ...] = (str,)
NEWEST: tuple[type, ...] = (dt.datetime, int)  # newest first by a time, ties by id


class InvalidPageSizeError(DomainError):
    """``first`` outside 1 to the most a page holds."""

    code = ErrorCode.INVALID_PAGE_SIZE


class InvalidCursorError(DomainError):
    """A cursor that this hub did not hand out (or not for this list)."""

    code = ErrorCode.INVALID_CURSOR


MAX_CURSOR = 512  # characters: a cursor holds one sort key, a number or a short code
_INT64 = range(-(2**63), 2**63)


def encode_cursor(key: Key) -> str:
    values = [value.isoformat() if isinstance(value, dt.datetime) else value for value in key]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode()


def _invalid(cursor: str) -> InvalidCursorError:
    return InvalidCursorError(
        f"invalid cursor: {cursor[:40]!r}; pass an endCursor or edge cursor from a page "
        "of the same connection, or leave after out to start at the beginning",
        field="after",
    )


def decode_cursor(cursor: str, shape: Sequence[type] = BY_ID) -> Key:
    """The sort key a cursor holds, checked against the list's ``shape``."""
    if len(cursor) > MAX_CURSOR:
        raise _invalid(cursor)
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, RecursionError) as error:
        raise _invalid(cursor) from error
    if not isinstance(values, list) or len(values) != len(shape):
        raise _invalid(cursor)
    return tuple(_typed(value, kind, cursor) for value, kind in zip(values, shape, strict=True))


def _typed(value: Any, kind: type, cursor: str) -> Scalar:
    if kind is dt.datetime and isinstance(value, str) and len(value) <= 40:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    elif kind is int and isinstance(value, int) and not isinstance(value, bool):
        if value in _INT64:
            return value
    elif kind is str and isinstance(value, str) and value.isprintable() and value.isascii():
        return value
    raise _invalid(cursor)


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int
    after: Key | None = None
    count: bool = False  # whether totalCount was asked for


@dataclass(slots=True)
class Page(Generic[R]):
    items: list[tuple[Key, R]] = field(default_factory=list)  # (sort key, row)
    has_next: bool = False
    total: int | None = None  # None unless counted
    total_exact: bool = True


Order = InstrumentedAttribute[Any] | Sequence[InstrumentedAttribute[Any]]


async def fetch_page(
    session: AsyncSession,
    query: Select[Any],
    *,
    entity: Any,
    order: Order,
    page: PageRequest,
    descending: bool = False,
) -> Page[Any]:
    """Page ``query`` (which selects ``entity``) as one list."""
    pages = await fetch_each(
        session, {0: query}, entity=entity, order=order, page=page, descending=descending
    )
    return pages[0]


async def fetch_pages(
    session: AsyncSession,
    query: Select[Any],
    *,
    entity: Any,
    partition: Any | None,
    parents: Sequence[P],
    order: Order,
    page: PageRequest,
    descending: bool = False,
) -> dict[P, Page[Any]]:
    """Page ``query`` (which selects ``entity``) per value of ``partition`` among ``parents``.

    ``partition`` None pages the whole query as one parent (``parents`` then holds one key).
    """
    if partition is None:
        return await fetch_each(
            session, {parents[0]: query}, entity=entity, order=order, page=page,
            descending=descending,
        )  # fmt: skip
    pages = await fetch_under(
        session,
        [{"code": str(parent)} for parent in parents],
        lambda p: query.where(partition == cast(p.c.code, partition.type)),
        entity=entity,
        order=order,
        page=page,
        descending=descending,
    )
    return dict(zip(parents, pages, strict=True))


async def fetch_each(
    session: AsyncSession,
    queries: Mapping[P, Select[Any]],
    *,
    entity: Any,
    order: Order,
    page: PageRequest,
    descending: bool = False,
) -> dict[P, Page[Any]]:
    """Each parent's page of its own query (a handful of parents: one statement each).

    Rows come ordered by ``order`` (entity attributes, ascending unless ``descending``), after
    ``page.after``; totals, when asked for, ignore ``after``.
    """
    columns = _columns(order)
    pages: dict[P, Page[Any]] = {}
    for parent, query in queries.items():
        bucket = pages[parent] = Page()
        if not page.count:
            rows = (await session.scalars(_page_of(query, columns, page, descending))).all()
            _fill(bucket, rows, columns, page)
            continue
        # The total rides along with the page: one statement either way.
        total = _counted(query).correlate(None).scalar_subquery().label("_total")
        statement = _page_of(query.add_columns(total), columns, page, descending)
        found = (await session.execute(statement)).all()
        _fill(bucket, [row for row, _ in found], columns, page)
        if found:
            _set_total(bucket, found[0][1])
        elif page.after is None:
            _set_total(bucket, 0)
        else:  # nothing past the cursor: the total is still the list's
            _set_total(bucket, (await session.execute(_counted(query))).scalar() or 0)
    return pages


async def fetch_under(
    session: AsyncSession,
    parents: Sequence[Mapping[str, str]],
    branch: Callable[[Any], Select[Any]],
    *,
    entity: Any,
    order: Order,
    page: PageRequest,
    descending: bool = False,
) -> list[Page[Any]]:
    """Each parent's page, for any number of parents, in one statement.

    ``parents`` are rows of named text values (the same names in each); ``branch(p)`` is the
    query of one parent's rows, written against ``p``, the parents' table (``p.c.code``). Each
    parent's page is an ``ORDER BY … LIMIT`` of its own (``LATERAL`` on PostgreSQL, a correlated
    ``IN`` on SQLite), so each walks its index and stops after its page.
    """
    pages: list[Page[Any]] = [Page() for _ in parents]
    if not parents:
        return pages
    columns = _columns(order)
    postgres = (await session.connection()).dialect.name == "postgresql"
    table = _parents_table(parents, postgres)
    limited = _page_of(branch(table), columns, page, descending)
    selected: list[Any] = [table.c._part]
    if page.count:  # the totals ride along with the pages: one statement either way
        selected.append(_counted(branch(table), table).scalar_subquery())
    if postgres:
        lateral = limited.subquery().lateral("page")
        rows_of: Any = aliased(entity, lateral)
        statement = select(*selected, rows_of).select_from(table)
        statement = statement.join(lateral, true(), isouter=page.count)
    else:
        rows_of = aliased(entity)
        (key,) = inspect(entity).primary_key
        ids = limited.with_only_columns(key).correlate(table)
        statement = (
            select(*selected, rows_of)
            .select_from(table)
            .join(rows_of, getattr(rows_of, key.key).in_(ids), isouter=page.count)
        )
    keys = [getattr(rows_of, column.key) for column in columns]
    statement = statement.order_by(
        table.c._part, *(key.desc() if descending else key.asc() for key in keys)
    )
    found: dict[int, list[Any]] = {}
    for part, *rest in (await session.execute(statement)).all():
        row = rest[-1]
        if page.count:
            _set_total(pages[int(part)], rest[0] or 0)
        if row is not None:
            found.setdefault(int(part), []).append(row)
    for part, rows in found.items():
        _fill(pages[part], rows, columns, page)
    return pages


def _parents_table(parents: Sequence[Mapping[str, str]], postgres: bool) -> Any:
    """The parents as a table ``p(_part, <names>…)`` from one JSON parameter."""
    names = list(parents[0])
    records = [{"_part": str(n), **row} for n, row in enumerate(parents)]
    if postgres:
        rows = func.jsonb_to_recordset(literal(records, JSONB)).table_valued(
            *(column(name, String) for name in ["_part", *names])
        )
        source = rows.render_derived(name="parent_rows", with_types=True)
        return select(*(source.c[name] for name in ["_part", *names])).subquery("p")
    each = func.json_each(json.dumps(records)).table_valued("value").alias("parent_rows")
    fields = [
        func.json_extract(each.c.value, f"$.{name}").label(name) for name in ["_part", *names]
    ]
    return select(*fields).select_from(each).subquery("p")


def _columns(order: Order) -> tuple[InstrumentedAttribute[Any], ...]:
    return (order,) if isinstance(order, InstrumentedAttribute) else tuple(order)


def _page_of(
    query: Select[Any], columns: Sequence[Any], page: PageRequest, descending: bool
) -> Select[Any]:
    if page.after is not None:
        key, after = tuple_(*columns), tuple_(*page.after)
        query = query.where(key < after if descending else key > after)
    keys = [column.desc() if descending else column.asc() for column in columns]
    return query.order_by(*keys).limit(page.first + 1)


def _fill(
    bucket: Page[Any], rows: Sequence[Any], columns: Sequence[Any], page: PageRequest
) -> None:
    for row in rows:
        if len(bucket.items) < page.first:
            bucket.items.append((tuple(getattr(row, c.key) for c in columns), row))
        else:
            bucket.has_next = True


def _counted(query: Select[Any], parents: Any = None) -> Select[Any]:
    """How many rows ``query`` has, counted up to one past ``COUNT_CAP`` (for each row of the
    ``parents``' table it is written against, if any)."""
    rows: Select[Any] = query.with_only_columns(literal_column("1"), maintain_column_froms=True)
    if parents is not None:
        rows = rows.correlate(parents)
    limited = rows.order_by(None).limit(COUNT_CAP + 1).subquery()
    return select(func.count()).select_from(limited)


def _set_total(bucket: Page[Any], total: int) -> None:
    bucket.total = min(total, COUNT_CAP)
    bucket.total_exact = total <= COUNT_CAP
