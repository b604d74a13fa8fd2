"""The hub's GraphQL face: one schema over cases, whistles, grids, departments, jurisdictions."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema.config import StrawberryConfig

from schema.errors import PublicError
from schema.mutation import Mutation
from schema.query import Query
from schema.relay import Node
from schema.scalars import SCALARS
from schema.types.cases import Case
from schema.types.departments import Category, Department
from schema.types.geo import Grid, Jurisdiction


def _visible(error: object) -> bool:
    """Only deliberate refusals and GraphQL's own errors reach clients unmasked."""
    original = getattr(error, "original_error", None)
    return original is None or isinstance(original, PublicError)


log = logging.getLogger("hub.graphql")


class HubSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log only unexpected faults; a client's syntax or validation error is not ours."""
        for error in errors:
            if not _visible(error):
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)


def build_schema() -> strawberry.Schema:
    return HubSchema(
        query=Query,
        mutation=Mutation,
        types=[Node, Jurisdiction, Grid, Department, Category, Case],
        extensions=[lambda: MaskErrors(should_mask_error=lambda error: not _visible(error))],
        config=StrawberryConfig(scalar_map=SCALARS),
    )


schema = build_schema()
