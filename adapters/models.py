"""What adapter runs leave behind: the runs, each source's cursor, and the quarantine."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Enum as SqlEnum
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, BigId, JsonDoc, UTCDateTime


class RunStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    # A run that never finished (its process died); noticed when the next run of its source starts.
    ABANDONED = "ABANDONED"


class AdapterRun(Base):
    """One `hub sync` (or quarantine retry) of one adapter over one source."""

    __tablename__ = "adapter_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    adapter: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(1000))
    status: Mapped[RunStatus] = mapped_column(SqlEnum(RunStatus, native_enum=False, length=16))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    read: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    # Things a person should know that are not rejections (repairs, unmapped categories, …).
    notes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_adapter_run_adapter_id", "adapter", "id"),)


class AdapterCursor(Base):
    """The typed cursor (watermark) of one adapter over one source, as JSON."""

    __tablename__ = "adapter_cursor"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    adapter: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(1000))
    cursor: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("adapter", "source", name="uq_adapter_cursor_source"),)


class QuarantinedRecord(Base):
    """A record an adapter refused, with the reason and the record as it came."""

    __tablename__ = "adapter_quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("adapter_run.id", ondelete="CASCADE"))
    adapter: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(200), default=None)
    # The source id, or a digest of the raw record when it has none: a record refused again
    # replaces its older entry instead of piling up beside it.
    record_key: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    quarantined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Set when a retry took the record in, or a later rejection of it replaced this one.
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    resolution: Mapped[str | None] = mapped_column(String(32), default=None)

    __table_args__ = (
        Index("ix_adapter_quarantine_run_id_id", "run_id", "id"),
        Index("ix_adapter_quarantine_adapter_record_key", "adapter", "record_key"),
    )
