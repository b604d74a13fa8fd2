"""Batch intake (``report_many``): many brand-new cases in a few statements.

``hub.cases.intake.report`` takes one case in with the ORM; this takes a batch of cases a
source has already validated and located. Both build a case's row with ``intake.case_row``,
draw numbers from ``hub.numbers``, and move the case to where its source says it stands
(``hub.cases.progress.plan``) through the one lifecycle (``hub.cases.lifecycle``): here on
plain rows in memory (``hub.cases.batch_progress``), built a chunk at a time in a thread while
the chunk before is written, one write per table and chunk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.access import CaseAction, require_case_action
from hub.cases.batch_progress import Progress, case_state
from hub.cases.deadlines import DeadlinePolicy
from hub.cases.intake import Placement, case_row
from hub.cases.models import (
    Case,
    CaseDispatch,
    CaseEvent,
    CaseExtension,
    CaseExternalRef,
    CaseJurisdiction,
    CaseReturn,
    CaseSource,
    Priority,
)
from hub.cases.progress import CaseUpdate, Stage, StepActors, StepKind
from hub.categories.models import Category
from hub.config import Settings
from hub.db import BulkInsert, create_indexes, drop_indexes
from hub.errors import DomainError
from hub.geo.models import Jurisdiction, JurisdictionLevel
from hub.lengths import refuse_overlong_rows
from hub.numbers import allocate, scope_of
from hub.pii import protect

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case as a source describes it, already validated, mapped and located."""

    description: str
    category_code: str
    source: CaseSource
    reported_at: dt.datetime
    subdistrict_code: str
    point: tuple[float, float] | None = None  # WGS84 (lng, lat), inside ``grid_code``
    grid_code: str | None = None
    address: str | None = None
    contact: str | None = None
    priority: Priority = Priority.ROUTINE
    update: CaseUpdate = field(default_factory=lambda: CaseUpdate(Stage.RECEIVED))


class RecordsRefusedError(Exception):
    """Records of a batch whose steps the lifecycle refuses, by their index in the batch; found
    before anything is written, so the caller can take the rest in together and these alone."""

    def __init__(self, refused: dict[int, DomainError]) -> None:
        first = "; ".join(f"#{i}: {error}" for i, error in list(refused.items())[:3])
        super().__init__(f"{len(refused)} record(s) refused ({first})")
        self.refused = refused


@dataclass(frozen=True, slots=True)
class Reference:
    """Where a case came from: its id in the source system, and the version taken in."""

    system: str
    external_id: str
    version: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Names:
    """Names a case's title is made of, loaded once per run."""

    categories: dict[str, str]
    streets: dict[str, str]

    @classmethod
    async def load(cls, session: AsyncSession) -> Names:
        categories = dict((await session.execute(select(Category.code, Category.name))).all())
        streets = dict(
            (
                await session.execute(
                    select(Jurisdiction.code, Jurisdiction.name).where(
                        Jurisdiction.level == JurisdictionLevel.SUBDISTRICT
                    )
                )
            ).all()
        )
        return cls(categories, streets)


CASES = BulkInsert.of(Case, [column.key for column in Case.__table__.columns])
PLACES = BulkInsert.of(CaseJurisdiction)
REFS = BulkInsert.of(CaseExternalRef)
DISPATCHES = BulkInsert.of(CaseDispatch)
EVENTS = BulkInsert.of(CaseEvent)
RETURNS = BulkInsert.of(CaseReturn)
EXTENSIONS = BulkInsert.of(CaseExtension)


# The tables a batch writes.
WRITTEN: tuple[Table, ...] = tuple(
    cast(Table, model.__table__)
    for model in (
        Case,
        CaseJurisdiction,
        CaseExternalRef,
        CaseDispatch,
        CaseEvent,
        CaseReturn,
        CaseExtension,
    )
)


@asynccontextmanager
async def indexes_deferred(session: AsyncSession) -> AsyncIterator[None]:
    """Batches written without the secondary indexes of the tables they write, which are made
    again, whole, at the end: for a fill many times the size of what is there (the demo's
    month, a benchmark's city), where sorting each index once beats updating it row by row.

    All in the session's transaction: if it rolls back, the indexes come back with it.
    """
    connection = await session.connection()
    await drop_indexes(connection, WRITTEN)
    yield
    await create_indexes(connection, WRITTEN)


_NEXT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('\"case\"', 'id')) FROM generate_series(1, :n) "
    "ORDER BY 1"
)


async def reserve_case_ids(session: AsyncSession, count: int) -> list[int]:
    """``count`` new case ids, increasing: those the table would have given the rows in turn.

    PostgreSQL draws them from the table's sequence (never handed out twice). SQLite numbers a
    row past the largest id; the batch has already written its numbers (``allocate``), so its
    transaction holds the database's write lock and no other writer can take the same ids.
    """
    if not count:
        return []
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        drawn = await session.scalars(_NEXT_IDS, {"n": count})
        return list(drawn)
    last = await session.scalar(select(func.coalesce(func.max(Case.id), 0)))
    return list(range(int(last or 0) + 1, int(last or 0) + 1 + count))


CHUNK = 250  # cases built while the chunk before them is written


async def report_many(
    session: AsyncSession,
    records: Sequence[CaseRecord],
    *,
    references: Sequence[Reference | None] | None = None,
    settings: Settings,
    names: Names,
    actors: StepActors,
    now: dt.datetime,
    versioned: bool = True,
) -> list[int]:
    """Take new cases in and move each to the stage its source gives; their ids, in order.

    The rows are those ``intake.report`` and the case service would write one by one. A
    reference already on record fails the batch on its unique key (the caller's savepoint
    decides what next). Cases whose steps the lifecycle refuses fail it, all of them named at
    once (``RecordsRefusedError``); nothing more is written once one is found, and the caller's
    savepoint takes back what was.

    The numbers and ids are drawn first; then the cases are built ``CHUNK`` at a time in a
    thread while the chunk before them is written (the database's work, and on SQLite the
    driver's, run meanwhile), each chunk a table at a time (PostgreSQL: a COPY each).
    """
    require_case_action(actors.system, CaseAction.REPORT)
    refs = references if references is not None else [None] * len(records)
    numbers = await allocate(
        session, [scope_of("C", r.subdistrict_code[:6], r.reported_at) for r in records]
    )
    # The ids are drawn before the rows are built, so each table is one plain write, with
    # neither RETURNING nor a look-up of the ids afterwards.
    ids = await reserve_case_ids(session, len(records))
    dialect = (await session.connection()).dialect
    builder = _Builder(settings, names, actors, now, versioned, dialect)
    chunks = [
        list(zip(range(at, at + CHUNK), records[at : at + CHUNK], strict=False))
        for at in range(0, len(records), CHUNK)
    ]

    def build(chunk: list[tuple[int, CaseRecord]]) -> _Built:
        return builder.build(chunk, numbers, ids, refs)

    refused: dict[int, DomainError] = {}
    pending = asyncio.ensure_future(asyncio.to_thread(build, chunks[0])) if chunks else None
    try:
        for k in range(len(chunks)):
            assert pending is not None
            built = await pending
            pending = (
                asyncio.ensure_future(asyncio.to_thread(build, chunks[k + 1]))
                if k + 1 < len(chunks)
                else None
            )
            refused.update(built.refused)
            if not refused:
                await built.write(session)
    finally:
        if pending is not None:  # a write failed: the chunk being built is of no use
            await asyncio.gather(pending, return_exceptions=True)
    if refused:
        raise RecordsRefusedError(refused)
    return ids


@dataclass
class _Built:
    """A chunk's rows, table by table, or the records of it the lifecycle refused."""

    refused: dict[int, DomainError]
    tables: list[tuple[BulkInsert, list[Row], list[Any]]]  # each with its rows encoded

    async def write(self, session: AsyncSession) -> None:
        for table, rows, encoded in self.tables:
            await table.execute(session, rows, encoded)


class _Builder:
    """Cases' rows from their records, in memory: what a thread does while the session
    writes (it touches no session, only rows)."""

    def __init__(
        self,
        settings: Settings,
        names: Names,
        actors: StepActors,
        now: dt.datetime,
        versioned: bool,
        dialect: Dialect,
    ) -> None:
        self.settings, self.names, self.actors = settings, names, actors
        self.dialect = dialect
        self.now, self.versioned = now, versioned
        self.policy = DeadlinePolicy(settings.case_deadlines)
        self.allowed: set[StepKind] = set()  # one chunk is built at a time

    def build(
        self,
        chunk: list[tuple[int, CaseRecord]],
        numbers: Sequence[str],
        ids: Sequence[int],
        refs: Sequence[Reference | None],
    ) -> _Built:
        cases: list[Row] = []
        places: list[Row] = []
        external: list[Row] = []
        dispatches: list[Row] = []
        events: list[Row] = []
        returns: list[Row] = []
        extensions: list[Row] = []
        refused: dict[int, DomainError] = {}
        for index, record in chunk:
            lng, lat = record.point if record.point else (None, None)
            placement = Placement(
                lng, lat, record.grid_code, record.subdistrict_code, [record.subdistrict_code]
            )
            row = case_row(
                number=numbers[index],
                description=record.description,
                category_code=record.category_code,
                category_name=self.names.categories[record.category_code],
                source=record.source,
                priority=record.priority,
                placement=placement,
                address=record.address,
                footprint=None,
                street_name=self.names.streets.get(record.subdistrict_code),
                reported_at=record.reported_at,
                contact=protect(self.settings, record.contact),
                policy=self.policy,
                now=self.now,
            )
            moved = Progress(case_state(row), self.actors)
            try:
                moved.run(record.update, versioned=self.versioned, allowed=self.allowed)
            except DomainError as error:
                refused[index] = error
                continue
            if refused:
                continue  # the batch fails: only the refused are still of interest
            case_id = row["id"] = ids[index]
            cases.append(row)
            places.append({"case_id": case_id, "subdistrict_code": record.subdistrict_code})
            ref = refs[index]
            if ref is not None:
                external.append(
                    {
                        "case_id": case_id,
                        "system": ref.system,
                        "external_id": ref.external_id,
                        "source_version": ref.version,
                    }
                )
            for dispatch in moved.dispatches.values():
                fields = dispatch.__dict__
                fields["case_id"] = case_id
                dispatches.append(fields)
            for event in moved.events:
                event["case_id"] = case_id
                events.append(event)
            returns += ({**row, "case_id": case_id} for row in moved.returns)
            extensions += ({**row.__dict__, "case_id": case_id} for row in moved.extensions)
        if refused:
            return _Built(refused, [])
        # No ORM flush checks these rows' lengths: SQLite would store any length, PostgreSQL
        # fail.
        refuse_overlong_rows(Case, cases)
        refuse_overlong_rows(CaseExternalRef, external)
        refuse_overlong_rows(CaseDispatch, dispatches)
        refuse_overlong_rows(CaseEvent, events)
        refuse_overlong_rows(CaseReturn, returns)
        refuse_overlong_rows(CaseExtension, extensions)
        # Encoded for the driver here too, so that this is not left for the session's turn.
        tables = [
            (CASES, cases),
            (PLACES, places),
            (REFS, external),
            (DISPATCHES, dispatches),
            (EVENTS, events),
            (RETURNS, returns),
            (EXTENSIONS, extensions),
        ]
        return _Built(
            {},
            [(table, rows, table.parameters(self.dialect, rows)) for table, rows in tables if rows],
        )
