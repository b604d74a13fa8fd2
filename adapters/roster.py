"""The hub's departments and responsibility matrix, in memory for one run.

Sources name departments by name (``西城区城市管理综合行政执法局``) or not at all; adapters map
names to codes here, fall back to the district's fallback department (兜底部门), and route a case
to whoever answers for its category at its place, as ``hub.cases.routing`` does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.routing import LOCAL_FIRST
from hub.categories.models import Responsibility
from hub.departments.models import Department
from hub.geo.models import JurisdictionLevel
from hub.geo.reference import CITY_CODE

FULL_WIDTH = str.maketrans("（）　", "() ")


def normalise(name: str) -> str:
    return name.translate(FULL_WIDTH).replace(" ", "").strip()


@dataclass
class Roster:
    by_name: dict[str, list[str]] = field(default_factory=dict)
    fallbacks: dict[str, str] = field(default_factory=dict)  # jurisdiction → fallback department
    codes: set[str] = field(default_factory=set)
    # category → [(level, rank, kind)], most local first
    matrix: dict[str, list[tuple[JurisdictionLevel, int, str]]] = field(default_factory=dict)
    # A run names the same few hundred units over and over.
    _named: dict[tuple[str, str], str | None] = field(default_factory=dict, repr=False)

    @classmethod
    async def load(cls, session: AsyncSession) -> Roster:
        roster = cls()
        names: dict[str, list[str]] = defaultdict(list)
        rows = await session.execute(
            select(
                Department.code,
                Department.name,
                Department.jurisdiction_code,
                Department.is_fallback,
            ).order_by(Department.code)
        )
        for code, name, jurisdiction, is_fallback in rows:
            names[normalise(name)].append(code)
            roster.codes.add(code)
            if is_fallback:
                roster.fallbacks.setdefault(jurisdiction, code)
        roster.by_name = dict(names)
        matrix: dict[str, list[tuple[JurisdictionLevel, int, str]]] = defaultdict(list)
        for category, kind, level, rank in await session.execute(
            select(
                Responsibility.category_code,
                Responsibility.department_kind,
                Responsibility.level,
                Responsibility.rank,
            )
        ):
            matrix[category].append((level, rank, kind.value))
        roster.matrix = {
            category: sorted(entries, key=lambda e: (LOCAL_FIRST.get(e[0], 3), e[1]))
            for category, entries in matrix.items()
        }
        return roster

    def named(self, name: str, *, district_code: str) -> str | None:
        """The department called ``name``; a name several share is settled by the district."""
        key = (name, district_code)
        if key not in self._named:
            codes = self.by_name.get(normalise(name), [])
            if len(codes) > 1:
                codes = [code for code in codes if code.startswith(district_code)]
            self._named[key] = codes[0] if len(codes) == 1 else None
        return self._named[key]

    def fallback(self, district_code: str) -> str | None:
        """The district's fallback department, else the city's."""
        return self.fallbacks.get(district_code) or self.fallbacks.get(CITY_CODE)

    def responsible(self, category_code: str, subdistrict_code: str) -> str | None:
        """Who answers first for a category at a street office (``routing`` in memory)."""
        seats = {
            JurisdictionLevel.SUBDISTRICT: subdistrict_code,
            JurisdictionLevel.DISTRICT: subdistrict_code[:6],
        }
        for level, _, kind in self.matrix.get(category_code, []):
            code = f"{seats.get(level, CITY_CODE)}.{kind}"
            if code in self.codes:
                return code
        return self.fallback(subdistrict_code[:6])
