"""What a stream hands its subscribers: deliveries, their queues, the batch they share."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from hub.cases.models import CaseEvent
from hub.whistles.models import WhistleEvent

__all__ = ["Batch", "Delivery", "Subscriber", "SubscriberTooSlowError"]

log = logging.getLogger("hub.events")

E = TypeVar("E", bound=CaseEvent | WhistleEvent)
F = TypeVar("F")


@dataclass(slots=True)
class Batch:
    """The events of one read, shared by all their subscribers (the schema keeps loaders here)."""

    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivery(Generic[E, F]):
    row: E
    facts: F | None  # None for replayed events: the replay query already judged them
    batch: Batch


class SubscriberTooSlowError(Exception):
    """The subscriber fell too far behind; it resumes with ``after`` = ``last_id``."""

    def __init__(self, last_id: int | None) -> None:
        super().__init__(f"fell behind after event {last_id}")
        self.last_id = last_id


class Subscriber(Generic[E, F]):
    """One subscription's queue of released events it accepts."""

    __slots__ = ("_queue", "_ready", "accepts", "limit", "overflowed", "start")

    def __init__(self, accepts: Callable[[F], bool], start: int, limit: int) -> None:
        self.accepts = accepts
        self.start = start
        self.limit = limit
        self.overflowed = False
        self._queue: deque[Delivery[E, F]] = deque()
        self._ready = asyncio.Event()

    def offer(self, delivery: Delivery[E, F]) -> None:
        if self.overflowed or delivery.facts is None:
            return
        try:
            wanted = self.accepts(delivery.facts)
        except Exception:  # one subscriber's fault must not stop the others' events
            log.exception("event filter failed for event %s", delivery.row.id)
            return
        if not wanted:
            return
        if len(self._queue) >= self.limit:
            self.overflowed = True
            self._queue.clear()
        else:
            self._queue.append(delivery)
        self._ready.set()

    def ready(self) -> list[Delivery[E, F]]:
        """Take what is queued without waiting."""
        taken = list(self._queue)
        self._queue.clear()
        return taken

    async def get(self, last_id: int | None) -> Delivery[E, F]:
        while not self._queue:
            if self.overflowed:
                raise SubscriberTooSlowError(last_id)
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()
