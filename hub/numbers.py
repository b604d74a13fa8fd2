"""Human-readable numbers (``C-110102-20260315-000123``), unique across hub processes.

A counter row per (prefix, district, day) is incremented with one atomic UPDATE … RETURNING,
so two processes never hand out the same number and a rolled-back transaction hands its
number back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, String, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


class NumberSequence(Base):
    __tablename__ = "number_sequence"

    scope: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


async def next_number(
    *, session: AsyncSession, prefix: str, district_code: str, at: dt.datetime
) -> str:
    """The next number for ``prefix`` in a district on the Beijing calendar day of ``at``."""
    day = at.astimezone(BEIJING).strftime("%Y%m%d")
    scope = f"{prefix}-{district_code}-{day}"
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(NumberSequence).values(scope=scope, value=0).on_conflict_do_nothing()
    )
    value = await session.scalar(
        update(NumberSequence)
        .where(NumberSequence.scope == scope)
        .values(value=NumberSequence.value + 1)
        .returning(NumberSequence.value)
    )
    assert value is not None
    return f"{scope}-{value:06d}"
