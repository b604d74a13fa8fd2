"""Standing connections and the runs each due time produced."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, BigId, JsonDoc, UTCDateTime


class StandingConnection(Base):
    """An adapter over a source with its settings, run every ``every_seconds`` or by ``cron``.

    ``settings`` holds plain values; a secret is stored as ``{"env": "NAME"}`` and read from
    the environment of the process that runs it, never kept in clear.
    """

    __tablename__ = "connection"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    adapter: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(1000))
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    every_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    cron: Mapped[str | None] = mapped_column(String(100), default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row
    failing: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("adapter", "source", name="uq_connection_source"),)


class ConnectionRun(Base):
    """The run one due time of a connection produced: at most one per (connection, due time)."""

    __tablename__ = "connection_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("adapter_run.id", ondelete="SET NULL"), default=None, index=True
    )
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (UniqueConstraint("connection_id", "due_at", name="uq_connection_run_due"),)
