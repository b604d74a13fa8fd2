"""What every domain's DataLoaders are made of: look-ups by key, pages per parent, pages within.

Each batch opens its own short session from the pool, because resolvers run concurrently and
an AsyncSession must not be shared between concurrent operations.  The loading functions hold
the sessionmaker, not the loaders: a request's loaders are freed as soon as it is done,
without waiting for the garbage collector.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from hub.auth.actors import Actor
from hub.pagination import Page, PageRequest

K = TypeVar("K")
V = TypeVar("V")
M = TypeVar("M")

PageKey = tuple[str, PageRequest]
F = TypeVar("F")
WithinKey = tuple[str, F, Actor, PageRequest]  # a jurisdiction, a filter, the viewer, the page


class LoaderGroup:
    """A domain's loaders, built over one sessionmaker; ``Loaders`` combines every domain's."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

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
