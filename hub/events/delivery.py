"""What a stream hands its subscribers: deliveries, their queues, the batch they share.

A subscriber's own task takes its events from its queue, one wake-up per event.  A subscriber
that waits with nothing queued may instead be written to directly (``Direct``): the stream's
task, having released a read, hands each event to every such subscriber in turn, without
waking any of them.  Subscribers sent the same thing form a group (``Direct.group``): the
group's message is made once (one execution, one encoding), then each subscriber costs one
socket write of it.  Whatever the direct path cannot do (a socket whose buffer is full, an
event whose execution failed, a subscription on its way out) goes back to the subscriber's
queue and wakes its task, which carries on in order: a subscriber's events are never
reordered, lost or repeated by the choice of path.

A subscriber may also sleep with no task at all (``sleep``): its subscription, caught up, has
ended its task and left it registered, written to directly.  Whatever the direct path cannot do
then calls its ``resume`` instead of waking a task, once, and whoever resumes takes its queue
from there (``Stream.carry_on``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from hub.cases.models import CaseEvent
from hub.whistles.models import WhistleEvent

__all__ = [
    "Batch",
    "Delivery",
    "Direct",
    "Subscriber",
    "SubscriberTooSlowError",
]

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


class Direct(Protocol):
    """Writes a subscriber's live events to its socket without waking its task."""

    @property
    def group(self) -> Hashable:
        """Subscribers of equal groups are sent the same message for an event."""

    async def prepare(self, delivery: Delivery[Any, Any]) -> object | None:
        """The group's message for ``delivery`` (made once per group); None when it cannot
        go this way (its execution has errors to report)."""

    def write(self, prepared: object) -> bool:
        """Write the prepared message now; False, having written nothing, when the socket
        cannot take it at once (closing, its buffer full)."""


class SubscriberTooSlowError(Exception):
    """The subscriber fell too far behind; it resumes with ``after`` = ``last_id``."""

    def __init__(self, last_id: int | None) -> None:
        super().__init__(f"fell behind after event {last_id}")
        self.last_id = last_id


Outbox = deque[tuple[Delivery[Any, Any], "Subscriber[Any, Any]"]]


class Subscriber(Generic[E, F]):
    """One subscription's queue of released events it accepts, and where it stands."""

    __slots__ = (
        "_outbox",
        "_queue",
        "_waiter",
        "accepts",
        "ahead",
        "direct",
        "last",
        "limit",
        "overflowed",
        "parked",
        "replayed_late",
        "resume",
        "share",
        "start",
    )

    def __init__(
        self,
        accepts: Callable[[F], bool],
        start: int,
        limit: int,
        outbox: Outbox | None = None,
        share: Hashable | None = None,
    ) -> None:
        self.accepts = accepts
        self.share = share  # subscribers of equal shares accept the same events
        self.start = start  # ``safe`` at registration: live events are those above it
        self.limit = limit
        self.overflowed = False
        self.last = start  # the last event id handed out: where the client resumes
        self.ahead = start  # ids in (start, ahead] the client has already (a further cursor)
        self.replayed_late: set[int] | None = None  # replayed ids that may yet come live
        self.direct: Direct | None = None
        self.parked = False  # its task waits (or, asleep, it has none) with nothing queued
        self.resume: Callable[[], None] | None = None  # asleep: what wakes it, called once
        self._outbox = outbox
        # Made while needed only: an idle subscriber holds no deque (~0.7 KiB each).
        self._queue: deque[Delivery[E, F]] | None = None
        self._waiter: asyncio.Future[None] | None = None  # its task's, while parked

    def offer(self, delivery: Delivery[E, F], judged: dict[Hashable, bool]) -> None:
        """Queue ``delivery`` if accepted; ``judged`` holds the verdicts of this delivery so far,
        per share, so that a group of equal subscribers is judged once."""
        if self.overflowed or delivery.facts is None:
            return
        share = self.share
        wanted = judged.get(share) if share is not None else None
        if wanted is None:
            try:
                wanted = self.accepts(delivery.facts)
            except Exception:  # one subscriber's fault must not stop the others' events
                log.exception("event filter failed for event %s", delivery.row.id)
                return
            if share is not None:
                judged[share] = wanted
        if not wanted:
            return
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        elif len(queue) >= self.limit:
            self.overflowed = True
            self._queue = None
            self.wake()
            return
        queue.append(delivery)
        outbox = self._outbox
        if self.parked and self.direct is not None and outbox is not None:
            outbox.append((delivery, self))  # sent by the stream's task, in this order
        else:
            self.wake()

    def wake(self) -> None:
        self.parked = False
        waiter = self._waiter
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(None)
            return
        resume = self.resume
        if resume is not None:
            self.resume = None
            resume()

    def idle(self) -> bool:
        """Nothing queued for it, and it has not fallen behind."""
        return not self._queue and not self.overflowed

    def sleep(self, resume: Callable[[], None]) -> bool:
        """Wait with no task: live events go to it directly, and ``resume`` is called (once)
        for what cannot.  False, doing nothing, when something is queued already."""
        if not self.idle():
            return False
        self._queue = None
        self.parked = True
        self.resume = resume
        return True

    def late(self, key: int) -> None:
        """Replayed ``key`` may yet come live (it was given up on): skip it then."""
        if self.replayed_late is None:
            self.replayed_late = set()
        self.replayed_late.add(key)

    def skips(self, key: int) -> bool:
        late = self.replayed_late
        return self.start < key <= self.ahead or (late is not None and key in late)

    def ready(self) -> list[Delivery[E, F]]:
        """Take what is queued without waiting."""
        taken = list(self._queue or ())
        self._queue = None
        return taken

    async def get(self) -> Delivery[E, F]:
        """The next event the client has not had, waiting for it."""
        while True:
            queue = self._queue
            if queue:
                delivery = queue.popleft()
                if not queue:
                    self._queue = None
                key: int = delivery.row.id
                if not self.skips(key):
                    self.last = key
                    return delivery
            elif self.overflowed:
                raise SubscriberTooSlowError(self.last)
            else:
                self._queue = None
                waiter = self._waiter = asyncio.get_running_loop().create_future()
                self.parked = True
                try:
                    await waiter
                finally:
                    self.parked = False
                    self._waiter = None

    def takes(self, delivery: Delivery[E, F]) -> bool:
        """(The stream's task) May ``delivery`` be written directly: the task still waits and
        it is next in the queue?"""
        queue = self._queue
        if not (self.parked and self.direct is not None and queue):
            return False
        return queue[0] is delivery

    def passed(self, delivery: Delivery[E, F], *, sent: bool) -> None:
        """(The stream's task) ``delivery``, next in the queue, went out directly, or was
        skipped (the client had it already)."""
        queue = self._queue
        assert queue is not None  # ``takes`` said it is next
        queue.popleft()
        if not queue:
            self._queue = None
        if sent:
            self.last = delivery.row.id
