"""Registered endpoints and the log of what was delivered to each."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, BigId, JsonDoc, UTCDateTime


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"  # not yet accepted; the next attempt is due at next_attempt_at
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"  # given up after the last attempt; redelivered only by hand


class Webhook(Base):
    """An endpoint of a department's or agency's system, hearing the events its owner may see.

    ``case_cursor`` / ``whistle_cursor``: every event at or below them has been considered (a
    delivery row made for it, or found not to match), so a restart resumes where it stopped.
    """

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    owner: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    owner_sub: Mapped[str] = mapped_column(String(200), index=True)
    event_types: Mapped[list[str]] = mapped_column(JsonDoc)
    case_filter: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    whistle_filter: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    secret: Mapped[bytes] = mapped_column()  # Fernet-encrypted ``whsec_…``
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    case_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    whistle_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    leased_by: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class WebhookDelivery(Base):
    """One event for one webhook: its fixed message (id and body) and how delivering it went."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    event_kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        SqlEnum(DeliveryStatus, native_enum=False, length=16)
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        UniqueConstraint("webhook_id", "event_kind", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_delivery_webhook_status_id", "webhook_id", "status", "id"),
        # A webhook's deliveries, newest first (its nested connection).
        Index("ix_webhook_delivery_newest", "webhook_id", "id"),
    )
