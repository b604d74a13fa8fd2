"""Errors the client may see, and the one place domain errors become them.

A ``DomainError`` raised under a mutation becomes a ``UserError`` in its payload
(``user_error``, called by ``run_mutation``); raised under a query or a subscription it becomes
a coded GraphQL error (``public_error``, called by ``HubSchema.process_errors``).  Either way
the code is a member of ``hub.errors.ErrorCode``, exposed here as the GraphQL enum
``ErrorCode``.  Anything else is an unexpected fault and is masked (see ``schema.build_schema``).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from hub.errors import DomainError, ErrorCode

# The hub's codes, as the GraphQL enum ErrorCode (the same values as UserError.code).
strawberry.enum(
    ErrorCode,
    description=(
        "Every code the hub gives: in a payload's `errors` (`UserError`) or in a GraphQL"
        " error's `extensions.code`. docs/API.md's error codes table says what each means."
    ),
)


@strawberry.type(description="An expected failure of a mutation, with a stable code.")
class UserError:
    code: str = strawberry.field(description="The code, as a string (the `errorCode`'s name).")
    message: str
    error_code: ErrorCode = strawberry.field(description="The same code, as the enum.")
    field: str | None = None


class PublicError(GraphQLError):
    """A query-level refusal the client must see verbatim: its code goes in ``extensions``."""

    def __init__(self, code: ErrorCode, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


def user_error(error: DomainError) -> UserError:
    """A mutation's refusal, as its payload shows it."""
    return UserError(
        code=error.code, message=error.message, field=error.field, error_code=error.code
    )


def public_error(error: DomainError) -> PublicError:
    """A query's or subscription's refusal, as a coded GraphQL error (``field`` if it names one)."""
    if error.field:
        return PublicError(error.code, error.message, field=error.field)
    return PublicError(error.code, error.message)
