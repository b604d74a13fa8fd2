"""Every text column's length, checked in the session before a row reaches the database.

SQLite stores a string of any length in a ``VARCHAR(64)`` and PostgreSQL refuses it with an
error the hub cannot tell from a fault; both now refuse it the same way, as a coded
``TOO_LONG`` naming the field. ``String(n)`` columns are held to ``n``; unbounded ``Text``
columns to the ``max_length`` in their ``info``. ``info["field"]`` names the field as clients
know it (the column's name in camelCase otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from hub.errors import DomainError, ErrorCode

DESCRIPTION = 20_000  # a case's description: a long complaint read out on the hotline
NOTE = 2_000  # a note, comment, reason or task: a paragraph, not a document


class ValueTooLongError(DomainError):
    code = ErrorCode.TOO_LONG


def bounded(max_length: int, field: str | None = None) -> dict[str, Any]:
    """``info`` for an unbounded text column: ``mapped_column(Text, info=bounded(2000))``."""
    return {"max_length": max_length, **({"field": field} if field else {})}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def refuse_overlong(row: object) -> None:
    """Raise TOO_LONG for the first text attribute of ``row`` longer than its column allows."""
    mapper = inspect(row).mapper
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        limit = getattr(column.type, "length", None) or column.info.get("max_length")
        value = getattr(row, attribute.key, None)
        if limit and isinstance(value, str) and len(value) > limit:
            field = column.info.get("field") or _camel(attribute.key)
            raise ValueTooLongError(
                f"{field} is {len(value)} characters long; send at most {limit}", field=field
            )


def refuse_overlong_rows(model: type[Any], rows: Iterable[dict[str, Any]]) -> None:
    """``refuse_overlong`` for plain rows bound for a bulk INSERT (no ORM flush to check them)."""
    limits = []
    for attribute in inspect(model).column_attrs:
        column = attribute.columns[0]
        limit = getattr(column.type, "length", None) or column.info.get("max_length")
        if limit:
            limits.append((attribute.key, int(limit), column.info.get("field")))
    for row in rows:
        for key, limit, field in limits:
            value = row.get(key)
            if isinstance(value, str) and len(value) > limit:
                name = field or _camel(key)
                raise ValueTooLongError(
                    f"{name} is {len(value)} characters long; send at most {limit}", field=name
                )


@event.listens_for(Session, "before_flush")
def _check_lengths(session: Session, _context: object, _instances: object) -> None:
    for row in (*session.new, *session.dirty):
        refuse_overlong(row)
