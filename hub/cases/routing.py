"""Routing suggestions: who answers for a case's category at its place.

The responsibility matrix names kinds of department and levels; the case's place names the
street office, district and city. Most local level first; the district's fallback department
(兜底部门) when nobody answers.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case
from hub.categories.models import Responsibility
from hub.departments.models import Department
from hub.geo.models import JurisdictionLevel

LOCAL_FIRST = {
    JurisdictionLevel.SUBDISTRICT: 0,
    JurisdictionLevel.DISTRICT: 1,
    JurisdictionLevel.CITY: 2,
}


def seat(subdistrict_code: str, district_code: str, level: JurisdictionLevel) -> str:
    return {
        JurisdictionLevel.SUBDISTRICT: subdistrict_code,
        JurisdictionLevel.DISTRICT: district_code,
    }.get(level, "110000")


async def suggest_departments(*, session: AsyncSession, case: Case) -> list[Department]:
    return await departments_for(
        session=session,
        category_code=case.category_code,
        subdistrict_code=case.subdistrict_code,
        district_code=case.district_code,
    )


async def departments_for(
    *, session: AsyncSession, category_code: str, subdistrict_code: str, district_code: str
) -> list[Department]:
    """Who answers for a category at a street office and its district, most local first."""
    rows = (
        await session.execute(
            select(Responsibility.department_kind, Responsibility.level, Responsibility.rank).where(
                Responsibility.category_code == category_code
            )
        )
    ).all()
    ranked = sorted(rows, key=lambda row: (LOCAL_FIRST.get(row.level, 3), row.rank))
    wanted = list(
        dict.fromkeys(
            f"{seat(subdistrict_code, district_code, level)}.{kind.value}"
            for kind, level, _ in ranked
        )
    )
    found = {
        row.code: row
        for row in await session.scalars(select(Department).where(Department.code.in_(wanted)))
    }
    suggested = [found[code] for code in wanted if code in found]
    if suggested:
        return suggested
    fallback = await session.scalars(
        select(Department)
        .where(
            Department.jurisdiction_code.in_([district_code, "110000"]),
            Department.is_fallback.is_(True),
        )
        .order_by(Department.level.desc())
    )
    return list(fallback)[:1]
