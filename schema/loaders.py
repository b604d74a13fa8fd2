"""Per-request DataLoaders: every relation is batched into one statement per tick.

Each batch opens its own short session from the pool, because resolvers run concurrently and
an AsyncSession must not be shared between concurrent operations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from hub.categories import service as categories
from hub.categories.models import Category
from hub.departments import service as departments
from hub.departments.models import Department
from hub.geo import service as geo
from hub.geo.models import Grid
from hub.pagination import Page, PageRequest

K = TypeVar("K")
V = TypeVar("V")

PageKey = tuple[str, PageRequest]


class Loaders:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self.jurisdiction = self._by_key(geo.get_many, None)
        self.children = self._by_key(geo.children_of, [])
        self.jurisdiction_boundary = self._by_key(geo.boundaries, (None, False))
        self.grid = self._by_key(geo.get_grids, None)
        self.grid_boundary = self._by_key(geo.grid_boundaries, None)
        self.department = self._by_key(departments.get_many, None)
        self.category_kinds = self._by_key(categories.kinds_for, [])
        self.categories_for_department = self._by_key(categories.categories_for, [], arg="keys")
        self.departments_page: DataLoader[PageKey, Page[Department]] = self._paged(
            departments.page_by_jurisdiction
        )
        self.grids_page: DataLoader[PageKey, Page[Grid]] = self._paged(geo.page_grids_under)
        self.all_categories: DataLoader[int, list[Category]] = DataLoader(self._categories)

    def _by_key(
        self, fetch: Callable[..., Awaitable[dict[Any, Any]]], missing: Any, arg: str = "codes"
    ) -> Any:
        async def load(keys: Sequence[Any]) -> list[Any]:
            async with self._sessionmaker() as session:
                found = await fetch(session=session, **{arg: list(keys)})
            return [found.get(key, missing) for key in keys]

        return DataLoader(load)

    def _paged(self, fetch: Callable[..., Awaitable[dict[str, Page[Any]]]]) -> Any:
        async def load(keys: Sequence[PageKey]) -> list[Page[Any]]:
            # Keys asking for the same page shape share one statement.
            groups: dict[PageRequest, list[str]] = {}
            for code, request in keys:
                groups.setdefault(request, []).append(code)
            results: dict[PageKey, Page[Any]] = {}
            async with self._sessionmaker() as session:
                for request, codes in groups.items():
                    pages = await fetch(session=session, codes=codes, page=request)
                    results.update({(code, request): pages[code] for code in codes})
            return [results[key] for key in keys]

        return DataLoader(load)

    async def _categories(self, keys: Sequence[int]) -> list[list[Category]]:
        async with self._sessionmaker() as session:
            rows = await categories.all_categories(session=session)
        return [rows for _ in keys]
