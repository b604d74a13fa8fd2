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
    false,
    text,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import TextClause

from hub.db import Base, BigId, JsonDoc, UTCDateTime, utcnow
from hub.lengths import DESCRIPTION, NOTE, bounded


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
    DECLINED = "DECLINED"
    MERGED = "MERGED"


class WarningLevel(enum.StrEnum):
    """Graded warning (红黄绿灯) on the resolve-by clock."""

    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"


class Priority(enum.StrEnum):
    ROUTINE = "ROUTINE"
    URGENT = "URGENT"
    EMERGENCY = "EMERGENCY"


def _enum(kind: type[enum.Enum], length: int = 32) -> SqlEnum:
    return SqlEnum(kind, native_enum=False, length=length)


# Cases still on the clock: not resolved, closed, declined or merged.
OPEN_STATUSES = ("RECEIVED", "DISPATCHED", "RESPONDED")
_OPEN_UNRESOLVED = text("status IN ('RECEIVED', 'DISPATCHED', 'RESPONDED')")
# Partial indexes' conditions, written as each dialect renders the queries they serve (a planner
# uses a partial index only for a query whose condition it can match to the index's).
_OVERDUE = {
    "postgresql": text("respond_overdue OR resolve_overdue"),
    "sqlite": text("respond_overdue = 1 OR resolve_overdue = 1"),
}
# The columns a case's text search looks in.
TEXT_SEARCHED = ("title", "description", "address")


def _due(flag: str, done: str, dialect: str) -> TextClause:
    """Cases whose clock can still fall overdue: not yet flagged (``flag``), done (``done``) or
    closed."""
    false = "false" if dialect == "postgresql" else "0"
    return text(f"{flag} IS {false} AND {done} IS NULL AND closed_at IS NULL")


class Case(Base):
    __tablename__ = "case"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, info=bounded(DESCRIPTION))
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
    # When the yellow warning falls due (80% of the time to resolve-by gone).
    warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    respond_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    resolve_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    # Protected at rest; shown masked except to roles that need it.
    reporter_contact: Mapped[bytes | None] = mapped_column(default=None)
    feedback_resolved: Mapped[bool | None] = mapped_column(Boolean, default=None)
    feedback_satisfied: Mapped[bool | None] = mapped_column(Boolean, default=None)
    feedback_comment: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    feedback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_level: Mapped[WarningLevel] = mapped_column(
        _enum(WarningLevel, 8), default=WarningLevel.GREEN
    )
    # 合并: a duplicate follows its main order's outcome.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="SET NULL"), default=None, index=True
    )
    # 不予受理: why the centre declined it.
    decline_reason: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    # 重复派单: dispatches made after a return was accepted.
    redispatch_count: Mapped[int] = mapped_column(Integer, default=0)
    # 每月一题: claimed by a sweep that attached it to the themes collecting (hub.themes).
    themes_matched: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # Every list of cases is newest first, by (reported_at, id): each filter the schema
        # offers has an index in that order, so a page walks it and stops after the page.
        Index("ix_case_newest", "reported_at", "id"),
        Index("ix_case_district_newest", "district_code", "reported_at", "id"),
        Index("ix_case_subdistrict_newest", "subdistrict_code", "reported_at", "id"),
        Index("ix_case_community_newest", "community_code", "reported_at", "id"),
        Index("ix_case_grid_newest", "grid_code", "reported_at", "id"),
        Index("ix_case_category_newest", "category_code", "reported_at", "id"),
        Index("ix_case_status_newest", "status", "reported_at", "id"),
        Index("ix_case_source_newest", "source", "reported_at", "id"),
        Index(
            "ix_case_overdue_newest",
            "reported_at",
            "id",
            postgresql_where=_OVERDUE["postgresql"],
            sqlite_where=_OVERDUE["sqlite"],
        ),
        # The overdue sweep reads only cases still able to fall overdue (partial indexes).
        Index(
            "ix_case_respond_due",
            "respond_by",
            postgresql_where=_due("respond_overdue", "responded_at", "postgresql"),
            sqlite_where=_due("respond_overdue", "responded_at", "sqlite"),
        ),
        Index(
            "ix_case_resolve_due",
            "resolve_by",
            postgresql_where=_due("resolve_overdue", "resolved_at", "postgresql"),
            sqlite_where=_due("resolve_overdue", "resolved_at", "sqlite"),
        ),
        # The warning pass reads only open cases due a warning (partial indexes).
        Index(
            "ix_case_warning_yellow",
            "warning_level",
            "warn_at",
            postgresql_where=_OPEN_UNRESOLVED,
            sqlite_where=_OPEN_UNRESOLVED,
        ),
        Index(
            "ix_case_warning_red",
            "warning_level",
            "resolve_by",
            postgresql_where=_OPEN_UNRESOLVED,
            sqlite_where=_OPEN_UNRESOLVED,
        ),
        # The cases no sweep has matched against the themes yet.
        Index(
            "ix_case_themes_unmatched",
            "id",
            postgresql_where=text("themes_matched IS false"),
            sqlite_where=text("themes_matched IS 0"),
        ),
        # Text search (``LIKE '%…%'``) through trigram indexes on PostgreSQL (pg_trgm); SQLite
        # has no such index and scans in the newest-first order instead.
        *(
            Index(
                f"ix_case_{name}_trgm",
                name,
                postgresql_using="gin",
                postgresql_ops={name: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for name in TEXT_SEARCHED
        ),
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
    system: Mapped[str] = mapped_column(String(64), info={"field": "externalRef.system"})
    external_id: Mapped[str] = mapped_column(String(128), info={"field": "externalRef.id"})
    source_version: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (UniqueConstraint("system", "external_id", name="uq_case_external_ref"),)


class DispatchStatus(enum.StrEnum):
    DISPATCHED = "DISPATCHED"
    RESPONDED = "RESPONDED"
    RESOLVED = "RESOLVED"
    # 退单 awaiting the dispatcher's review, then withdrawn once the return is accepted.
    RETURNED = "RETURNED"
    WITHDRAWN = "WITHDRAWN"


class DispatchRole(enum.StrEnum):
    """主办 / 协办: the lead unit answers for the order; assisting units help."""

    LEAD = "LEAD"
    ASSIST = "ASSIST"


class CaseDispatch(Base):
    """The case sent to one department (several at once is dual dispatch, 双派单)."""

    __tablename__ = "case_dispatch"
    __table_args__ = (
        UniqueConstraint("case_id", "department_code", name="uq_case_dispatch_department"),
        # The sweeper chases unsigned orders through this (partial) index only.
        Index(
            "ix_case_dispatch_unsigned",
            "sign_by",
            postgresql_where=text("signed_at IS NULL AND NOT sign_overdue"),
            sqlite_where=text("signed_at IS NULL AND NOT sign_overdue"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # A case's dispatches are found through ``uq_case_dispatch_department`` (case_id first).
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    status: Mapped[DispatchStatus] = mapped_column(_enum(DispatchStatus, 16))
    role: Mapped[DispatchRole] = mapped_column(_enum(DispatchRole, 8), default=DispatchRole.LEAD)
    note: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    dispatched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sign_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    sign_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    # 审定: a return was ruled against this unit, which keeps the order for good.
    ruled: Mapped[bool] = mapped_column(Boolean, default=False)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class CaseEvent(Base):
    """One entry of a case's timeline: the audit trail and the subscription feed (outbox)."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(48))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    note: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    data: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)


class ReturnReason(enum.StrEnum):
    """The standard reasons a unit returns an order (退单)."""

    NOT_OUR_AREA = "NOT_OUR_AREA"  # 属地不符
    NOT_OUR_DUTY = "NOT_OUR_DUTY"  # 职能不符 / 权属不清
    SHARED_DUTY = "SHARED_DUTY"  # 职能交叉
    OUT_OF_SCOPE = "OUT_OF_SCOPE"  # 不属于受理范围
    OTHER = "OTHER"


class Decision(enum.StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class CaseReturn(Base):
    """One return (退单) of a dispatch, and the dispatcher's decision on it."""

    __tablename__ = "case_return"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"))
    reason: Mapped[ReturnReason] = mapped_column(_enum(ReturnReason, 16))
    note: Mapped[str] = mapped_column(Text, info=bounded(NOTE))
    returned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    returned_by: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    decision: Mapped[Decision] = mapped_column(_enum(Decision, 16), default=Decision.PENDING)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    decision_note: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    redispatched_to: Mapped[list[str] | None] = mapped_column(JsonDoc, default=None)


class CaseExtension(Base):
    """A request to move the resolve-by deadline (延期), and the centre's decision."""

    __tablename__ = "case_extension"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("department.code"), default=None)
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    previous_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, info=bounded(NOTE))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    decision: Mapped[Decision] = mapped_column(_enum(Decision, 16), default=Decision.PENDING)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    decision_note: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))


class SupervisionKind(enum.StrEnum):
    URGE = "URGE"  # 催办: before the deadline
    SUPERVISE = "SUPERVISE"  # 督办: a supervision notice once overdue
    NOTICE = "NOTICE"  # 通报: public criticism when still overdue days later


class CaseSupervision(Base):
    """An urging, supervision notice or public notice on a case (催办 / 督办 / 通报)."""

    __tablename__ = "case_supervision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SupervisionKind] = mapped_column(_enum(SupervisionKind, 16))
    department_code: Mapped[str | None] = mapped_column(
        ForeignKey("department.code"), default=None, index=True
    )
    note: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    # A supervision notice still unheeded then is escalated to a public notice (通报).
    notice_due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None, index=True)

    __table_args__ = (
        # One public notice per case, however many sweepers find it due.
        Index(
            "uq_case_supervision_notice",
            "case_id",
            unique=True,
            postgresql_where=text("kind = 'NOTICE'"),
            sqlite_where=text("kind = 'NOTICE'"),
        ),
    )
