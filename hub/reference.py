"""Beijing's reference rows held by each hub process: jurisdictions and categories.

They are written once, when a database is set up (``hub init``, ``hub demo``), and never after
(no request, adapter or connection writes them), so a process reads them at start (like the
geography of ``GeoIndex``) and a list page finds each case's category, street office and
district here instead of in a statement of its own per request. A code not found here (a hub
started before its database was set up) is loaded as before, through the request's loaders.
Departments are not held: a roster sync (``hub sync departments``) renames and adds them while
the hub runs, so a dispatch's department is loaded per request.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.categories.models import Category
from hub.geo.models import Jurisdiction


class ReferenceData:
    def __init__(self) -> None:
        self.jurisdictions: dict[str, Jurisdiction] = {}
        self.categories: dict[str, Category] = {}

    async def load(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        async with sessionmaker() as session:
            jurisdictions = (await session.scalars(select(Jurisdiction))).all()
            categories = (await session.scalars(select(Category))).all()
        if not (jurisdictions and categories):
            return  # not set up yet: every look-up goes to the loaders
        self.jurisdictions = {row.code: row for row in jurisdictions}
        self.categories = {row.code: row for row in categories}
