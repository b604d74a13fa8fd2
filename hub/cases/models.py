"""Cases (诉求/事件): intake to return call, with dispatches, references and a timeline."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, BigId, JsonDoc, UTCDateTime, utcnow


class CaseSource(enum.StrEnum):
    HOTLINE_12345 = "HOTLINE_12345"
    GRID_PATROL = "GRID_PATROL"
    STREET_CHIEF = "STREET_CHIEF"
    ALLEY_STEWARD = "ALLEY_STEWARD"
    CITIZEN_APP = "CITIZEN_APP"
    DATA_ALERT = "DATA_ALERT"
    DEPARTMENT = "DEPARTMENT"
    OPEN311 = "OPEN311"


class CaseStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"
    DISPATCHED = "DISPATCHED"
    RESPONDED = "RESPONDED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


class Priority(enum.StrEnum):
    ROUTINE = "ROUTINE"
    URGENT = "URGENT"
    EMERGENCY = "EMERGENCY"


def _enum(kind: type[enum.Enum], length: int = 32) -> SqlEnum:
    return SqlEnum(kind, native_enum=False, length=length)


class Case(Base):
    __tablename__ = "case"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"))
    source: Mapped[CaseSource] = mapped_column(_enum(CaseSource))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, 16))
    priority: Mapped[Priority] = mapped_column(_enum(Priority, 16))
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lng: Mapped[float | None] = mapped_column(Float, default=None)
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    footprint: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grid.code"), default=None)
    community_code: Mapped[str | None] = mapped_column(
        ForeignKey("jurisdiction.code"), default=None
    )
    subdistrict_code: Mapped[str] = mapped_column(ForeignKey("jurisdiction.code"))
    district_code: Mapped[str] = mapped_column(ForeignKey("jurisdiction.code"))
    crosses_boundary: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    respond_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    resolve_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    respond_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    resolve_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    # Protected at rest; shown masked except to roles that need it.
    reporter_contact: Mapped[bytes | None] = mapped_column(default=None)
    feedback_resolved: Mapped[bool | None] = mapped_column(Boolean, default=None)
    feedback_satisfied: Mapped[bool | None] = mapped_column(Boolean, default=None)
    feedback_comment: Mapped[str | None] = mapped_column(Text, default=None)
    feedback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_case_subdistrict_reported", "subdistrict_code", "reported_at"),
        Index("ix_case_district_reported", "district_code", "reported_at"),
        Index("ix_case_grid_code", "grid_code"),
        Index("ix_case_category_reported", "category_code", "reported_at"),
        Index("ix_case_status", "status"),
        Index("ix_case_reported_at", "reported_at"),
    )


class CaseJurisdiction(Base):
    """Every street office a case's footprint (or point) touches."""

    __tablename__ = "case_jurisdiction"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), primary_key=True
    )
    subdistrict_code: Mapped[str] = mapped_column(
        ForeignKey("jurisdiction.code"), primary_key=True, index=True
    )


class CaseExternalRef(Base):
    """Provenance: the case's id in another system (hotline order, Open311 request, …)."""

    __tablename__ = "case_external_ref"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    system: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    source_version: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (UniqueConstraint("system", "external_id", name="uq_case_external_ref"),)


class DispatchStatus(enum.StrEnum):
    DISPATCHED = "DISPATCHED"
    RESPONDED = "RESPONDED"
    RESOLVED = "RESOLVED"


class CaseDispatch(Base):
    """The case sent to one department (several at once is dual dispatch, 双派单)."""

    __tablename__ = "case_dispatch"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    status: Mapped[DispatchStatus] = mapped_column(_enum(DispatchStatus, 16))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    dispatched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        UniqueConstraint("case_id", "department_code", name="uq_case_dispatch_department"),
    )


class CaseEvent(Base):
    """One entry of a case's timeline: the audit trail and the subscription feed (outbox)."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(48))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    data: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
