"""The domain's enums, exposed as GraphQL enums under the names API.md fixes."""

from __future__ import annotations

import enum

import strawberry

from hub.actors import Role as _Role
from hub.departments.models import DepartmentKind as _DepartmentKind
from hub.geo.models import JurisdictionLevel as _JurisdictionLevel

JurisdictionLevel = strawberry.enum(_JurisdictionLevel, name="JurisdictionLevel")
DepartmentKind = strawberry.enum(_DepartmentKind, name="DepartmentKind")
Role = strawberry.enum(_Role, name="Role")


@strawberry.enum(description="Coordinate reference system of an input point.")
class CRS(enum.StrEnum):
    WGS84 = "WGS84"
    GCJ02 = "GCJ02"
    BD09 = "BD09"
