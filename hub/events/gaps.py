"""Which ids of an event table are settled: the rows read, held back behind gaps, released.

An id is taken when a row is inserted and becomes visible when its transaction commits, so on
PostgreSQL id 11 can be read while id 10 is still in an open transaction -- or 10 may never come
(its transaction rolled back; the id is burned).  Rows above such a gap are held and released in
id order once the gap is settled:

* the missing row shows up (its transaction committed): it is released in its place;
* PostgreSQL proves it never will: no transaction of this database that had an xid when the gap
  was old enough is still running (``pg_stat_activity``; other databases' long transactions do
  not count), and the row is still not there;
* on SQLite a gap is final at once: one writer at a time, ids handed out in commit order;
* after ``HUB_EVENTS_GAP_TIMEOUT_SECONDS`` the stream stops waiting (and says so in the log); it
  keeps looking for the row ten times as long and delivers it late if it comes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, or_, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from hub.cases.models import CaseEvent
from hub.whistles.models import WhistleEvent

__all__ = ["MIN_GAP_AGE", "Gaps", "Snapshot", "take_snapshot"]

log = logging.getLogger("hub.events")

E = TypeVar("E", bound=CaseEvent | WhistleEvent)

MIN_GAP_AGE = 0.5  # seconds before a gap's horizon is taken (its writer surely has an xid by then)
MAX_QUERY_RANGES = 50
LATE_WATCH_FACTOR = 10


@dataclass(slots=True)
class _Gap:
    """Ids ``lo..hi`` missing below the highest id read."""

    lo: int
    hi: int
    seen: float
    horizon: int | None = None  # PostgreSQL: the next xid once the gap was old enough
    blocking: bool = True  # False once given up on: still looked for, delivered late if found


class Snapshot(NamedTuple):
    """PostgreSQL: the next xid, and the xids of this database's running transactions."""

    xmax: int
    running: tuple[int, ...]  # 32-bit, as pg_stat_activity shows them

    def older_running(self, horizon: int) -> bool:
        """Is a transaction that took its xid before ``horizon`` still running?

        xids wrap at 2**32: compared the way PostgreSQL's TransactionIdPrecedes does.
        """
        low = horizon & 0xFFFFFFFF
        return any((xid - low) & 0xFFFFFFFF >= 0x80000000 for xid in self.running)


_SNAPSHOT = text(
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint,"
    " ARRAY(SELECT backend_xid::text::bigint FROM pg_stat_activity"
    "       WHERE datname = current_database() AND backend_xid IS NOT NULL)"
)


async def take_snapshot(session: AsyncSession) -> Snapshot:
    xmax, running = (await session.execute(_SNAPSHOT)).one()
    return Snapshot(int(xmax), tuple(int(xid) for xid in running))


class Gaps(Generic[E]):
    """One event table's ids: the highest read, the rows held, the gaps below (``kind`` logs)."""

    def __init__(self, kind: str, *, dialect: str, gap_timeout: float) -> None:
        self.kind = kind
        self.dialect = dialect
        self.gap_timeout = gap_timeout
        self.read = 0
        self.backdate = 0.0  # seconds a new gap is taken to be old already (at start-up)
        self._held: dict[int, E] = {}
        self._gaps: list[_Gap] = []
        self._before: Snapshot | None = None  # taken after the last read, before the next

    @property
    def blocked(self) -> bool:
        """Does a gap hold rows back (so the table is worth reading again soon)?"""
        return any(gap.blocking for gap in self._gaps)

    def given_up(self) -> list[tuple[int, int]]:
        """The ranges still looked for but no longer waited on (a row there comes late)."""
        return [(gap.lo, gap.hi) for gap in self._gaps if not gap.blocking]

    def restart(self, top: int) -> None:
        """Follow from ``top`` on, forgetting every gap and held row."""
        self.read = top
        self._gaps.clear()
        self._held.clear()

    def unread(self, id_column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        """A SQL condition on the table: rows above the highest read, or in a gap."""
        ranges = [(gap.lo, gap.hi) for gap in self._gaps]
        if len(ranges) > MAX_QUERY_RANGES:  # one wide range for the tail; extra rows are skipped
            ranges[MAX_QUERY_RANGES - 1 :] = [(ranges[MAX_QUERY_RANGES - 1][0], ranges[-1][1])]
        return or_(id_column > self.read, *(id_column.between(lo, hi) for lo, hi in ranges))

    def take(self, row: E, now: float) -> bool:
        """Hold a row read; True when it is late (its gap given up on): it goes out at once."""
        key: int = row.id
        if key > self.read:
            if key > self.read + 1:
                self._gaps.append(_Gap(self.read + 1, key - 1, now - self.backdate))
            self.read = key
        else:
            gap = self._fill(key)
            if gap is None:
                return False  # read again through a widened range: already taken
            if not gap.blocking:
                return True
        self._held[key] = row
        return False

    def hold(self, rows: list[E]) -> None:
        """Hold rows again that could not go out: they are released next time, in order."""
        self._held.update((row.id, row) for row in rows)

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

    def settle(self, now: float, snapshot: Snapshot | None) -> None:
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

    def _final(self, gap: _Gap, age: float, snapshot: Snapshot | None) -> bool:
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

    def ready(self) -> tuple[list[E], int]:
        """The held rows up to the first unsettled gap, in id order, and that frontier."""
        blocked = [gap.lo for gap in self._gaps if gap.blocking]
        frontier = min(blocked) - 1 if blocked else self.read
        ready = [self._held.pop(key) for key in sorted(k for k in self._held if k <= frontier)]
        return ready, frontier
