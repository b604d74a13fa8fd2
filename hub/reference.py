"""Beijing's reference rows held by each hub process: jurisdictions, categories, departments.

They are written once, when a database is set up (``hub init``, ``hub demo``), and never by a
request, so a process reads them at start (like the geography of ``GeoIndex``) and a list page
finds each case's category, street office, district and each dispatch's department here
instead of in a statement of its own per request. A code not found here (a hub started before
its database was set up) is loaded as before, through the request's loaders.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.categories.models import Category
from hub.departments.models import Department
from hub.geo.models import Jurisdiction


class ReferenceData:
    def __init__(self) -> None:
        self.jurisdictions: dict[str, Jurisdiction] = {}
        self.categories: dict[str, Category] = {}
        self.departments: dict[str, Department] = {}

    async def load(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        async with sessionmaker() as session:
            jurisdictions = (await session.scalars(select(Jurisdiction))).all()
            categories = (await session.scalars(select(Category))).all()
            departments = (await session.scalars(select(Department))).all()
        if not (jurisdictions and categories and departments):
            return  # not set up yet: every look-up goes to the loaders
        self.jurisdictions = {row.code: row for row in jurisdictions}
        self.categories = {row.code: row for row in categories}
        self.departments = {row.code: row for row in departments}
