"""The domain's enums, exposed as GraphQL enums under their own names (API.md's names)."""

from __future__ import annotations

import enum

import strawberry

from hub.auth.actors import Role
from hub.departments.models import DepartmentKind
from hub.geo.models import JurisdictionLevel

# Registered in place: the GraphQL enums are the domain's enums, not copies that could drift.
for _domain_enum in (JurisdictionLevel, DepartmentKind, Role):
    strawberry.enum(_domain_enum)


@strawberry.enum(description="Coordinate reference system of an input point.")
class CRS(enum.StrEnum):
    WGS84 = "WGS84"
    GCJ02 = "GCJ02"
    BD09 = "BD09"


__all__ = ["CRS", "DepartmentKind", "JurisdictionLevel", "Role"]
