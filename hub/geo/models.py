"""Jurisdictions (city → district → street office → community) and unit grids (网格)."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, deferred, mapped_column

from hub.db import Base


class JurisdictionLevel(enum.StrEnum):
    CITY = "CITY"
    DISTRICT = "DISTRICT"
    SUBDISTRICT = "SUBDISTRICT"
    COMMUNITY = "COMMUNITY"


# How many leading digits of a code a level owns: descendants share that prefix.
CODE_PREFIX_LENGTH = {
    JurisdictionLevel.CITY: 2,
    JurisdictionLevel.DISTRICT: 6,
    JurisdictionLevel.SUBDISTRICT: 9,
    JurisdictionLevel.COMMUNITY: 12,
}


def level_of_code(code: str) -> JurisdictionLevel | None:
    """The level a division code belongs to, from its shape alone."""
    if len(code) == 6 and code.isdigit():
        return JurisdictionLevel.CITY if code.endswith("0000") else JurisdictionLevel.DISTRICT
    if len(code) == 9 and code.isdigit():
        return JurisdictionLevel.SUBDISTRICT
    if len(code) == 12 and code.isdigit():
        return JurisdictionLevel.COMMUNITY
    return None


def descendant_prefix(code: str) -> str:
    """The prefix every descendant's code (and every grid code) below ``code`` starts with."""
    level = level_of_code(code)
    if level is None:
        raise ValueError(f"not a division code: {code!r}")
    return code[: CODE_PREFIX_LENGTH[level]]


class Jurisdiction(Base):
    """One node of the tree; ``code`` is the official division code."""

    __tablename__ = "jurisdiction"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[JurisdictionLevel] = mapped_column(
        SqlEnum(JurisdictionLevel, native_enum=False, length=16)
    )
    # STREET, TOWN, TOWNSHIP, AREA, SPECIAL_ZONE, RESIDENTS_COMMITTEE, VILLAGE_COMMITTEE, …
    kind: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("jurisdiction.code"), index=True, default=None
    )
    # WKB, WGS84. Street office and community outlines are synthetic (no open data exists).
    boundary: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, default=None))
    boundary_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_jurisdiction_level_code", "level", "code"),)


class Grid(Base):
    """A unit grid: 15-digit code = district 6 + street 3 + community 3 + serial 3."""

    __tablename__ = "grid"

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    community_code: Mapped[str] = mapped_column(ForeignKey("jurisdiction.code"), index=True)
    boundary: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    boundary_synthetic: Mapped[bool] = mapped_column(Boolean, default=True)
