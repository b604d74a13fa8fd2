"""Reads over departments; callers own the session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.categories.models import Responsibility
from hub.departments.models import Department
from hub.geo.models import descendant_prefix
from hub.pagination import Page, PageRequest, fetch_pages


async def get_many(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, Department]:
    rows = await session.scalars(select(Department).where(Department.code.in_(codes)))
    return {row.code: row for row in rows}


def filter_query(*, jurisdiction_code: str | None, category_code: str | None) -> Select[Department]:
    """Departments within a jurisdiction (descendants included) that answer for a category."""
    query = select(Department)
    if jurisdiction_code is not None:
        prefix = descendant_prefix(jurisdiction_code)
        query = query.where(Department.jurisdiction_code.startswith(prefix, autoescape=True))
    if category_code is not None:
        query = query.where(
            exists().where(
                and_(
                    Responsibility.category_code == category_code,
                    Responsibility.department_kind == Department.kind,
                    Responsibility.level == Department.level,
                )
            )
        )
    return query


async def page_departments(
    *,
    session: AsyncSession,
    jurisdiction_code: str | None,
    category_code: str | None,
    page: PageRequest,
) -> Page[Department]:
    query = filter_query(jurisdiction_code=jurisdiction_code, category_code=category_code)
    pages = await fetch_pages(
        session,
        query,
        entity=Department,
        partition=None,
        parents=[0],
        order=Department.code,
        page=page,
    )
    return pages[0]


async def page_by_jurisdiction(
    *, session: AsyncSession, codes: Sequence[str], page: PageRequest
) -> dict[str, Page[Department]]:
    """The departments seated at each jurisdiction, one statement for all of them."""
    return await fetch_pages(
        session,
        select(Department),
        entity=Department,
        partition=Department.jurisdiction_code,
        parents=codes,
        order=Department.code,
        page=page,
    )
