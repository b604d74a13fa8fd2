"""The bulk path: many brand-new cases in a few statements, the same rows as one by one.

``hub.cases.intake.report`` and the case service write a new case, its place, its reference,
its dispatches and its timeline with a dozen statements and ORM objects per case. For a batch
of new cases this module writes the same rows with executemany: numbers are handed out with
one upsert per batch, each case's lifecycle is replayed in memory with the state machine's own
``next_status`` (``Replay`` mirrors ``hub.cases.service`` step for step), and every table gets
one INSERT. ``tests/adapters/test_bulk.py`` holds the two paths to identical results.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.contract import Parsed
from adapters.lifecycle import AdapterActors, CaseUpdate, Step, StepKind, plan
from hub.auth.actors import Actor
from hub.cases.deadlines import DeadlinePolicy, sign_by
from hub.cases.models import (
    Case,
    CaseDispatch,
    CaseEvent,
    CaseExternalRef,
    CaseJurisdiction,
    CaseStatus,
    DispatchRole,
    DispatchStatus,
    WarningLevel,
)
from hub.cases.rules import CaseTransition, IllegalTransitionError, next_status
from hub.db import Base, BulkInsert
from hub.numbers import BEIJING
from hub.pii import protect

if TYPE_CHECKING:
    from adapters.cases import CaseRecord, CaseWriter

Row = dict[str, Any]


async def insert_cases(
    session: AsyncSession,
    items: Sequence[Parsed[CaseRecord]],
    *,
    system: str,
    actors: AdapterActors,
    writer: CaseWriter,
) -> None:
    """Write new cases with their places, references, dispatches and timelines."""
    now = writer.context.now()
    numbers = await allocate_numbers(session, [_scope(item.item) for item in items])
    policy = DeadlinePolicy(writer.context.settings.case_deadlines)
    cases: list[Row] = []
    replays: list[Replay] = []
    for item, number in zip(items, numbers, strict=True):
        row = case_row(item.item, number, policy, writer, now)
        replay = Replay(row, actors)
        replay.run(item.item.update, versioned=writer.versioned)
        cases.append(row)
        replays.append(replay)
    # Plain executemany, then the ids by number: RETURNING would cost a statement per row here.
    await CASES.execute(session, cases)
    numbered = await session.execute(
        select(Case.number, Case.id).where(Case.number.in_([row["number"] for row in cases]))
    )
    id_of = dict(numbered.all())
    ids = [id_of[row["number"]] for row in cases]
    places: list[Row] = []
    refs: list[Row] = []
    dispatches: list[Row] = []
    events: list[Row] = []
    for case_id, item, replay in zip(ids, items, replays, strict=True):
        places.append({"case_id": case_id, "subdistrict_code": item.item.subdistrict_code})
        refs.append(
            {
                "case_id": case_id,
                "system": system,
                "external_id": item.provenance.source_id,
                "source_version": item.provenance.version,
            }
        )
        for row in [*replay.dispatches.values(), *replay.events]:
            row["case_id"] = case_id  # the replay's own rows, made for this insert
        dispatches.extend(replay.dispatches.values())
        events.extend(replay.events)
    for table, rows in (
        (PLACES, places),
        (REFS, refs),
        (DISPATCHES, dispatches),
        (EVENTS, events),
    ):
        await table.execute(session, rows)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


CASES = BulkInsert.of(Case)
PLACES = BulkInsert.of(CaseJurisdiction)
REFS = BulkInsert.of(CaseExternalRef)
DISPATCHES = BulkInsert.of(CaseDispatch)
EVENTS = BulkInsert.of(CaseEvent)


def _scope(record: CaseRecord) -> str:
    day = record.reported_at.astimezone(BEIJING).strftime("%Y%m%d")
    return f"C-{record.subdistrict_code[:6]}-{day}"


# The counts travel as one JSON parameter: a VALUES list of a batch's scopes would be compiled
# afresh for every batch, which costs more than the statement itself.
_ALLOCATE = {
    "sqlite": text(
        "INSERT INTO number_sequence (scope, value) "
        "SELECT key, value FROM json_each(:wanted) WHERE true "
        "ON CONFLICT (scope) DO UPDATE SET value = number_sequence.value + excluded.value "
        "RETURNING scope, value"
    ),
    "postgresql": text(
        "INSERT INTO number_sequence (scope, value) "
        "SELECT key, value::bigint FROM jsonb_each_text(CAST(:wanted AS jsonb)) "
        "ON CONFLICT (scope) DO UPDATE SET value = number_sequence.value + excluded.value "
        "RETURNING scope, value"
    ),
}


async def allocate_numbers(session: AsyncSession, scopes: list[str]) -> list[str]:
    """``hub.numbers.next_number`` for many cases: one atomic upsert per batch."""
    wanted: dict[str, int] = defaultdict(int)
    for scope in scopes:
        wanted[scope] += 1
    if not wanted:
        return []
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    result = await session.execute(_ALLOCATE[dialect], {"wanted": json.dumps(wanted)})
    last: dict[str, int] = {scope: int(value) for scope, value in result.all()}
    next_value = {scope: last[scope] - count + 1 for scope, count in wanted.items()}
    numbers = []
    for scope in scopes:
        numbers.append(f"{scope}-{next_value[scope]:06d}")
        next_value[scope] += 1
    return numbers


def case_row(
    record: CaseRecord, number: str, policy: DeadlinePolicy, writer: CaseWriter, now: dt.datetime
) -> Row:
    """The row ``intake._new_case`` makes (same title, deadlines and protection)."""
    reported_at = record.reported_at.astimezone(dt.UTC)
    clock = policy.clock(
        reported_at=reported_at, category_code=record.category_code, priority=record.priority
    )
    where = record.address or writer.names.streets.get(
        record.subdistrict_code, record.subdistrict_code
    )
    lng, lat = record.point if record.point else (None, None)
    return {
        "number": number,
        "title": f"{writer.names.categories[record.category_code]}：{where}"[:200],
        "description": record.description.strip(),
        "category_code": record.category_code,
        "source": record.source,
        "status": CaseStatus.RECEIVED,
        "priority": record.priority,
        "lat": lat,
        "lng": lng,
        "address": record.address,
        "footprint": None,
        "grid_code": record.grid_code,
        "community_code": record.grid_code[:12] if record.grid_code else None,
        "subdistrict_code": record.subdistrict_code,
        "district_code": record.subdistrict_code[:6],
        "crosses_boundary": False,
        "reported_at": reported_at,
        "respond_by": clock.respond_by,
        "resolve_by": clock.resolve_by,
        "warn_at": clock.warn_at,
        "responded_at": None,
        "resolved_at": None,
        "closed_at": None,
        "respond_overdue": False,
        "resolve_overdue": False,
        "reporter_contact": protect(writer.context.settings, record.contact),
        "feedback_resolved": None,
        "feedback_satisfied": None,
        "feedback_comment": None,
        "feedback_at": None,
        "reopen_count": 0,
        "warning_level": WarningLevel.GREEN,
        "merged_into_id": None,
        "decline_reason": None,
        "redispatch_count": 0,
        "created_at": now,
        "updated_at": now,
    }


@cache
def _record(actor: Actor) -> dict[str, Any]:
    """``Actor.as_record`` once per actor: a batch replays thousands of events by a handful."""
    return actor.as_record()


class Replay:
    """A new case's lifecycle in memory: ``hub.cases.service`` step for step, without SQL."""

    def __init__(self, case: Row, actors: AdapterActors) -> None:
        self.case = case
        self.actors = actors
        self.dispatches: dict[str, Row] = {}
        self.events: list[Row] = []
        self._event(
            "REPORTED",
            actors.system,
            case["reported_at"],
            data={"source": case["source"].value, "subdistrict": case["subdistrict_code"]},
        )

    def run(self, update: CaseUpdate, *, versioned: bool) -> None:
        steps = plan(
            status=CaseStatus.RECEIVED,
            dispatched=frozenset(),
            update=update,
            since=self.case["reported_at"],
            versioned=versioned,
        )
        for step in steps:
            self._step(step, update)

    def _step(self, step: Step, update: CaseUpdate) -> None:
        if step.kind is StepKind.DISPATCH:
            self.dispatch(step, update.dispatch_note)
        elif step.kind is StepKind.RESPOND:
            for code in step.departments:
                self.respond(code, step.at)
        elif step.kind is StepKind.RESOLVE:
            self.resolve(step.departments[0], step.at, update.resolve_note)
        elif step.kind is StepKind.FEEDBACK:
            self.feedback(bool(update.visit_resolved), update.visit_satisfied, step.at)
        else:
            self._move(CaseTransition.CLOSE, step.at)
            self.case["closed_at"] = step.at
            self._event("CLOSED", self.actors.system, step.at)

    def _move(self, transition: CaseTransition, at: dt.datetime) -> None:
        self.case["status"] = next_status(self.case["status"], transition)
        self.case["updated_at"] = at

    def _event(
        self,
        type_: str,
        actor: Actor,
        at: dt.datetime,
        note: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.events.append(
            {"type": type_, "at": at, "actor": _record(actor), "note": note, "data": data}
        )

    def dispatch(self, step: Step, note: str | None) -> None:
        self._move(CaseTransition.DISPATCH, step.at)
        fresh = list(step.departments)
        lead = None if self.dispatches else fresh[0]
        for code in fresh:
            self.dispatches[code] = {
                "department_code": code,
                "status": DispatchStatus.DISPATCHED,
                "role": DispatchRole.LEAD if code == lead else DispatchRole.ASSIST,
                "note": note,
                "dispatched_at": step.at,
                "sign_by": sign_by(step.at),
                "signed_at": None,
                "ruled": False,
                "sign_overdue": False,
                "responded_at": None,
                "resolved_at": None,
            }
        data = {"departments": fresh, "lead": lead}
        self._event("DISPATCHED", self.actors.system, step.at, note, data)

    def respond(self, code: str, at: dt.datetime) -> None:
        self._move(CaseTransition.RESPOND, at)
        self.case["responded_at"] = self.case["responded_at"] or at
        own = self.dispatches[code]
        if own["responded_at"] is None:
            own["status"], own["responded_at"] = DispatchStatus.RESPONDED, at
            own["signed_at"] = own["signed_at"] or at
        self._event("RESPONDED", self.actors.department(code), at)

    def resolve(self, code: str, at: dt.datetime, note: str | None) -> None:
        self._move(CaseTransition.RESOLVE, at)
        self.case["responded_at"] = self.case["responded_at"] or at
        self.case["resolved_at"] = at
        own = self.dispatches[code]
        own["signed_at"], own["responded_at"] = own["signed_at"] or at, own["responded_at"] or at
        own["status"], own["resolved_at"] = DispatchStatus.RESOLVED, at
        self._event("RESOLVED", self.actors.department(code), at, note)

    def feedback(self, resolved: bool, satisfied: bool | None, at: dt.datetime) -> None:
        if self.case["status"] is not CaseStatus.RESOLVED:
            raise IllegalTransitionError("a return call needs a resolved case")
        self.case["feedback_resolved"], self.case["feedback_satisfied"] = resolved, satisfied
        self.case["feedback_comment"], self.case["feedback_at"] = None, at
        data = {"resolved": resolved, "satisfied": satisfied}
        self._event("FEEDBACK_RECORDED", self.actors.system, at, None, data)
        if not resolved:
            self._move(CaseTransition.REOPEN, at)
            self.case["reopen_count"] += 1
            self.case["resolved_at"] = None
            for own in self.dispatches.values():
                own["status"], own["resolved_at"] = DispatchStatus.DISPATCHED, None
            note = "the caller says it is not solved"
            self._event("REOPENED", self.actors.system, at, note)
