"""What a stream hands its subscribers: deliveries, their queues, the batch they share.

A subscriber's own task takes its events from its queue, one wake-up per event.  A subscriber
that waits with nothing queued may instead be written to directly (``Direct``): the stream's
task, having released a read, hands each event to every such subscriber in turn, without
waking any of them -- one execution and one encoding per kind of subscriber, then a socket
write per subscriber.  Whatever the direct path cannot do (a socket that would block, an event
whose execution failed, a subscription on its way out) goes back to the subscriber's queue and
wakes its task, which carries on in order: a subscriber's events are never reordered, lost or
repeated by the choice of path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
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
    "Unsendable",
    "start_now",
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


class Unsendable(Exception):  # noqa: N818 -- an outcome, not a bug
    """The direct path cannot send this event; the subscriber's own task will."""


class Direct(Protocol):
    """Sends a subscriber's next event on its socket without waking its task."""

    async def send(self, delivery: Delivery[Any, Any]) -> asyncio.Future[None] | None:
        """Send it; None once written, else what finishes the write (the socket is full).

        Raises ``Unsendable`` having sent nothing.
        """


def start_now(coroutine: Coroutine[Any, Any, None]) -> asyncio.Future[None] | None:
    """Run ``coroutine`` in the calling task up to its first suspension: None when it finished
    without one, else a task that carries it on from there (what Python 3.12's eager tasks do).

    A socket write that fits in the transport's buffer finishes at once; one that must wait for
    a slow client goes on in the background instead of holding up every other subscriber.
    """
    try:
        yielded = coroutine.send(None)
    except StopIteration:
        return None
    try:
        waiting = _awaited(yielded)
    except RuntimeError:
        coroutine.close()
        raise
    return asyncio.ensure_future(_carry_on(coroutine, waiting))


def _awaited(yielded: object) -> asyncio.Future[Any] | None:
    """What a coroutine's ``await`` handed up: a future (None for a bare yield, ``sleep(0)``).

    Taken the way a task takes it: a future's ``await`` marks it as being waited on, and only
    the taker clears the mark (else awaiting it again fails).
    """
    if yielded is None:
        return None
    if not asyncio.isfuture(yielded):
        raise RuntimeError(f"a coroutine yielded {yielded!r}, not a future")
    yielded._asyncio_future_blocking = False
    return yielded


async def _carry_on(
    coroutine: Coroutine[Any, Any, None], waiting: asyncio.Future[Any] | None
) -> None:
    while True:
        if waiting is None:
            await asyncio.sleep(0)
        else:
            # Its outcome (a result, an error, a cancellation) is the coroutine's to see.
            with contextlib.suppress(BaseException):
                await waiting
        try:
            waiting = _awaited(coroutine.send(None))
        except StopIteration:
            return


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
        "_ready",
        "accepts",
        "ahead",
        "direct",
        "last",
        "limit",
        "overflowed",
        "parked",
        "replayed_late",
        "sending",
        "start",
    )

    def __init__(
        self,
        accepts: Callable[[F], bool],
        start: int,
        limit: int,
        outbox: Outbox | None = None,
    ) -> None:
        self.accepts = accepts
        self.start = start  # ``safe`` at registration: live events are those above it
        self.limit = limit
        self.overflowed = False
        self.last = start  # the last event id handed out: where the client resumes
        self.ahead = start  # ids in (start, ahead] the client has already (a further cursor)
        self.replayed_late: set[int] = set()  # replayed ids that may yet come live
        self.direct: Direct | None = None
        self.parked = False  # its task waits with nothing queued
        self.sending: asyncio.Future[None] | None = None  # a direct write waiting for the socket
        self._outbox = outbox
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
            self.wake()
            return
        self._queue.append(delivery)
        outbox = self._outbox
        if self.parked and self.direct is not None and self.sending is None and outbox is not None:
            outbox.append((delivery, self))  # sent by the stream's task, in this order
        else:
            self.wake()

    def wake(self) -> None:
        self.parked = False
        self._ready.set()

    def skips(self, key: int) -> bool:
        return self.start < key <= self.ahead or key in self.replayed_late

    def ready(self) -> list[Delivery[E, F]]:
        """Take what is queued without waiting."""
        taken = list(self._queue)
        self._queue.clear()
        return taken

    async def get(self) -> Delivery[E, F]:
        """The next event the client has not had, waiting for it."""
        queue = self._queue
        while True:
            if self.sending is not None:  # a direct write is still going out: after it
                await asyncio.wait([self.sending])
            elif queue:
                delivery = queue.popleft()
                key: int = delivery.row.id
                if not self.skips(key):
                    self.last = key
                    return delivery
            elif self.overflowed:
                raise SubscriberTooSlowError(self.last)
            else:
                self._ready.clear()
                self.parked = True
                try:
                    await self._ready.wait()
                finally:
                    self.parked = False

    async def send_direct(self, delivery: Delivery[E, F]) -> bool:
        """(The stream's task) Send ``delivery`` if it is still next and the task still waits;
        else wake the task to send what is queued itself.  True when sent here."""
        direct, queue = self.direct, self._queue
        if not (
            self.parked
            and direct is not None
            and self.sending is None
            and queue
            and queue[0] is delivery
        ):
            self.wake()
            return False
        key: int = delivery.row.id
        if self.skips(key):
            queue.popleft()
            return False
        try:
            sending = await direct.send(delivery)
        except Unsendable:
            self.wake()
            return False
        # Nothing but this task takes from a parked subscriber's queue: still at its head.
        queue.popleft()
        self.last = key
        if sending is not None:
            self.sending = sending
            sending.add_done_callback(self._sent)
        return True

    def _sent(self, sending: asyncio.Future[None]) -> None:
        self.sending = None
        if not sending.cancelled() and sending.exception() is not None:
            # The socket went away mid-write; its task finds out on its next send.
            log.warning("a direct write failed", exc_info=sending.exception())
