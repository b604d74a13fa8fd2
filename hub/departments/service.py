"""Reads over departments; callers own the session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.departments.models import Department
from hub.geo.models import descendant_prefix
from hub.pagination import Page, PageRequest, fetch_page, fetch_pages


async def get_many(*, session: AsyncSession, codes: Sequence[str]) -> dict[str, Department]:
    rows = await session.scalars(select(Department).where(Department.code.in_(codes)))
    return {row.code: row for row in rows}


def filter_query(
    *, jurisdiction_code: str | None, answering: ColumnElement[bool] | None = None
) -> Select[Department]:
    """Departments within a jurisdiction (descendants included), narrowed by ``answering``.

    ``answering`` is a condition on ``Department`` from a domain above this one, e.g.
    ``hub.categories.service.answers_for(code)``: the departments that answer for a category.
    """
    query = select(Department)
    if jurisdiction_code is not None:
        prefix = descendant_prefix(jurisdiction_code)
        query = query.where(Department.jurisdiction_code.startswith(prefix, autoescape=True))
    if answering is not None:
        query = query.where(answering)
    return query


async def page_departments(
    *,
    session: AsyncSession,
    jurisdiction_code: str | None,
    answering: ColumnElement[bool] | None = None,
    page: PageRequest,
) -> Page[Department]:
    query = filter_query(jurisdiction_code=jurisdiction_code, answering=answering)
    return await fetch_page(
        session,
        query,
        entity=Department,
        order=Department.code,
        page=page,
    )


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
