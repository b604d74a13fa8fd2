"""A hub process's live events: both streams, the commit watch and the bus between processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.models import CaseEvent
from hub.config import Settings
from hub.events.bus import Bus, LocalBus, RedisBus
from hub.events.commits import watch_commits
from hub.events.sources import CASES, WHISTLES, CaseFacts, WhistleFacts
from hub.events.stream import Stream, stop
from hub.whistles.models import WhistleEvent

__all__ = ["EventFeed", "announce_commits"]

EVERYTHING = "*"


class EventFeed:
    """Follows the case and whistle timelines for every subscriber of this process."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        dialect: str,
        bus: Bus | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        timeout = settings.events_gap_timeout_seconds
        # Subscribing reads the database (checks, replays): at most half the pool at once, so
        # that a storm of reconnecting clients waits its turn here rather than timing out there.
        self.gate = asyncio.Semaphore(max(1, settings.db_pool_size // 2))
        self.cases: Stream[CaseEvent, CaseFacts] = Stream(
            CASES, sessionmaker, dialect=dialect, gap_timeout=timeout, gate=self.gate
        )
        self.whistles: Stream[WhistleEvent, WhistleFacts] = Stream(
            WHISTLES, sessionmaker, dialect=dialect, gap_timeout=timeout, gate=self.gate
        )
        if bus is None:
            bus = (
                RedisBus(settings.redis_url, settings.events_channel)
                if settings.redis_url
                else LocalBus()
            )
        self.bus = bus
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def streams(self) -> tuple[Stream[Any, Any], ...]:
        return (self.cases, self.whistles)

    async def start(self) -> None:
        """Watch this process's commits, catch up with the tables, then follow them."""
        watch_commits(self.sessionmaker, self.committed)
        for stream in self.streams:
            await stream.prime()
        poll = self.settings.events_poll_seconds
        self._tasks = [
            asyncio.create_task(stream.run(poll), name=f"hub-events-{stream.kind}")
            for stream in self.streams
        ]
        await self.bus.start(self.noticed)

    def committed(self, kinds: frozenset[str]) -> None:
        """This process committed events: read them now, and tell the other processes."""
        self.noticed(kinds)
        self.bus.announce(kinds)

    def noticed(self, kinds: frozenset[str]) -> None:
        for stream in self.streams:
            if EVERYTHING in kinds or stream.kind in kinds:
                stream.wake()

    async def stop(self) -> None:
        await stop(self._tasks)
        self._tasks = []
        await self.bus.aclose()


@asynccontextmanager
async def announce_commits(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[None]:
    """For a process that writes events but serves no one (``hub sync``, ``hub sweep``): tell
    the hub processes of each commit through Redis, when there is one, so that their subscribers
    hear of it at once instead of at their next poll of the database."""
    if not settings.redis_url:
        yield
        return
    bus = RedisBus(settings.redis_url, settings.events_channel)
    watch_commits(sessionmaker, bus.announce)
    try:
        yield
    finally:
        await bus.flush()
        await bus.aclose()
