"""Limits no query can break: size, tokens, depth, aliases, directives, cost, introspection.

Every refusal is a GraphQL request error (the HTTP endpoint answers 400 with
``application/graphql-response+json``) whose ``extensions.code`` names the limit, with the limit
and the measured value beside it::

    {"message": "The operation is 12 levels deep; at most 10 are allowed.",
     "extensions": {"code": "QUERY_TOO_DEEP", "limit": 10, "value": 12}}

Two stages, cheapest first, both run by ``limit_rules.QueryLimitsExtension``:

* **Parsing** (``parsing``): the ``query`` string's length is checked before anything reads
  it, then the document is parsed with graphql-core's ``max_lexical_tokens``, which aborts a
  token flood as soon as the limit is passed instead of building its AST.
* **Validation** (``limit_rules``, beside graphql-core's own rules): one pass over the
  operation (``measurement``) measures its depth, aliases, directives and estimated cost,
  expanding fragment spreads with memoisation -- each fragment is measured once, so a fragment
  bomb (fragments spreading others twice, 2^n expansions) costs linear time to measure and is
  refused for its exponential estimate.  ``__schema``/``__type`` subtrees are left to the
  introspection limits (graphql-core's ``MaxIntrospectionDepthRule``, or refused outright when
  introspection is off).

This module holds what the stages share: the limits themselves and the error they raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, Node

from hub.config import Settings

__all__ = ["SATURATED", "LimitExceededError", "QueryLimits"]

SATURATED = 10**15  # measurements stop growing here: far above any limit, still a small int


@dataclass(frozen=True)
class QueryLimits:
    """The limits of one schema; ``from_settings`` reads them from ``HUB_*`` settings."""

    max_query_length: int = 15_000
    max_tokens: int = 1000
    max_depth: int = 10
    max_aliases: int = 30
    max_directives: int = 50
    max_cost: int = 5000
    list_cost_estimate: int = 20
    default_page_size: int = 20
    max_page_size: int = 100
    introspection: bool = True
    field_suggestions: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimits:
        return cls(
            max_query_length=settings.max_query_length,
            max_tokens=settings.max_tokens,
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_directives=settings.max_directives,
            max_cost=settings.max_cost,
            list_cost_estimate=settings.list_cost_estimate,
            default_page_size=settings.default_page_size,
            max_page_size=settings.max_page_size,
            introspection=settings.introspection,
            field_suggestions=settings.field_suggestions,
        )

    @property
    def hide_suggestions(self) -> bool:
        """Suggestions would leak the schema that disabled introspection hides."""
        return not (self.field_suggestions and self.introspection)

    def parse_options(self) -> dict[str, Any]:
        """graphql-core ``parse`` options that stop a parse at these limits (uncoded errors)."""
        return {
            "max_source_length": self.max_query_length,
            "max_lexical_tokens": self.max_tokens,
        }


class LimitExceededError(GraphQLError):
    """A document over one of the limits; ``extensions``: ``code``, ``limit``, ``value``."""

    def __init__(
        self, code: str, message: str, limit: int, value: int | None, nodes: Node | None = None
    ) -> None:
        extensions: dict[str, Any] = {"code": code, "limit": limit}
        if value is not None:
            extensions["value"] = min(value, SATURATED)
        super().__init__(message, nodes, extensions=extensions)
