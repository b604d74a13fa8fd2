"""The append-only audit log: every mutation's actor, operation, target and outcome.

Each entry carries a SHA-256 hash over its own content and the previous entry's hash
(``hub.audit.chain``), and ``audit_chain`` holds the head of that chain: the last entry's id and
hash. A row changed or deleted afterwards, even with plain SQL, breaks the chain there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, BigId, JsonDoc, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_sub: Mapped[str] = mapped_column(String(128))
    actor_role: Mapped[str | None] = mapped_column(String(32), default=None)
    actor: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    operation: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128), default=None)
    outcome: Mapped[str] = mapped_column(String(64))
    correlation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    # Hex SHA-256 of the previous entry (zeros before the first) and of this one.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor_sub_at", "actor_sub", "at"),
    )


class AuditChainHead(Base):
    """One row: the newest entry of the chain. Writers lock it, so the chain has one order."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
