"""Replaying an event table's settled rows to subscribers resuming from a cursor.

After a deploy thousands of clients resume at once, most from the same last event: they share
one query and one batch per page (so one execution of each replayed event, too).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.models import CaseEvent
from hub.events.delivery import Batch, Delivery
from hub.whistles.models import WhistleEvent

__all__ = ["REPLAYS_AT_ONCE", "Replay", "ReplayPages"]

E = TypeVar("E", bound=CaseEvent | WhistleEvent)
F = TypeVar("F")

REPLAY_PAGE = 200  # rows per replay query
REPLAYS_AT_ONCE = 4
REPLAY_PAGES_KEPT = 256

Replay = Callable[[int, int], Select[Any]]
"""The rows of a selection with ids in ``(after, upto]``, in id order."""


class ReplayPages(Generic[E, F]):
    """The pages of replays read lately, shared by subscribers asking the same of them."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], gate: asyncio.Semaphore
    ) -> None:
        self.sessionmaker = sessionmaker
        self.gate = gate  # the database work of subscribing, shared with other tables
        self._pages: OrderedDict[Hashable, asyncio.Future[tuple[list[E], Batch]]] = OrderedDict()

    async def replay(
        self, replay: Replay, share: Hashable | None, after: int, upto: int
    ) -> AsyncIterator[Delivery[E, F]]:
        """The selection's rows in ``(after, upto]``, page by page (``share``: see ``page``)."""
        while after < upto:
            rows, batch = await self.page(replay, share, after, upto)
            if not rows:
                return
            for row in rows:
                yield Delivery(row, None, batch)
            after = rows[-1].id

    async def page(
        self, replay: Replay, share: Hashable | None, after: int, upto: int
    ) -> tuple[list[E], Batch]:
        """One page of a replay, read once for every subscriber asking the same of it.

        ``share`` names what the selection depends on (equal ones replay alike; None shares
        nothing).  The rows of ``(after, upto]`` are settled, so a page read a moment ago is
        still true.
        """
        key = None if share is None else (share, after, upto)
        page = self._pages.get(key) if key is not None else None
        if page is None:
            page = asyncio.ensure_future(self._read_page(replay, after, upto))
            page.add_done_callback(lambda done: self._forget_failed(key, done))
            if key is not None:
                self._pages[key] = page
                if len(self._pages) > REPLAY_PAGES_KEPT:
                    self._pages.popitem(last=False)
        return await asyncio.shield(page)

    async def _read_page(self, replay: Replay, after: int, upto: int) -> tuple[list[E], Batch]:
        async with self.gate, self.sessionmaker() as session:
            rows = list((await session.scalars(replay(after, upto).limit(REPLAY_PAGE))).all())
        return rows, Batch()

    def _forget_failed(self, key: Hashable | None, page: asyncio.Future[Any]) -> None:
        if page.cancelled() or page.exception() is not None:
            self._pages.pop(key, None)
