"""Reads over the category tree and the responsibility matrix."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hub.categories.models import Category, Responsibility
from hub.departments.models import Department, DepartmentKind
from hub.geo.models import JurisdictionLevel


def answers_for(category_code: str) -> ColumnElement[bool]:
    """A condition on ``Department``: its kind answers for the category at its level."""
    return exists().where(
        and_(
            Responsibility.category_code == category_code,
            Responsibility.department_kind == Department.kind,
            Responsibility.level == Department.level,
        )
    )


async def all_categories(*, session: AsyncSession) -> list[Category]:
    rows = await session.scalars(select(Category).order_by(Category.position, Category.code))
    return list(rows)


async def kinds_for(
    *, session: AsyncSession, codes: Sequence[str]
) -> dict[str, list[DepartmentKind]]:
    """Each category's answerable department kinds, most responsible first, no repeats."""
    rows = await session.execute(
        select(Responsibility.category_code, Responsibility.department_kind)
        .where(Responsibility.category_code.in_(codes))
        .order_by(Responsibility.category_code, Responsibility.rank)
    )
    kinds: dict[str, list[DepartmentKind]] = defaultdict(list)
    for code, kind in rows:
        if kind not in kinds[code]:
            kinds[code].append(kind)
    return kinds


async def categories_for(
    *, session: AsyncSession, keys: Sequence[tuple[DepartmentKind, JurisdictionLevel]]
) -> dict[tuple[DepartmentKind, JurisdictionLevel], list[Category]]:
    """The categories a (kind, level) of department answers for."""
    rows = await session.execute(
        select(Responsibility.department_kind, Responsibility.level, Category)
        .join(Category, Category.code == Responsibility.category_code)
        .where(tuple_(Responsibility.department_kind, Responsibility.level).in_(keys))
        .order_by(Category.position, Category.code)
    )
    found: dict[tuple[DepartmentKind, JurisdictionLevel], list[Category]] = defaultdict(list)
    for kind, level, category in rows:
        found[(kind, level)].append(category)
    return found
