"""The hub's GraphQL face: one schema over cases, whistles, grids, departments, jurisdictions."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaskErrors
from strawberry.schema.config import StrawberryConfig

from schema.errors import PublicError
from schema.query import Query
from schema.relay import Node
from schema.scalars import SCALARS
from schema.types.departments import Category, Department
from schema.types.geo import Grid, Jurisdiction


def _visible(error: object) -> bool:
    """Only deliberate refusals and GraphQL's own errors reach clients unmasked."""
    original = getattr(error, "original_error", None)
    return original is None or isinstance(original, PublicError)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        types=[Node, Jurisdiction, Grid, Department, Category],
        extensions=[lambda: MaskErrors(should_mask_error=lambda error: not _visible(error))],
        config=StrawberryConfig(scalar_map=SCALARS),
    )


schema = build_schema()
