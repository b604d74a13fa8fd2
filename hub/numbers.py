"""Human-readable numbers (``C-110102-20260315-000123``), unique across hub processes.

The one place numbers are made. A counter row per (prefix, district, day) is advanced by one
atomic upsert … RETURNING for a whole batch (a single case is a batch of one), so two
processes never hand out the same number and a rolled-back transaction hands its numbers back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import BigInteger, String, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


class NumberSequence(Base):
    __tablename__ = "number_sequence"

    scope: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def scope_of(prefix: str, district_code: str, at: dt.datetime) -> str:
    """The counter a number is drawn from: ``prefix`` in a district on a Beijing calendar day."""
    return f"{prefix}-{district_code}-{at.astimezone(BEIJING):%Y%m%d}"


# The counts travel as one JSON parameter: a VALUES list of a batch's scopes would be compiled
# afresh for every batch, which costs more than the statement itself.
_ALLOCATE = {
    "sqlite": text(
        "INSERT INTO number_sequence (scope, value) "
        "SELECT key, value FROM json_each(:wanted) WHERE true "
        "ON CONFLICT (scope) DO UPDATE SET value = number_sequence.value + excluded.value "
        "RETURNING scope, value"
    ),
    "postgresql": text(
        "INSERT INTO number_sequence (scope, value) "
        "SELECT key, value::bigint FROM jsonb_each_text(CAST(:wanted AS jsonb)) "
        "ON CONFLICT (scope) DO UPDATE SET value = number_sequence.value + excluded.value "
        "RETURNING scope, value"
    ),
}


async def allocate(session: AsyncSession, scopes: Sequence[str]) -> list[str]:
    """One number per scope given (a scope may repeat), in order, with one statement."""
    wanted = Counter(scopes)
    if not wanted:
        return []
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    result = await session.execute(_ALLOCATE[dialect], {"wanted": json.dumps(wanted)})
    last = {scope: int(value) for scope, value in result.all()}
    following = {scope: last[scope] - count + 1 for scope, count in wanted.items()}
    numbers = []
    for scope in scopes:
        numbers.append(f"{scope}-{following[scope]:06d}")
        following[scope] += 1
    return numbers


async def next_number(
    *, session: AsyncSession, prefix: str, district_code: str, at: dt.datetime
) -> str:
    """The next number for ``prefix`` in a district on the Beijing calendar day of ``at``."""
    return (await allocate(session, [scope_of(prefix, district_code, at)]))[0]
