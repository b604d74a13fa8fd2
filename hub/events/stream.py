"""Following one event table in id order: nothing lost, nothing repeated, nothing reordered.

An id is taken when a row is inserted and becomes visible when its transaction commits, so on
PostgreSQL id 11 can be read while id 10 is still in an open transaction -- or 10 may never come
(its transaction rolled back; the id is burned).  A stream holds events back behind such a gap
and releases them in id order once the gap is settled:

* the missing row shows up (its transaction committed): it is released in its place;
* PostgreSQL proves it never will: no transaction of this database that had an xid when the gap
  was old enough is still running (``pg_stat_activity``; other databases' long transactions do
  not count), and the row is still not there;
* on SQLite a gap is final at once: one writer at a time, ids handed out in commit order;
* after ``HUB_EVENTS_GAP_TIMEOUT_SECONDS`` the stream stops waiting (and says so in the log); it
  keeps looking for the row ten times as long and delivers it late if it comes.

``safe`` -- every id at or below it is settled -- only grows.  A subscriber registered at
``safe`` is given exactly the events released after it, so a client's last event id is a cursor
that loses nothing: ``after`` replays ``(after, safe]`` from the database and the live queue
carries on above ``safe``, with no gap and no duplicate at the seam.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.models import CaseEvent
from hub.db import utcnow
from hub.events.delivery import Batch, Delivery, Direct, Outbox, Subscriber
from hub.events.sources import Source, owners
from hub.observability import metrics
from hub.whistles.models import WhistleEvent

__all__ = ["Stream", "stop"]

log = logging.getLogger("hub.events")

E = TypeVar("E", bound=CaseEvent | WhistleEvent)
F = TypeVar("F")

BATCH = 500  # rows per read
REPLAY_PAGE = 200  # rows per replay query
PRIME_WINDOW = 1000  # PostgreSQL: ids below the top re-read at start-up, for open transactions
MIN_GAP_AGE = 0.5  # seconds before a gap's horizon is taken (its writer surely has an xid by then)
GAP_ROUND_SECONDS = 0.25  # how often to look again while a gap holds events back
MAX_QUERY_RANGES = 50
REPLAYS_AT_ONCE = 4
REPLAY_PAGES_KEPT = 256
LATE_WATCH_FACTOR = 10

Replay = Callable[[int, int], Select[Any]]


@dataclass(slots=True)
class _Gap:
    """Ids ``lo..hi`` missing below the highest id read."""

    lo: int
    hi: int
    seen: float
    horizon: int | None = None  # PostgreSQL: the next xid once the gap was old enough
    blocking: bool = True  # False once given up on: still looked for, delivered late if found


class _Snapshot(NamedTuple):
    """PostgreSQL: the next xid, and the xids of this database's running transactions."""

    xmax: int
    running: tuple[int, ...]  # 32-bit, as pg_stat_activity shows them

    def older_running(self, horizon: int) -> bool:
        """Is a transaction that took its xid before ``horizon`` still running?

        xids wrap at 2**32: compared the way PostgreSQL's TransactionIdPrecedes does.
        """
        low = horizon & 0xFFFFFFFF
        return any((xid - low) & 0xFFFFFFFF >= 0x80000000 for xid in self.running)


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
        self.gap_timeout = gap_timeout
        self.clock = clock
        self.safe = 0
        self._read = 0
        self._held: dict[int, E] = {}
        self._gaps: list[_Gap] = []
        self._before: _Snapshot | None = None  # taken after the last read, before the next
        self._backdate = 0.0
        self._subscribers: set[Subscriber[E, F]] = set()
        self._outbox: Outbox = deque()  # events for subscribers written to directly, in order
        self.sent: Counter[str] = Counter()  # live events sent "direct" or by a "woken" task
        self.released: list[Callable[[int], None]] = []  # told each new ``safe`` (webhooks)
        self._wake = asyncio.Event()
        self.gate = gate or asyncio.Semaphore(REPLAYS_AT_ONCE)  # database work of subscribing
        self._pages: OrderedDict[Hashable, asyncio.Future[tuple[list[E], Batch]]] = OrderedDict()

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
        self._read = self.safe = max(0, top - window)
        # Ids missing below the top are old (deleted rows, rolled-back inserts): take their
        # horizon at once, and read once more to settle those no open transaction holds.
        self._backdate = MIN_GAP_AGE
        try:
            await self.catch_up()
            await self.read_once()
        finally:
            self._backdate = 0.0

    async def catch_up(self) -> None:
        while await self.read_once():
            pass

    async def read_once(self) -> bool:
        """Read what is new (and what gaps may have filled); True when there may be more.

        The facts subscribers are judged on are loaded when events are released, not when
        read: an event held behind a gap is judged on its case as it is when it goes out.
        """
        model = self.source.model
        async with self.sessionmaker() as session:
            query = select(model).where(self._unread()).order_by(model.id).limit(BATCH)
            rows = list((await session.scalars(query)).all())
            snapshot = await _snapshot(session) if self.dialect == "postgresql" else None
            now = self.clock()
            late: list[E] = [row for row in rows if self._take(row, now)]
            self._settle(now, snapshot)
            ready, frontier = self._ready()
            going: list[E] = [*late, *ready]
            facts: dict[int, F] = {}
            try:
                if going:
                    facts = await self.source.load_facts(session, owners(self.source, going))
            except BaseException:
                self._held.update((row.id, row) for row in going)  # out next time, in order
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

    def _unread(self) -> ColumnElement[bool]:
        model = self.source.model
        ranges = [(gap.lo, gap.hi) for gap in self._gaps]
        if len(ranges) > MAX_QUERY_RANGES:  # one wide range for the tail; extra rows are skipped
            ranges[MAX_QUERY_RANGES - 1 :] = [(ranges[MAX_QUERY_RANGES - 1][0], ranges[-1][1])]
        return or_(model.id > self._read, *(model.id.between(lo, hi) for lo, hi in ranges))

    def _take(self, row: E, now: float) -> bool:
        """Hold a row read; True when it is late (its gap given up on): it goes out at once."""
        key: int = row.id
        if key > self._read:
            if key > self._read + 1:
                self._gaps.append(_Gap(self._read + 1, key - 1, now - self._backdate))
            self._read = key
        else:
            gap = self._fill(key)
            if gap is None:
                return False  # read again through a widened range: already taken
            if not gap.blocking:
                return True
        self._held[key] = row
        return False

    def _fill(self, key: int) -> _Gap | None:
        """Remove ``key`` from the gap holding it; that gap, or None when in no gap."""
        for index, gap in enumerate(self._gaps):
            if gap.lo <= key <= gap.hi:
                parts = [
                    _Gap(lo, hi, gap.seen, gap.horizon, gap.blocking)
                    for lo, hi in ((gap.lo, key - 1), (key + 1, gap.hi))
                    if lo <= hi
                ]
                self._gaps[index : index + 1] = parts
                return gap
        return None

    def _settle(self, now: float, snapshot: _Snapshot | None) -> None:
        """Give up the gaps that are final, proven never to fill, or waited on too long."""
        kept: list[_Gap] = []
        for gap in self._gaps:
            age = now - gap.seen
            if gap.blocking and self._final(gap, age, snapshot):
                continue
            if gap.blocking and age >= self.gap_timeout:
                gap.blocking = False
                log.warning(
                    "%s events %s..%s still uncommitted after %.0fs; delivering past them",
                    self.kind,
                    gap.lo,
                    gap.hi,
                    age,
                )
            if not gap.blocking and age >= self.gap_timeout * LATE_WATCH_FACTOR:
                continue
            kept.append(gap)
        self._gaps = kept
        self._before = snapshot

    def _final(self, gap: _Gap, age: float, snapshot: _Snapshot | None) -> bool:
        if self.dialect == "sqlite":
            return True
        if snapshot is None:
            return False
        before = self._before
        if gap.horizon is not None and before is not None and not before.older_running(gap.horizon):
            return True  # whoever could commit these ids was done before this read
        if gap.horizon is None and age >= MIN_GAP_AGE:
            gap.horizon = snapshot.xmax
        return False

    def _ready(self) -> tuple[list[E], int]:
        """The held rows up to the first unsettled gap, in id order, and that frontier."""
        blocked = [gap.lo for gap in self._gaps if gap.blocking]
        frontier = min(blocked) - 1 if blocked else self._read
        ready = [self._held.pop(key) for key in sorted(k for k in self._held if k <= frontier)]
        return ready, frontier

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
                    self.sent["direct"] += 1
                else:
                    subscriber.wake()
        finally:  # cancelled: whoever is left sends their own
            while outbox:
                outbox.popleft()[1].wake()

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
        if top < self._read:
            log.warning("%s events above %s were deleted; following from there", self.kind, top)
            self._read = self.safe = top
            self._gaps.clear()
            self._held.clear()

    async def run(self, poll_seconds: float) -> None:
        """Read whenever woken, every ``poll_seconds`` anyway, faster while a gap holds."""
        while True:
            blocked = any(gap.blocking for gap in self._gaps)
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
    ) -> AsyncIterator[Delivery[E, F]]:
        """Every accepted event after ``after`` (or from now), each once, in id order.

        ``share`` names what the selection depends on (selections with equal ones accept and
        replay alike).
        ``direct``, when given, sends live events while the caller waits for the next one:
        those are never yielded.

        Registers first, then replays ``(after, safe-at-registration]`` from the database,
        then goes live: the live queue holds exactly the events released after registration.
        """
        watched = [(gap.lo, gap.hi) for gap in self._gaps if not gap.blocking]
        subscriber = self.register(accepts, limit, share)
        start = subscriber.start
        if after is not None:
            subscriber.last = after
            # A cursor from a process further along: the client has (start, after] already.
            subscriber.ahead = max(start, after)
        try:
            if after is not None and after < start:
                async for delivery in self._replay(replay, share, after, start):
                    key = delivery.row.id
                    if any(lo <= key <= hi for lo, hi in watched):
                        subscriber.replayed_late.add(key)
                    subscriber.last = key
                    yield delivery
                    del delivery  # hold nothing of it (its batch) while waiting for more
            subscriber.direct = direct
            while True:
                delivery = await subscriber.get()
                self.sent["woken"] += 1
                yield delivery
                del delivery
        finally:
            subscriber.direct = None
            self.unregister(subscriber)

    async def _replay(
        self, replay: Replay, share: Hashable | None, after: int, upto: int
    ) -> AsyncIterator[Delivery[E, F]]:
        while after < upto:
            rows, batch = await self._page(replay, share, after, upto)
            if not rows:
                return
            for row in rows:
                yield Delivery(row, None, batch)
            after = rows[-1].id

    async def _page(
        self, replay: Replay, share: Hashable | None, after: int, upto: int
    ) -> tuple[list[E], Batch]:
        """One page of a replay, read once for every subscriber asking the same of it.

        After a deploy thousands of clients resume at once, most from the same last event:
        they share one query and one batch (so one execution of each replayed event, too).
        The rows of ``(after, upto]`` are settled, so a page read a moment ago is still true.
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


_SNAPSHOT = text(
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint,"
    " ARRAY(SELECT backend_xid::text::bigint FROM pg_stat_activity"
    "       WHERE datname = current_database() AND backend_xid IS NOT NULL)"
)


async def _snapshot(session: AsyncSession) -> _Snapshot:
    xmax, running = (await session.execute(_SNAPSHOT)).one()
    return _Snapshot(int(xmax), tuple(int(xid) for xid in running))


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
