"""Errors the client may see: coded ``UserError`` data in payloads, coded query errors.

Anything else is an unexpected fault and is masked (see ``schema.build_schema``).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError


@strawberry.type(description="An expected failure of a mutation, with a stable code.")
class UserError:
    code: str
    message: str
    field: str | None = None


class PublicError(GraphQLError):
    """A query-level refusal the client must see verbatim: its code goes in ``extensions``."""

    def __init__(self, code: str, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})
