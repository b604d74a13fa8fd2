"""Benchmark: the hotline-12345 adapter end to end against a bare bulk insert of its rows.

Run: .venv/bin/python -m bench.bench_adapters [--orders N] [--postgres URL] [--profile]

A messy export (GCJ-02 points, three time formats, dual dispatch, older versions, bad rows) of
N orders is synced into a fresh database loaded with Beijing: read, parse, validate, convert
coordinates, locate, route, and write cases with their places, references, dispatches and
timelines. Two baselines, in the same run on the same database, insert exactly the rows that
sync wrote and nothing else: SQLAlchemy Core's executemany of the rows as dicts, and the
driver's write of the rows already encoded (the floor: the database's own work): its
executemany on SQLite, its binary COPY on PostgreSQL (as the sync's bulk path writes there). All are
best of ``REPEATS``; a ratio is sync throughput over baseline throughput. Aim: ≥ 20,000
records/s on SQLite, ratio ≥ 0.4.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import json
import pstats
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.contract import AdapterContext
from adapters.hotline import HotlineAdapter, HotlineSettings
from adapters.models import AdapterCursor, AdapterRun, QuarantinedRecord
from adapters.runner import sync
from adapters.testdata.hotline import make_hotline_export
from bench.bench_demo import postgres_database, sqlite_database
from hub.bootstrap import setup_database
from hub.cases.models import Case, CaseDispatch, CaseEvent, CaseExternalRef, CaseJurisdiction
from hub.config import Settings
from hub.db import BulkInsert, create_engine, create_sessionmaker, utcnow
from hub.geo.index import GeoIndex
from hub.numbers import NumberSequence
from hub.pii import protect

REPEATS = 2
# Children first, so deleting respects the foreign keys; inserting goes the other way.
WRITTEN = [CaseEvent, CaseDispatch, CaseExternalRef, CaseJurisdiction, Case]
BOOKKEEPING = [QuarantinedRecord, AdapterRun, AdapterCursor, NumberSequence]


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


async def _clear(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session, session.begin():
        for model in [*WRITTEN, *BOOKKEEPING]:
            await session.execute(delete(model))


async def _sync_once(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, geo: GeoIndex, path: Path
) -> tuple[float, int, float]:
    """Seconds, records read, and this process's CPU seconds over all its threads (the
    parse ahead and, on SQLite, the driver's thread too)."""
    await _clear(sessionmaker)
    context = AdapterContext(settings=settings, geo=geo, now=utcnow)
    adapter = HotlineAdapter(HotlineSettings(source=str(path), batch_size=2_000), context)
    started, cpu = time.perf_counter(), time.process_time()
    run = await sync(adapter=adapter, sessionmaker=sessionmaker)
    return time.perf_counter() - started, run.read, time.process_time() - cpu


async def _rows(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[Any, list[dict[str, Any]]]:
    """Everything the sync wrote, as plain rows."""
    found: dict[Any, list[dict[str, Any]]] = {}
    async with sessionmaker() as session:
        for model in WRITTEN:
            result = await session.execute(select(_table(model)))
            found[model] = [dict(row._mapping) for row in result]
    return found


async def _bare_insert(
    sessionmaker: async_sessionmaker[AsyncSession], rows: dict[Any, list[dict[str, Any]]]
) -> float:
    await _clear(sessionmaker)
    started = time.perf_counter()
    async with sessionmaker() as session, session.begin():
        for model in reversed(WRITTEN):
            for start in range(0, len(rows[model]), 10_000):
                await session.execute(insert(_table(model)), rows[model][start : start + 10_000])
    return time.perf_counter() - started


async def _driver_insert(
    sessionmaker: async_sessionmaker[AsyncSession], rows: dict[Any, list[dict[str, Any]]]
) -> float:
    """The floor: the same rows, encoded beforehand, through the driver's executemany only."""
    await _clear(sessionmaker)
    async with sessionmaker() as session, session.begin():
        connection = await session.connection()
        ready = []
        for model in reversed(WRITTEN):
            # Ids as the sync gave them: the children refer to them (a fresh id from the table's
            # sequence would not be the one a child row names).
            writer = BulkInsert.of(model, list(rows[model][0]))
            plan = writer.plan(connection.dialect)
            ready.append((plan.sql, writer.parameters(connection.dialect, rows[model])))
        started = time.perf_counter()
        if connection.dialect.name == "postgresql":
            # The driver's binary COPY, as the sync's bulk path (``BulkInsert``) writes there.
            await connection.exec_driver_sql("SELECT 1")
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            for (_, parameters), model in zip(ready, reversed(WRITTEN), strict=True):
                columns = BulkInsert.of(model, list(rows[model][0])).plan(connection.dialect)
                await driver.copy_records_to_table(
                    _table(model).name, records=parameters, columns=columns.columns
                )
        else:
            for sql, parameters in ready:
                await connection.exec_driver_sql(sql, parameters)
        await session.commit()
        return time.perf_counter() - started


def _decoded(line: bytes) -> object:
    try:
        return json.loads(line)
    except ValueError:  # the export's broken lines, which the sync quarantines
        return None


def _required(
    path: Path, rows: dict[Any, list[dict[str, Any]]], settings: Settings, sqlite: bool
) -> dict[str, float]:
    """Seconds of the work no sync of this export can skip, each a C call per item, best of
    ``REPEATS``: decoding the export's lines, encrypting each stored caller's phone (PII at
    rest), and on SQLite writing each stored time stamp as the text the column holds (on
    PostgreSQL the driver's binary COPY encodes them, inside its baseline). A lower bound:
    parsing, validating, locating, routing and the lifecycle are not in it."""
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    contacts = sum(1 for row in rows[Case] if row.get("reporter_contact") is not None)
    stamps = [
        value
        for model in WRITTEN
        for row in rows[model]
        for value in row.values()
        if sqlite and isinstance(value, dt.datetime)
    ]

    def best(work: Callable[[], object]) -> float:
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            work()
            timings.append(time.perf_counter() - started)
        return min(timings)

    return {
        "decode": best(lambda: [_decoded(line) for line in lines]),
        "encrypt": best(lambda: [protect(settings, "13912345678") for _ in range(contacts)]),
        **(
            {"stamps": best(lambda: [s.isoformat(" ", "microseconds") for s in stamps])}
            if sqlite
            else {}
        ),
    }


@dataclass(frozen=True)
class Figures:
    records: int
    sync: float  # best seconds
    core: float  # bare SQLAlchemy Core executemany
    driver: float  # the driver's executemany of pre-encoded rows
    required: dict[str, float]  # seconds of the C calls no sync can skip (``_required``)
    cpu: float  # the best sync's CPU seconds, all threads of this process


async def measure(url: str, orders: int, profile: bool) -> Figures:
    """Best times of the sync and of its two baselines on a fresh database at ``url``."""
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    settings = Settings(database_url=url)
    try:
        await setup_database(engine, sessionmaker)
        geo = GeoIndex()
        await geo.load(sessionmaker)
        with tempfile.TemporaryDirectory() as folder:
            path = make_hotline_export(orders, seed=4242).write_jsonl(Path(folder) / "o.jsonl")
            timings = []
            for _ in range(REPEATS):
                profiler = cProfile.Profile() if profile else None
                if profiler:
                    profiler.enable()
                timings.append(await _sync_once(sessionmaker, settings, geo, path))
                if profiler:
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            rows = await _rows(sessionmaker)
            core = min([await _bare_insert(sessionmaker, rows) for _ in range(REPEATS)])
            driver = min([await _driver_insert(sessionmaker, rows) for _ in range(REPEATS)])
            required = _required(path, rows, settings, sqlite=url.startswith("sqlite"))
        seconds, records, cpu = min(timings)
        return Figures(records, seconds, core, driver, required, cpu)
    finally:
        await engine.dispose()


def rows_for(
    label: str, database: Callable[[], AbstractContextManager[str]], orders: int, profile: bool
) -> list[str]:
    with database() as url:
        figures = asyncio.run(measure(url, orders, profile))
    n = figures.records
    rate, core, driver = n / figures.sync, n / figures.core, n / figures.driver
    writes = "COPY" if label == "PostgreSQL" else "executemany"
    return [
        f"| **`hub sync hotline-12345`**, {n:,} records, {label} | "
        f"**{rate:,.0f} records/s** ({figures.sync:.2f} s) | "
        f"**{rate / core:.2f}** | **{rate / driver:.2f}** |",
        f"| baseline 1: SQLAlchemy Core executemany of the same rows, {label} | "
        f"{core:,.0f} records/s ({figures.core:.2f} s) | 1 | |",
        f"| baseline 2: the driver's {writes} of the same rows, pre-encoded, {label} | "
        f"{driver:,.0f} records/s ({figures.driver:.2f} s) | | 1 |",
        f"| the C calls no sync can skip ({label}): decoding the lines, encrypting the phones"
        f"{', the time stamps as text' if 'stamps' in figures.required else ''} | "
        f"{sum(figures.required.values()):.2f} s ("
        + ", ".join(f"{name} {seconds:.2f}" for name, seconds in figures.required.items())
        + f"); at 0.5 of baseline 2 the whole sync has {2 * figures.driver:.2f} s | | |",
        f"| the sync's CPU time ({label}), all the process's threads | {figures.cpu:.2f} s "
        f"({figures.cpu * 1e6 / n:,.0f} µs per record) | | |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL to create databases in")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top entries")
    options = parser.parse_args()
    lines = [
        "| figure | value | ratio to baseline 1 | ratio to baseline 2 |",
        "| --- | --- | --- | --- |",
    ]
    lines += rows_for("SQLite", sqlite_database, options.orders, options.profile)
    if options.postgres:
        lines += rows_for(
            "PostgreSQL", postgres_database(options.postgres), options.orders, options.profile
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
