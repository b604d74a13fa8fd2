"""DataLoaders of departments and categories."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from hub.categories import service as categories
from hub.categories.models import Category
from hub.departments import service as departments
from hub.departments.models import Department, DepartmentKind
from hub.geo.models import JurisdictionLevel
from hub.pagination import Page
from schema.core.loaders import LoaderGroup, PageKey


class DepartmentLoaders(LoaderGroup):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessionmaker)
        self.department = self._by_key(departments.get_many, None)
        self.category_kinds: DataLoader[str, list[DepartmentKind]] = self._by_key(
            categories.kinds_for, []
        )
        self.categories_for_department: DataLoader[
            tuple[DepartmentKind, JurisdictionLevel], list[Category]
        ] = self._by_key(categories.categories_for, [], arg="keys")
        self.departments_page: DataLoader[PageKey, Page[Department]] = self._paged(
            departments.page_by_jurisdiction
        )
        self.all_categories: DataLoader[int, list[Category]] = DataLoader(
            _all_categories(sessionmaker)
        )


def _all_categories(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Callable[[Sequence[int]], Awaitable[list[list[Category]]]]:
    async def load(keys: Sequence[int]) -> list[list[Category]]:
        async with sessionmaker() as session:
            rows = await categories.all_categories(session=session)
        return [rows for _ in keys]

    return load
