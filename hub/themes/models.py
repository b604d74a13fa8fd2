"""A theme of the month (每月一题) and the cases matched to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, BigId, JsonDoc, UTCDateTime, utcnow


class MonthlyTheme(Base):
    """A high-frequency problem the city attacks across departments, from its month on.

    Its problem is defined by categories and/or keywords, optionally within a jurisdiction;
    every matching case (reported from a year before the month on) is attached to it.
    """

    __tablename__ = "monthly_theme"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    title: Mapped[str] = mapped_column(String(200))
    lead_department_code: Mapped[str] = mapped_column(ForeignKey("department.code"))
    department_codes: Mapped[list[str]] = mapped_column(JsonDoc)
    category_codes: Mapped[list[str]] = mapped_column(JsonDoc)
    keywords: Mapped[list[str]] = mapped_column(JsonDoc)
    jurisdiction_code: Mapped[str | None] = mapped_column(
        ForeignKey("jurisdiction.code"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    # When a sweep attached again, after the setup had committed, the past cases the setup
    # could not see; None until then.
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (UniqueConstraint("month", "title", name="uq_monthly_theme_title"),)


class ThemeCase(Base):
    __tablename__ = "monthly_theme_case"

    theme_id: Mapped[int] = mapped_column(
        ForeignKey("monthly_theme.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), primary_key=True, index=True
    )
