"""Functional departments (部门) and their kinds."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base
from hub.geo.models import JurisdictionLevel


class DepartmentKind(enum.StrEnum):
    URBAN_MANAGEMENT = "URBAN_MANAGEMENT"
    PUBLIC_SECURITY = "PUBLIC_SECURITY"
    MARKET_REGULATION = "MARKET_REGULATION"
    ECOLOGY_ENVIRONMENT = "ECOLOGY_ENVIRONMENT"
    HOUSING_CONSTRUCTION = "HOUSING_CONSTRUCTION"
    TRANSPORT = "TRANSPORT"
    FIRE_RESCUE = "FIRE_RESCUE"
    EMERGENCY_MANAGEMENT = "EMERGENCY_MANAGEMENT"
    HEALTH = "HEALTH"
    PLANNING_NATURAL_RESOURCES = "PLANNING_NATURAL_RESOURCES"
    LANDSCAPING = "LANDSCAPING"
    WATER = "WATER"
    DEVELOPMENT_REFORM = "DEVELOPMENT_REFORM"
    FINANCE = "FINANCE"
    CIVIL_AFFAIRS = "CIVIL_AFFAIRS"
    POWER_SUPPLY = "POWER_SUPPLY"
    GAS_SUPPLY = "GAS_SUPPLY"
    OTHER = "OTHER"


class Department(Base):
    """A department at city, district or street level; code ``<jurisdiction>.<KIND>``."""

    __tablename__ = "department"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[DepartmentKind] = mapped_column(
        SqlEnum(DepartmentKind, native_enum=False, length=32)
    )
    level: Mapped[JurisdictionLevel] = mapped_column(
        SqlEnum(JurisdictionLevel, native_enum=False, length=16)
    )
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdiction.code"))
    is_fallback: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_department_jurisdiction_code_code", "jurisdiction_code", "code"),
        Index("ix_department_kind", "kind"),
    )
