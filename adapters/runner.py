"""Running an adapter: batches in transactions, cursors, counts and the quarantine.

Every batch is one transaction holding its records (each in a savepoint), the quarantine of
the ones refused, the cursor advance and the run's counts: a run killed at any point leaves
whole batches behind with the cursor just after them, so running it again reads on from there
and ends with exactly the records it should.

While a batch is written, the next one is read and parsed in a thread (``_parsed_ahead``):
parsing writes nothing, so the database works on one batch while Python readies the next, and
the transactions, cursors and counts are those of one batch after the other.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import hashlib
import json
import logging
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.contract import (
    Adapter,
    Batch,
    Cursor,
    Outcome,
    Parsed,
    Rejection,
    SourceRecord,
    write_one,
)
from adapters.models import AdapterCursor, AdapterRun, QuarantinedRecord, RunStatus
from hub.db import transaction, utcnow
from hub.observability import metrics

log = logging.getLogger("adapters.runner")

AnyAdapter = Adapter[Any, Any, Any]
Result = Outcome | Rejection
OnBatch = Callable[[AdapterRun, Batch[Any]], None]
MAX_NOTES = 200
QUARANTINE_SOURCE = "quarantine"


@dataclass
class Tally:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, results: Sequence[Result]) -> None:
        self.read += len(results)
        for result in results:
            if isinstance(result, Rejection):
                self.rejected += 1
            else:
                name = result.value.lower()
                setattr(self, name, getattr(self, name) + 1)

    def increments(self) -> dict[str, Any]:
        return {
            name: getattr(AdapterRun, name) + getattr(self, name)
            for name in ("read", "created", "updated", "unchanged", "rejected")
        }


async def sync(
    *,
    adapter: AnyAdapter,
    sessionmaker: async_sessionmaker[AsyncSession],
    restart: bool = False,
    on_batch: OnBatch | None = None,
) -> AdapterRun:
    """Read the adapter's source since its cursor (or from the start) into the hub."""
    source = adapter.source_key()
    run = await start_run(sessionmaker, adapter.name, source)
    try:
        await adapter.check()
        async with sessionmaker() as session:
            await adapter.prepare(session)
            cursor = adapter.cursor_model() if restart else await load_cursor(session, adapter)
        async with aclosing(_parsed_ahead(adapter, cursor)) as parsing:
            async for batch, parsed in parsing:
                await apply_batch(
                    sessionmaker, adapter, run, batch.records, cursor=batch.cursor, parsed=parsed
                )
                if on_batch is not None:
                    on_batch(run, batch)
    except Exception as error:
        await finish_run(
            sessionmaker, adapter, run, RunStatus.FAILED, error=str(error) or repr(error)
        )
        raise
    return await finish_run(sessionmaker, adapter, run, RunStatus.SUCCEEDED)


Parsing = tuple[list[Parsed[Any] | Rejection], Counter[str]]


def _parse_apart(adapter: AnyAdapter, records: list[SourceRecord]) -> Parsing:
    """``adapter.parse`` on a copy of the adapter that notes to a counter of its own, so that a
    batch's notes join the run's when the batch is written, not while another one is."""
    notes: Counter[str] = Counter()
    apart = copy.copy(adapter)
    apart.context = dataclasses.replace(adapter.context, notes=notes)
    return apart.parse(records), notes


class _Parsed:
    """A batch's parse, run in a thread from the moment the batch is read."""

    def __init__(self, adapter: AnyAdapter, batch: Batch[Any]) -> None:
        self.batch = batch
        self.task = asyncio.ensure_future(asyncio.to_thread(_parse_apart, adapter, batch.records))

    async def result(self, adapter: AnyAdapter) -> list[Parsed[Any] | Rejection]:
        parsed, notes = await self.task
        adapter.context.notes.update(notes)
        return parsed


async def _parsed_ahead(
    adapter: AnyAdapter, cursor: Cursor
) -> AsyncGenerator[tuple[Batch[Any], list[Parsed[Any] | Rejection]], None]:
    """The adapter's batches since ``cursor``, each with its parse; the next batch is read and
    parsed while the caller writes this one."""
    pending: _Parsed | None = None
    try:
        async for batch in adapter.read(cursor):
            previous, pending = pending, _Parsed(adapter, batch)
            if previous is not None:
                yield previous.batch, await previous.result(adapter)
        if pending is not None:
            done, pending = pending, None
            yield done.batch, await done.result(adapter)
    finally:
        if pending is not None:
            # The run stopped before this batch (an error, a kill): its parse is dropped.
            pending.task.cancel()
            await asyncio.gather(pending.task, return_exceptions=True)


async def start_run(
    sessionmaker: async_sessionmaker[AsyncSession], adapter: str, source: str
) -> AdapterRun:
    """A new run; an earlier one of the same source still RUNNING died without finishing."""
    now = utcnow()
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(AdapterRun)
            .where(
                AdapterRun.adapter == adapter,
                AdapterRun.source == source,
                AdapterRun.status == RunStatus.RUNNING,
            )
            .values(
                status=RunStatus.ABANDONED,
                finished_at=now,
                error="the run's process ended before the run finished",
            )
        )
        run = AdapterRun(
            adapter=adapter, source=source, status=RunStatus.RUNNING, started_at=now, notes=[]
        )
        session.add(run)
    return run


async def finish_run(
    sessionmaker: async_sessionmaker[AsyncSession],
    adapter: AnyAdapter,
    run: AdapterRun,
    status: RunStatus,
    *,
    error: str | None = None,
) -> AdapterRun:
    async with transaction(sessionmaker) as session:
        row = await session.get(AdapterRun, run.id)
        assert row is not None
        row.status, row.finished_at, row.error = status, utcnow(), error
        row.notes = render_notes(adapter)
    metrics.ADAPTER_RUNS.labels(row.adapter, status.value).inc()
    for outcome in ("created", "updated", "unchanged", "rejected"):
        metrics.ADAPTER_RECORDS.labels(row.adapter, outcome).inc(getattr(row, outcome) or 0)
    return row


def render_notes(adapter: AnyAdapter) -> list[str]:
    notes = adapter.context.notes.most_common(MAX_NOTES)
    lines = [text if count == 1 else f"{text} ({count}×)" for text, count in notes]
    if len(adapter.context.notes) > MAX_NOTES:
        lines.append(f"… and {len(adapter.context.notes) - MAX_NOTES} more kinds of note")
    return lines


async def load_cursor(session: AsyncSession, adapter: AnyAdapter) -> Cursor:
    stored = await session.scalar(
        select(AdapterCursor.cursor).where(
            AdapterCursor.adapter == adapter.name, AdapterCursor.source == adapter.source_key()
        )
    )
    model = adapter.cursor_model
    return model.model_validate(stored) if stored is not None else model()


async def save_cursor(session: AsyncSession, adapter: AnyAdapter, cursor: Cursor) -> None:
    source, value, now = adapter.source_key(), cursor.model_dump(mode="json"), utcnow()
    row = await session.scalar(
        select(AdapterCursor)
        .where(AdapterCursor.adapter == adapter.name, AdapterCursor.source == source)
        .with_for_update()
    )
    if row is None:
        session.add(
            AdapterCursor(adapter=adapter.name, source=source, cursor=value, updated_at=now)
        )
    else:
        row.cursor, row.updated_at = value, now


async def apply_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    adapter: AnyAdapter,
    run: AdapterRun,
    records: list[SourceRecord],
    *,
    cursor: Cursor | None,
    retried: list[int] | None = None,
    parsed: list[Parsed[Any] | Rejection] | None = None,
) -> list[Result]:
    """One transaction: the records, their quarantine, the cursor advance and the counts.

    ``retried`` names the quarantine entries the records came from (a retry): each is closed
    in the same transaction, as RETRIED when its record went in, SUPERSEDED when refused again.
    ``parsed`` is ``adapter.parse(records)`` when the caller has it already.
    """
    if parsed is None:
        parsed = adapter.parse(records)
    async with transaction(sessionmaker) as session:
        results = await _write(session, adapter, parsed)
        if retried is not None:
            await _close_entries(session, retried, results)
        await quarantine(
            session, adapter.name, run.id, [r for r in results if isinstance(r, Rejection)]
        )
        if cursor is not None:
            await save_cursor(session, adapter, cursor)
        tally = Tally()
        tally.add(results)
        await session.execute(
            update(AdapterRun)
            .where(AdapterRun.id == run.id)
            .values(**tally.increments(), notes=render_notes(adapter))
        )
    for name in ("read", "created", "updated", "unchanged", "rejected"):
        setattr(run, name, getattr(run, name) + getattr(tally, name))
    return results


async def _write(
    session: AsyncSession, adapter: AnyAdapter, parsed: list[Parsed[Any] | Rejection]
) -> list[Result]:
    """The batch's parsed records through ``write_many``; record by record if that fails."""
    items = [p for p in parsed if isinstance(p, Parsed)]
    try:
        async with session.begin_nested():
            written = await adapter.write_many(session, items) if items else []
    except SQLAlchemyError as error:
        log.warning("%s: batch write failed, going record by record: %s", adapter.name, error)
        written = [await write_one(adapter.write, session, item) for item in items]
    outcomes = iter(written)
    return [p if isinstance(p, Rejection) else next(outcomes) for p in parsed]


def record_key(record: SourceRecord) -> str:
    if record.source_id is not None:
        return record.source_id[:200]
    canonical = json.dumps(record.raw, sort_keys=True, ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


async def quarantine(
    session: AsyncSession, adapter: str, run_id: int, rejections: list[Rejection]
) -> None:
    """Keep refused records with their reasons; a record's older open entry is superseded."""
    if not rejections:
        return
    now = utcnow()
    keys = [record_key(r.record) for r in rejections]
    await session.execute(
        update(QuarantinedRecord)
        .where(
            QuarantinedRecord.adapter == adapter,
            QuarantinedRecord.record_key.in_(keys),
            QuarantinedRecord.resolved_at.is_(None),
        )
        .values(resolved_at=now, resolution="SUPERSEDED")
    )
    await session.execute(
        insert(QuarantinedRecord),
        [
            {
                "run_id": run_id,
                "adapter": adapter,
                "source_id": r.record.source_id,
                "record_key": key,
                "reason": r.reason,
                "raw": r.record.raw,
                "quarantined_at": now,
                "resolved_at": None,
                "resolution": None,
            }
            for r, key in zip(rejections, keys, strict=True)
        ],
    )


async def retry_quarantine(
    *,
    adapter: AnyAdapter,
    sessionmaker: async_sessionmaker[AsyncSession],
    on_batch: OnBatch | None = None,
) -> AdapterRun:
    """Put the adapter's open quarantined records through it again (once the cause is fixed).

    A record that goes in now closes its entry (RETRIED); one refused again gets a fresh entry
    in this run, with today's reason, that replaces the old one.
    """
    run = await start_run(sessionmaker, adapter.name, QUARANTINE_SOURCE)
    try:
        async with sessionmaker() as session:
            await adapter.prepare(session)
            rows = await session.execute(
                select(QuarantinedRecord.id, QuarantinedRecord.source_id, QuarantinedRecord.raw)
                .where(
                    QuarantinedRecord.adapter == adapter.name,
                    QuarantinedRecord.resolved_at.is_(None),
                )
                .order_by(QuarantinedRecord.id)
            )
            entries = [(entry_id, source_id, raw) for entry_id, source_id, raw in rows]
        size = adapter.settings.batch_size
        for start in range(0, len(entries), size):
            chunk = entries[start : start + size]
            await _retry_chunk(sessionmaker, adapter, run, chunk, on_batch)
    except Exception as error:
        await finish_run(
            sessionmaker, adapter, run, RunStatus.FAILED, error=str(error) or repr(error)
        )
        raise
    return await finish_run(sessionmaker, adapter, run, RunStatus.SUCCEEDED)


async def _retry_chunk(
    sessionmaker: async_sessionmaker[AsyncSession],
    adapter: AnyAdapter,
    run: AdapterRun,
    chunk: list[tuple[int, str | None, dict[str, Any]]],
    on_batch: OnBatch | None,
) -> None:
    records = [SourceRecord(raw=raw, source_id=source_id) for _, source_id, raw in chunk]
    retried = [entry_id for entry_id, _, _ in chunk]
    await apply_batch(sessionmaker, adapter, run, records, cursor=None, retried=retried)
    if on_batch is not None:
        on_batch(run, Batch(records, adapter.cursor_model()))


async def _close_entries(
    session: AsyncSession, entry_ids: list[int], results: list[Result]
) -> None:
    now = utcnow()
    for resolution, wanted in (("RETRIED", False), ("SUPERSEDED", True)):
        ids = [
            i for i, r in zip(entry_ids, results, strict=True) if isinstance(r, Rejection) == wanted
        ]
        if ids:
            await session.execute(
                update(QuarantinedRecord)
                .where(QuarantinedRecord.id.in_(ids))
                .values(resolved_at=now, resolution=resolution)
            )
