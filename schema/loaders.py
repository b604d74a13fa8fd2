"""Per-request DataLoaders: every relation is batched into one statement per tick.

Each batch opens its own short session from the pool, because resolvers run concurrently and
an AsyncSession must not be shared between concurrent operations.  The loading functions hold
the sessionmaker, not the ``Loaders``: a request's loaders are freed as soon as it is done,
without waiting for the garbage collector.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from adapters import service as adapter_runs
from adapters.models import QuarantinedRecord
from hub.actors import Actor
from hub.cases import queries as cases
from hub.cases.models import Case, CaseDispatch, CaseEvent, CaseExternalRef
from hub.categories import service as categories
from hub.categories.models import Category
from hub.departments import service as departments
from hub.departments.models import Department, DepartmentKind
from hub.geo import service as geo
from hub.geo.models import Grid, Jurisdiction, JurisdictionLevel
from hub.pagination import Page, PageRequest
from hub.whistles import queries as whistles
from hub.whistles.models import Summons, Whistle, WhistleEvent

K = TypeVar("K")
V = TypeVar("V")
M = TypeVar("M")

PageKey = tuple[str, PageRequest]
F = TypeVar("F")
WithinKey = tuple[str, F, Actor, PageRequest]  # a jurisdiction, a filter, the viewer, the page


class Loaders:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self.jurisdiction = self._by_key(geo.get_many, None)
        self.children: DataLoader[str, list[Jurisdiction]] = self._by_key(geo.children_of, [])
        self.jurisdiction_boundary = self._by_key(geo.boundaries, (None, False))
        self.grid = self._by_key(geo.get_grids, None)
        self.grid_boundary = self._by_key(geo.grid_boundaries, None)
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
        self.grids_page: DataLoader[PageKey, Page[Grid]] = self._paged(geo.page_grids_under)
        self.all_categories: DataLoader[int, list[Category]] = DataLoader(
            _all_categories(sessionmaker)
        )
        self.cases_within: DataLoader[WithinKey[cases.CaseFilter], Page[Case]] = self._within(
            cases.page_cases_under, "case_filter"
        )
        self.whistles_within: DataLoader[WithinKey[whistles.WhistleFilter], Page[Whistle]] = (
            self._within(whistles.page_whistles_under, "whistle_filter")
        )
        self.case_by_number: DataLoader[str, Case | None] = self._by_key(cases.by_numbers, None)
        self.case_by_id: DataLoader[int, Case | None] = self._by_key(cases.by_ids, None)
        self.case_dispatches: DataLoader[int, list[CaseDispatch]] = self._by_key(
            cases.dispatches, []
        )
        self.case_events: DataLoader[int, list[CaseEvent]] = self._by_key(cases.events, [])
        self.case_crossed: DataLoader[int, list[str]] = self._by_key(cases.crossed, [])
        self.case_summoned: DataLoader[int, list[str]] = self._by_key(cases.summoned, [])
        self.case_refs: DataLoader[int, list[CaseExternalRef]] = self._by_key(
            cases.external_refs, []
        )
        self.run_quarantine: DataLoader[PageKey, Page[QuarantinedRecord]] = self._paged(
            adapter_runs.page_quarantine
        )
        self.whistle_by_number: DataLoader[str, Whistle | None] = self._by_key(
            whistles.by_numbers, None
        )
        self.whistle_by_id: DataLoader[int, Whistle | None] = self._by_key(whistles.by_ids, None)
        self.summons_by_id: DataLoader[int, Summons | None] = self._by_key(
            whistles.summons_by_ids, None
        )
        self.whistle_summons: DataLoader[int, list[Summons]] = self._by_key(whistles.summons, [])
        self.whistle_events: DataLoader[int, list[WhistleEvent]] = self._by_key(whistles.events, [])
        self.whistle_cases: DataLoader[int, list[Case]] = self._by_key(whistles.cases, [])

    def _by_key(
        self, fetch: Callable[..., Awaitable[Mapping[K, V]]], missing: M, arg: str = "codes"
    ) -> DataLoader[K, V | M]:
        sessionmaker = self._sessionmaker

        async def load(keys: Sequence[K]) -> list[V | M]:
            async with sessionmaker() as session:
                found = await fetch(session=session, **{arg: list(keys)})
            return [found.get(key, missing) for key in keys]

        return DataLoader(load)

    def _paged(
        self, fetch: Callable[..., Awaitable[dict[str, Page[V]]]]
    ) -> DataLoader[PageKey, Page[V]]:
        sessionmaker = self._sessionmaker

        async def load(keys: Sequence[PageKey]) -> list[Page[V]]:
            # Keys asking for the same page shape share one statement.
            groups: dict[PageRequest, list[str]] = {}
            for code, request in keys:
                groups.setdefault(request, []).append(code)
            results: dict[PageKey, Page[V]] = {}
            async with sessionmaker() as session:
                for request, codes in groups.items():
                    pages = await fetch(session=session, codes=codes, page=request)
                    results.update({(code, request): pages[code] for code in codes})
            return [results[key] for key in keys]

        return DataLoader(load)

    def _within(
        self, fetch: Callable[..., Awaitable[dict[str, Page[V]]]], filter_arg: str
    ) -> DataLoader[WithinKey[F], Page[V]]:
        """Jurisdictions' filtered pages (``Jurisdiction.cases``, ``.whistles``): those asking
        for the same filter, viewer and page shape share a statement."""

        sessionmaker = self._sessionmaker

        async def load(keys: Sequence[WithinKey[F]]) -> list[Page[V]]:
            groups: dict[tuple[F, Actor, PageRequest], list[str]] = {}
            for code, found_filter, actor, request in keys:
                groups.setdefault((found_filter, actor, request), []).append(code)
            results: dict[WithinKey[F], Page[V]] = {}
            async with sessionmaker() as session:
                for (found_filter, actor, request), codes in groups.items():
                    pages = await fetch(
                        session=session,
                        codes=codes,
                        actor=actor,
                        page=request,
                        **{filter_arg: found_filter},
                    )
                    for code in codes:
                        results[code, found_filter, actor, request] = pages[code]
            return [results[key] for key in keys]

        return DataLoader(load)


def _all_categories(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Callable[[Sequence[int]], Awaitable[list[list[Category]]]]:
    async def load(keys: Sequence[int]) -> list[list[Category]]:
        async with sessionmaker() as session:
            rows = await categories.all_categories(session=session)
        return [rows for _ in keys]

    return load
