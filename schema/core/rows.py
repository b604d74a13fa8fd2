"""Fields that answer straight from the row a type wraps (``self.row.<attribute>``)."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import strawberry


def from_row(attribute: str, annotation: object, **options: Any) -> Any:
    """A field answering ``self.row.<attribute>``, of GraphQL type ``annotation``.

    ``options`` go to ``strawberry.field`` (``description``, ``name`` ...).  The field keeps its
    place among the type's other fields, as a resolver method would.
    """
    read = attrgetter(f"row.{attribute}")

    def resolve(self: Any) -> Any:
        return read(self)

    resolve.__annotations__ = {"return": annotation}
    resolve.__qualname__ = resolve.__name__ = attribute
    return strawberry.field(resolver=resolve, **options)
