"""Following one event table in id order: nothing lost, nothing repeated, nothing reordered.

Ids become visible in commit order, not id order: rows read above a gap are held back until the
gap is settled (``gaps`` says which ids are), then released in id order.

``safe`` -- every id at or below it is settled -- only grows.  A subscriber registered at
``safe`` is given exactly the events released after it, so a client's last event id is a cursor
that loses nothing: ``after`` replays ``(after, safe]`` from the database (``replay``: pages
that resuming subscribers share) and the live queue carries on above ``safe``, with no gap and
no duplicate at the seam.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.models import CaseEvent
from hub.db import utcnow
from hub.events.delivery import Batch, Delivery, Direct, Outbox, Subscriber
from hub.events.gaps import MIN_GAP_AGE, Gaps, take_snapshot
from hub.events.replay import REPLAYS_AT_ONCE, Replay, ReplayPages
from hub.events.sources import Source, owners
from hub.observability import metrics
from hub.whistles.models import WhistleEvent

__all__ = ["Stream", "stop"]

log = logging.getLogger("hub.events")

E = TypeVar("E", bound=CaseEvent | WhistleEvent)
F = TypeVar("F")

BATCH = 500  # rows per read
PRIME_WINDOW = 1000  # PostgreSQL: ids below the top re-read at start-up, for open transactions
GAP_ROUND_SECONDS = 0.25  # how often to look again while a gap holds events back


class Stream(Generic[E, F]):
    """One event table, followed by one hub process for all its subscribers."""

    def __init__(
        self,
        source: Source[E, F],
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        dialect: str,
        gap_timeout: float,
        gate: asyncio.Semaphore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source: Source[E, F] = source
        self.sessionmaker = sessionmaker
        self.dialect = dialect
        self.clock = clock
        self.safe = 0
        self._ids: Gaps[E] = Gaps(source.kind, dialect=dialect, gap_timeout=gap_timeout)
        self._subscribers: set[Subscriber[E, F]] = set()
        self._outbox: Outbox = deque()  # events for subscribers written to directly, in order
        self.sent: Counter[str] = Counter()  # live events sent "direct" or by a "woken" task
        self.released: list[Callable[[int], None]] = []  # told each new ``safe`` (webhooks)
        self._wake = asyncio.Event()
        self._replays: ReplayPages[E, F] = ReplayPages(
            sessionmaker, gate or asyncio.Semaphore(REPLAYS_AT_ONCE)
        )

    @property
    def kind(self) -> str:
        return self.source.kind

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def wake(self) -> None:
        self._wake.set()

    # ── reading ───────────────────────────────────────────────────────────────────────────

    async def prime(self) -> None:
        """Start at the table's end; on PostgreSQL a window below it, for open transactions."""
        model = self.source.model
        async with self.sessionmaker() as session:
            top = int(await session.scalar(select(func.max(model.id))) or 0)
        window = PRIME_WINDOW if self.dialect == "postgresql" else 0
        self._ids.read = self.safe = max(0, top - window)
        # Ids missing below the top are old (deleted rows, rolled-back inserts): take their
        # horizon at once, and read once more to settle those no open transaction holds.
        self._ids.backdate = MIN_GAP_AGE
        try:
            await self.catch_up()
            await self.read_once()
        finally:
            self._ids.backdate = 0.0

    async def catch_up(self) -> None:
        while await self.read_once():
            pass

    async def read_once(self) -> bool:
        """Read what is new (and what gaps may have filled); True when there may be more.

        The facts subscribers are judged on are loaded when events are released, not when
        read: an event held behind a gap is judged on its case as it is when it goes out.
        """
        model, ids = self.source.model, self._ids
        async with self.sessionmaker() as session:
            query = select(model).where(ids.unread(model.id)).order_by(model.id).limit(BATCH)
            rows = list((await session.scalars(query)).all())
            snapshot = await take_snapshot(session) if self.dialect == "postgresql" else None
            now = self.clock()
            late: list[E] = [row for row in rows if ids.take(row, now)]
            ids.settle(now, snapshot)
            ready, frontier = ids.ready()
            going: list[E] = [*late, *ready]
            facts: dict[int, F] = {}
            try:
                if going:
                    facts = await self.source.load_facts(session, owners(self.source, going))
            except BaseException:
                ids.hold(going)  # out next time, in order
                raise
        batch = Batch()
        for row in late:
            log.warning("%s event %s committed after the stream gave up on it", self.kind, row.id)
        released = utcnow()
        for row in going:
            metrics.observe_release(self.kind, row.at, released)
            found = facts.get(self.source.owner(row))
            if found is not None:  # else its case or whistle is gone: nothing to tell
                self._deliver(Delivery(row, found, batch))
        # Only now, with no await since the delivery: a subscriber registered at the new
        # ``safe`` must neither get these again live nor miss them in its replay.
        if frontier > self.safe:
            self.safe = frontier
            for listener in self.released:
                listener(frontier)
        await self._send_direct()
        return len(rows) == BATCH

    def _deliver(self, delivery: Delivery[E, F]) -> None:
        judged: dict[Hashable, bool] = {}  # per share: equal subscribers are judged once
        for subscriber in list(self._subscribers):
            subscriber.offer(delivery, judged)

    async def _send_direct(self) -> None:
        """Write the events just released to the subscribers waiting for them (``Direct``):
        per event, each group's message made once, then one socket write per subscriber."""
        outbox = self._outbox
        current: Delivery[E, F] | None = None
        prepared: dict[Hashable, object | None] = {}
        sent = 0
        try:
            while outbox:
                delivery, subscriber = outbox.popleft()
                if delivery is not current:  # the outbox holds each event's subscribers in turn
                    current, prepared = delivery, {}
                direct = subscriber.direct
                if direct is None or not subscriber.takes(delivery):
                    subscriber.wake()
                    continue
                if subscriber.skips(delivery.row.id):
                    subscriber.passed(delivery, sent=False)
                    continue
                group = direct.group
                if group not in prepared:
                    prepared[group] = await self._prepare(direct, delivery)
                    if not subscriber.takes(delivery):  # it moved on while the group's was made
                        subscriber.wake()
                        continue
                message = prepared[group]
                if message is not None and direct.write(message):
                    subscriber.passed(delivery, sent=True)
                    sent += 1
                else:
                    subscriber.wake()
        finally:  # cancelled: whoever is left sends their own
            while outbox:
                outbox.popleft()[1].wake()
            if sent:  # once per fan-out: with several workers each count writes a shared file
                self.sent["direct"] += sent
                metrics.EVENTS_DELIVERED.inc(sent)

    async def _prepare(self, direct: Direct, delivery: Delivery[E, F]) -> object | None:
        try:
            return await direct.prepare(delivery)
        except Exception:  # the subscribers' own tasks send it instead
            log.exception("preparing %s event %s failed", self.kind, delivery.row.id)
            return None

    async def _shrunk(self) -> None:
        """SQLite reuses the ids of deleted newest rows: start again from the table's end."""
        model = self.source.model
        async with self.sessionmaker() as session:
            top = int(await session.scalar(select(func.max(model.id))) or 0)
        if top < self._ids.read:
            log.warning("%s events above %s were deleted; following from there", self.kind, top)
            self._ids.restart(top)
            self.safe = top

    async def run(self, poll_seconds: float) -> None:
        """Read whenever woken, every ``poll_seconds`` anyway, faster while a gap holds."""
        while True:
            blocked = self._ids.blocked
            timeout = min(poll_seconds, GAP_ROUND_SECONDS) if blocked else poll_seconds
            polled = False
            try:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                polled = True
            self._wake.clear()
            try:
                await self.catch_up()
                if polled and self.dialect == "sqlite":
                    await self._shrunk()
            except Exception:  # the database is away: keep serving, read again next time
                log.exception("reading %s events failed; retrying in %.1fs", self.kind, timeout)
                await asyncio.sleep(timeout)

    # ── subscribing ───────────────────────────────────────────────────────────────────────

    def register(
        self, accepts: Callable[[F], bool], limit: int, share: Hashable | None = None
    ) -> Subscriber[E, F]:
        """A subscriber given every accepted event released from now on (above ``safe``)."""
        subscriber: Subscriber[E, F] = Subscriber(accepts, self.safe, limit, self._outbox, share)
        self._subscribers.add(subscriber)
        return subscriber

    def unregister(self, subscriber: Subscriber[E, F]) -> None:
        self._subscribers.discard(subscriber)

    async def follow(
        self,
        accepts: Callable[[F], bool],
        replay: Replay,
        *,
        after: int | None,
        limit: int,
        share: Hashable | None = None,
        direct: Direct | None = None,
        leave: Callable[[Subscriber[E, F]], None] | None = None,
    ) -> AsyncIterator[Delivery[E, F]]:
        """Every accepted event after ``after`` (or from now), each once, in id order.

        ``share`` names what the selection depends on (selections with equal ones accept and
        replay alike).
        ``direct``, when given, sends live events while the caller waits for the next one:
        those are never yielded.
        ``leave``, when given with ``direct``, is handed the subscriber whenever it is caught
        up with nothing queued, and the iteration ends there, the subscriber still registered
        and written to directly: whoever took it carries on with ``carry_on`` (and
        unregisters it when done with it).

        Registers first, then replays ``(after, safe-at-registration]`` from the database,
        then goes live: the live queue holds exactly the events released after registration.
        """
        watched = self._ids.given_up()
        subscriber = self.register(accepts, limit, share)
        start = subscriber.start
        if after is not None:
            subscriber.last = after
            # A cursor from a process further along: the client has (start, after] already.
            subscriber.ahead = max(start, after)
        handed = False
        try:
            if after is not None and after < start:
                async for delivery in self._replays.replay(replay, share, after, start):
                    key = delivery.row.id
                    if any(lo <= key <= hi for lo, hi in watched):
                        subscriber.late(key)
                    subscriber.last = key
                    yield delivery
                    del delivery  # hold nothing of it (its batch) while waiting for more
            subscriber.direct = direct
            handed = True  # from here on ``carry_on`` unregisters it, unless it hands it over
            live = self.carry_on(subscriber, leave if direct is not None else None)
            async with contextlib.aclosing(live):
                async for delivery in live:
                    yield delivery
                    del delivery
        finally:
            if not handed:
                subscriber.direct = None
                self.unregister(subscriber)

    async def carry_on(
        self, subscriber: Subscriber[E, F], leave: Callable[[Subscriber[E, F]], None] | None
    ) -> AsyncGenerator[Delivery[E, F], None]:
        """What ``subscriber`` has queued (and what comes meanwhile), live: for ever, or, with
        ``leave``, until it is caught up and handed over (a subscriber ``follow`` handed over,
        woken, is carried on so)."""
        handed = False
        try:
            while True:
                if leave is not None and subscriber.idle():
                    handed = True
                    leave(subscriber)
                    return
                delivery = await subscriber.get()
                self.sent["woken"] += 1
                yield delivery
                del delivery
        finally:
            if not handed:
                subscriber.direct = None
                self.unregister(subscriber)


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
