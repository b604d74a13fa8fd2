"""The client systems allowed to file requests through the Open311 server."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, BigId, UTCDateTime


class Open311Key(Base):
    """One client system's API key; only its SHA-256 digest is kept."""

    __tablename__ = "open311_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdiction.code"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
