"""Batched reads of the centre's records on cases: returns, extensions, merged duplicates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case, CaseExtension, CaseReturn

R = TypeVar("R")


async def _by_case(
    session: AsyncSession, model: type[R], column: Any, codes: Sequence[int]
) -> dict[int, list[R]]:
    rows = await session.scalars(select(model).where(column.in_(codes)).order_by(model.id))  # type: ignore[attr-defined]
    found: dict[int, list[R]] = defaultdict(list)
    for row in rows:
        found[getattr(row, column.key)].append(row)
    return found


async def returns(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, list[CaseReturn]]:
    return await _by_case(session, CaseReturn, CaseReturn.case_id, codes)


async def extensions(
    *, session: AsyncSession, codes: Sequence[int]
) -> dict[int, list[CaseExtension]]:
    return await _by_case(session, CaseExtension, CaseExtension.case_id, codes)


async def duplicates(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, list[Case]]:
    """The cases merged into each main order."""
    return await _by_case(session, Case, Case.merged_into_id, codes)
