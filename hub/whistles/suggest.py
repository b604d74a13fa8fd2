"""Who should report for given cases (suggestSummons): the matrix and the geography.

The responsibility matrix names the departments, seated on the caller's side of the cases
(its street office when a footprint reaches into it). A footprint across a district boundary
suggests the street office on the other side as a partner, which brings its own district's
departments; so only the caller's district's and the city's departments are suggested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases import queries as case_queries
from hub.cases.models import Case
from hub.cases.routing import departments_for
from hub.departments.models import Department
from hub.geo.models import JurisdictionLevel
from hub.whistles.intake import derive_scope
from hub.whistles.models import WhistleScope


@dataclass(frozen=True, slots=True)
class Suggestion:
    scope: WhistleScope
    departments: list[Department]
    partners: list[str]


def _ours(department: Department, district: str) -> bool:
    city = department.level is JurisdictionLevel.CITY
    return city or department.jurisdiction_code.startswith(district)


async def suggest_summons(
    *, session: AsyncSession, cases: Sequence[Case], caller_code: str
) -> Suggestion:
    """The departments and partner street offices a whistle by ``caller_code`` should summon."""
    crossed = await case_queries.crossed(session=session, codes=[c.id for c in cases])
    district = caller_code[:6]
    departments: dict[str, Department] = {}
    places: list[str] = []
    for case in cases:
        touched = crossed.get(case.id) or [case.subdistrict_code]
        places += [case.subdistrict_code, *touched]
        street = caller_code if caller_code in touched else case.subdistrict_code
        for department in await departments_for(
            session=session,
            category_code=case.category_code,
            subdistrict_code=street,
            district_code=street[:6],
        ):
            if _ours(department, district):
                departments.setdefault(department.code, department)
    partners = sorted({code for code in places if code[:6] != district})
    chosen = list(departments.values())
    return Suggestion(
        scope=derive_scope(caller_code, chosen, partners, places),
        departments=chosen,
        partners=partners,
    )
