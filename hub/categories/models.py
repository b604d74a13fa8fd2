"""Problem categories and the responsibility matrix (which kinds of department answer)."""

from __future__ import annotations

from sqlalchemy import Enum as SqlEnum
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base
from hub.departments.models import DepartmentKind
from hub.geo.models import JurisdictionLevel


class Category(Base):
    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("category.code"), index=True, default=None
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class Responsibility(Base):
    """One row of the matrix: ``department_kind`` at ``level`` answers for ``category``.

    Like Miyun's list of 16 categories / 99 items naming who must report for what.
    """

    __tablename__ = "responsibility"

    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"), primary_key=True)
    department_kind: Mapped[DepartmentKind] = mapped_column(
        SqlEnum(DepartmentKind, native_enum=False, length=32), primary_key=True
    )
    level: Mapped[JurisdictionLevel] = mapped_column(
        SqlEnum(JurisdictionLevel, native_enum=False, length=16), primary_key=True
    )
    # Lower answers first when routing (most local level first within a category).
    rank: Mapped[int] = mapped_column(Integer, default=0)
