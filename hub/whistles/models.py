"""Whistles (吹哨), the summons each one sends (报到), and their timeline."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, BigId, JsonDoc, UTCDateTime, utcnow
from hub.lengths import NOTE, bounded


class WhistleKind(enum.StrEnum):
    DAILY_ENFORCEMENT = "DAILY_ENFORCEMENT"
    KEY_TASK = "KEY_TASK"
    EMERGENCY = "EMERGENCY"


class WhistleScope(enum.StrEnum):
    DISTRICT = "DISTRICT"
    CROSS_DISTRICT = "CROSS_DISTRICT"
    CITY = "CITY"


class WhistleStatus(enum.StrEnum):
    PENDING_REVIEW = "PENDING_REVIEW"
    SUMMONING = "SUMMONING"
    IN_ACTION = "IN_ACTION"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"


class SummonsStatus(enum.StrEnum):
    SUMMONED = "SUMMONED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    ARRIVED = "ARRIVED"
    DONE = "DONE"


def _enum(kind: type[enum.Enum], length: int = 32) -> SqlEnum:
    return SqlEnum(kind, native_enum=False, length=length)


class Whistle(Base):
    __tablename__ = "whistle"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[WhistleKind] = mapped_column(_enum(WhistleKind))
    scope: Mapped[WhistleScope] = mapped_column(_enum(WhistleScope, 16))
    status: Mapped[WhistleStatus] = mapped_column(_enum(WhistleStatus, 16))
    caller_code: Mapped[str] = mapped_column(ForeignKey("jurisdiction.code"), index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("jurisdiction.code"), index=True)
    reason: Mapped[str] = mapped_column(Text, info=bounded(NOTE))
    report_within_minutes: Mapped[int] = mapped_column(Integer)
    report_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    review_note: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    release_reason: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    action_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    action_place: Mapped[str | None] = mapped_column(String(500), default=None)
    feedback: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Lists of whistles are newest first, by (opened_at, id), whatever they are filtered by.
    __table_args__ = (
        Index("ix_whistle_newest", "opened_at", "id"),
        Index("ix_whistle_status_newest", "status", "opened_at", "id"),
        Index("ix_whistle_kind_newest", "kind", "opened_at", "id"),
        Index("ix_whistle_scope_newest", "scope", "opened_at", "id"),
    )


class WhistleCase(Base):
    """The cases a whistle was blown on (哨源)."""

    __tablename__ = "whistle_case"

    whistle_id: Mapped[int] = mapped_column(
        ForeignKey("whistle.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Summons(Base):
    """One summoned party's duty to report on site: a department, or a partner street office."""

    __tablename__ = "summons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    whistle_id: Mapped[int] = mapped_column(
        ForeignKey("whistle.id", ondelete="CASCADE"), index=True
    )
    department_code: Mapped[str | None] = mapped_column(
        ForeignKey("department.code"), index=True, default=None
    )
    partner_code: Mapped[str | None] = mapped_column(
        ForeignKey("jurisdiction.code"), index=True, default=None
    )
    # A department brought in by a partner street office (joinWhistle).
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("summons.id"), default=None)
    status: Mapped[SummonsStatus] = mapped_column(_enum(SummonsStatus, 16))
    summoned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    report_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    arrived_lat: Mapped[float | None] = mapped_column(Float, default=None)
    arrived_lng: Mapped[float | None] = mapped_column(Float, default=None)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    task: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    rating_score: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_comment: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    note: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))

    __table_args__ = (Index("ix_summons_status_report_by", "status", "report_by"),)


class WhistleEvent(Base):
    """One entry of a whistle's timeline: the audit trail and the subscription feed (outbox)."""

    __tablename__ = "whistle_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    whistle_id: Mapped[int] = mapped_column(
        ForeignKey("whistle.id", ondelete="CASCADE"), index=True
    )
    summons_id: Mapped[int | None] = mapped_column(ForeignKey("summons.id"), default=None)
    type: Mapped[str] = mapped_column(String(48))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    note: Mapped[str | None] = mapped_column(Text, default=None, info=bounded(NOTE))
    data: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
