"""Batch intake (``report_many``): many brand-new cases in a few statements.

``hub.cases.intake.report`` takes one case in with the ORM; this takes a batch of cases a
source has already validated and located. Both build a case's row with ``intake.case_row``,
draw numbers from ``hub.numbers``, and move the case to where its source says it stands
(``hub.cases.progress.plan``) through the one lifecycle (``hub.cases.lifecycle``): here on
plain rows in memory, then one INSERT per table for the whole batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.auth.policy import PermissionDeniedError
from hub.cases import lifecycle
from hub.cases.access import CaseAction, require_case_action
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
    CaseStatus,
    Decision,
    Priority,
)
from hub.cases.progress import CaseUpdate, Stage, Step, StepActors, StepKind, plan
from hub.categories.models import Category
from hub.config import Settings
from hub.db import BulkInsert, create_indexes, drop_indexes
from hub.errors import IllegalTransitionError
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


class _Fields:
    """A new row the lifecycle changes in place: its attributes are its columns (the row is its
    ``__dict__``), those of ``lifecycle.CaseState``, ``DispatchState`` or ``ExtensionState``."""

    def __init__(self, fields: Row) -> None:
        self.__dict__ = fields


def _case_row(fields: Row) -> lifecycle.CaseState:
    return cast(lifecycle.CaseState, _Fields(fields))


def _dispatch_row(fields: Row) -> lifecycle.DispatchState:
    """Made complete by ``lifecycle.assign``."""
    return cast(lifecycle.DispatchState, _Fields(fields))


def _extension_row(fields: Row) -> lifecycle.ExtensionState:
    """As ``lifecycle.extension_requested`` made it."""
    return cast(lifecycle.ExtensionState, _Fields(fields))


@cache
def _record(actor: Actor) -> dict[str, Any]:
    """``Actor.as_record`` once per actor: a batch writes thousands of events by a handful."""
    return actor.as_record()


_ACTION_OF_STEP = {
    StepKind.DISPATCH: CaseAction.DISPATCH,
    StepKind.FEEDBACK: CaseAction.FEEDBACK,
    StepKind.CLOSE: CaseAction.CLOSE,
    StepKind.REVIEW_EXTENSION: CaseAction.REVIEW_EXTENSION,
}


class _Progress:
    """One new case moved through the lifecycle in memory."""

    def __init__(self, case: lifecycle.CaseState, actors: StepActors) -> None:
        self.case = case
        self.actors = actors
        self.dispatches: dict[str, lifecycle.DispatchState] = {}
        self.returns: list[Row] = []
        self.extensions: list[lifecycle.ExtensionState] = []
        self.events: list[Row] = []
        self.timeline = lifecycle.Timeline(self.events.append, record=_record)
        lifecycle.reported(case, actors.system, self.timeline)

    def run(self, update: CaseUpdate, *, versioned: bool, allowed: set[StepKind]) -> None:
        steps = plan(
            status=CaseStatus.RECEIVED,
            dispatched=frozenset(),
            update=update,
            since=self.case.reported_at,
            versioned=versioned,
        )
        for step in steps:
            if step.kind not in allowed and step.kind in _ACTION_OF_STEP:
                require_case_action(self.actors.system, _ACTION_OF_STEP[step.kind])
                allowed.add(step.kind)
            if step.kind in _CENTRE_STEPS:
                self._centre_step(step, update)
            else:
                self._step(step.kind, step.at, step.departments, update)

    def _centre_step(self, step: Step, update: CaseUpdate) -> None:
        """退单 and 延期 on a new case: the unit's return or request, the centre's review."""
        case, timeline, at = self.case, self.timeline, step.at
        code = step.departments[0]
        own, unit = self._own(code), self.actors.department(code)
        if step.kind is StepKind.RETURN:
            assert update.returned is not None
            back = update.returned
            self.returns.append(
                lifecycle.returned(
                    case,
                    own,
                    reason=back.reason,
                    note=back.note,
                    actor=unit,
                    now=at,
                    timeline=timeline,
                )
            )
        elif step.kind is StepKind.REQUEST_EXTENSION:
            assert update.extension is not None
            asked = update.extension
            pending = any(row.decision is Decision.PENDING for row in self.extensions)
            fields = lifecycle.extension_requested(
                case,
                own,
                until=asked.until,
                reason=asked.reason,
                pending=pending,
                actor=unit,
                now=at,
                timeline=timeline,
            )
            self.extensions.append(_extension_row(fields))
        else:
            pending_rows = [r for r in self.extensions if r.decision is Decision.PENDING]
            if not pending_rows:
                raise IllegalTransitionError(f"case {case.number} has no extension to review")
            [pending_row] = pending_rows
            lifecycle.extension_reviewed(
                case,
                pending_row,
                approve=step.approve,
                note=None,
                actor=self.actors.system,
                now=at,
                timeline=timeline,
            )

    def _own(self, code: str) -> lifecycle.DispatchState:
        """The unit's dispatch, refused as ``service.own_dispatch`` refuses a unit without one."""
        own = self.dispatches.get(code)
        if own is None:
            raise PermissionDeniedError(
                f"case {self.case.number} was not dispatched to your department"
            )
        return own

    def _step(
        self, kind: StepKind, at: dt.datetime, departments: tuple[str, ...], update: CaseUpdate
    ) -> None:
        case, timeline, system = self.case, self.timeline, self.actors.system
        if kind is StepKind.DISPATCH:
            fresh = [code for code in dict.fromkeys(departments) if code not in self.dispatches]
            leads = lifecycle.leader(case, self.dispatches.values(), fresh, None)
            sent = []
            for code in fresh:
                row = self.dispatches[code] = _dispatch_row({"department_code": code})
                lifecycle.assign(row, leads=code == leads, note=update.dispatch_note, now=at)
                sent.append(row)
            note = update.dispatch_note
            lifecycle.dispatched(case, sent, note=note, actor=system, now=at, timeline=timeline)
        elif kind is StepKind.SIGN:
            code = departments[0]
            actor = self.actors.department(code)
            own = self._own(code)
            lifecycle.signed(case, own, actor=actor, now=at, timeline=timeline)
        elif kind is StepKind.RESPOND:
            for code in departments:
                actor = self.actors.department(code)
                own = self._own(code)
                lifecycle.responded(case, own, note=None, actor=actor, now=at, timeline=timeline)
        elif kind is StepKind.RESOLVE:
            code = departments[0]
            lifecycle.resolved(
                case,
                self._own(code),
                note=update.resolve_note,
                actor=self.actors.department(code),
                now=at,
                timeline=timeline,
            )
        elif kind is StepKind.FEEDBACK:
            lifecycle.feedback(
                case,
                self.dispatches.values(),
                resolved=bool(update.visit_resolved),
                satisfied=update.visit_satisfied,
                comment=None,
                actor=system,
                now=at,
                timeline=timeline,
            )
        else:
            lifecycle.closed(case, note=None, actor=system, now=at, timeline=timeline)


_CENTRE_STEPS = {StepKind.RETURN, StepKind.REQUEST_EXTENSION, StepKind.REVIEW_EXTENSION}

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
    decides what next); a case's step the state machine refuses fails it before any write.
    """
    require_case_action(actors.system, CaseAction.REPORT)
    refs = references if references is not None else [None] * len(records)
    numbers = await allocate(
        session, [scope_of("C", r.subdistrict_code[:6], r.reported_at) for r in records]
    )
    policy = DeadlinePolicy(settings.case_deadlines)
    allowed: set[StepKind] = set()
    cases: list[Row] = []
    progress: list[_Progress] = []
    for record, number in zip(records, numbers, strict=True):
        lng, lat = record.point if record.point else (None, None)
        placement = Placement(
            lng, lat, record.grid_code, record.subdistrict_code, [record.subdistrict_code]
        )
        row = case_row(
            number=number,
            description=record.description,
            category_code=record.category_code,
            category_name=names.categories[record.category_code],
            source=record.source,
            priority=record.priority,
            placement=placement,
            address=record.address,
            footprint=None,
            street_name=names.streets.get(record.subdistrict_code),
            reported_at=record.reported_at,
            contact=protect(settings, record.contact),
            policy=policy,
            now=now,
        )
        moved = _Progress(_case_row(row), actors)
        moved.run(record.update, versioned=versioned, allowed=allowed)
        cases.append(row)
        progress.append(moved)
    # No ORM flush checks these rows' lengths: SQLite would store any length, PostgreSQL fail.
    refuse_overlong_rows(Case, cases)
    # The ids are drawn before the rows are written, so each table is one plain write
    # (PostgreSQL: a COPY), with neither RETURNING nor a look-up of the ids afterwards.
    ids = await reserve_case_ids(session, len(cases))
    for case_id, row in zip(ids, cases, strict=True):
        row["id"] = case_id
    await CASES.execute(session, cases)
    places: list[Row] = []
    external: list[Row] = []
    dispatches: list[Row] = []
    events: list[Row] = []
    returns: list[Row] = []
    extensions: list[Row] = []
    for case_id, record, ref, moved in zip(ids, records, refs, progress, strict=True):
        places.append({"case_id": case_id, "subdistrict_code": record.subdistrict_code})
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
    refuse_overlong_rows(CaseExternalRef, external)
    refuse_overlong_rows(CaseDispatch, dispatches)
    refuse_overlong_rows(CaseEvent, events)
    refuse_overlong_rows(CaseReturn, returns)
    refuse_overlong_rows(CaseExtension, extensions)
    for table, rows in (
        (PLACES, places),
        (REFS, external),
        (DISPATCHES, dispatches),
        (EVENTS, events),
        (RETURNS, returns),
        (EXTENSIONS, extensions),
    ):
        await table.execute(session, rows)
    return ids
