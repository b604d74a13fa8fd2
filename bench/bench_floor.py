"""Benchmark: what PostgreSQL's floor for a hotline sync is made of, table by table.

Run: .venv/bin/python -m bench.bench_floor --postgres URL [--orders N] [--repeats R]

The rows a ``hub sync hotline-12345`` writes (synced once into a fresh database) are COPied
again through the driver, already encoded, the way ``bench_adapters`` measures its floor — but
one table at a time, and in variants, each in a transaction rolled back (the tables truncated
and a checkpoint taken before each, so every variant starts from the same state):

- as the schema makes the tables (every index, every foreign key);
- without each secondary index in turn (``DROP INDEX`` inside the transaction);
- without the foreign keys' checks (``session_replication_role = replica``: the RI triggers,
  one per row and key, do not fire);
- with the trigram (GIN) indexes' pending list made large enough to take the batch
  (``gin_pending_list_limit``), or turned off (``fastupdate = off``);
- into a copy of each table with no index and no constraint at all (``LIKE``).

A variant's time is the best of ``--repeats``. Measurement only: nothing here is how the hub
writes (it never turns checks off).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, inspect

from adapters.testdata.hotline import make_hotline_export
from bench.bench_adapters import WRITTEN, _rows, _sync_once, _table
from bench.bench_demo import postgres_database
from hub.bootstrap import setup_database
from hub.config import Settings
from hub.db import BulkInsert, create_engine, create_sessionmaker
from hub.geo.index import GeoIndex

PARENTS_FIRST = list(reversed(WRITTEN))
Prepare = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class Encoded:
    table: str
    columns: list[str]
    records: list[Any]


async def _nothing(_driver: Any) -> None:
    return None


async def _copy_all(
    driver: Any, ready: list[Encoded], prepare: Prepare, only: str | None, into: str = ""
) -> dict[str, float]:
    """One variant once: seconds per table, in a transaction rolled back. With ``only``, the
    tables before it are written untimed (its foreign keys need them) and none after it."""
    await driver.execute(
        "TRUNCATE " + ", ".join(f'"{e.table}"' for e in ready) + " RESTART IDENTITY CASCADE"
    )
    await driver.execute("CHECKPOINT")
    seconds: dict[str, float] = {}
    transaction = driver.transaction()
    await transaction.start()
    try:
        await prepare(driver)
        for encoded in ready:
            name = into + encoded.table
            started = time.perf_counter()
            await driver.copy_records_to_table(
                name, records=encoded.records, columns=encoded.columns
            )
            seconds[encoded.table] = time.perf_counter() - started
            if encoded.table == only:
                break
    finally:
        await transaction.rollback()
    return seconds


async def _best(
    driver: Any, ready: list[Encoded], prepare: Prepare, repeats: int, only: str | None = None
) -> dict[str, float]:
    runs = [await _copy_all(driver, ready, prepare, only) for _ in range(repeats)]
    return {table: min(run[table] for run in runs) for table in runs[0]}


def _drop(*names: str) -> Prepare:
    async def prepare(driver: Any) -> None:
        for name in names:
            await driver.execute(f'DROP INDEX "{name}"')

    return prepare


def _run(*statements: str) -> Prepare:
    async def prepare(driver: Any) -> None:
        for statement in statements:
            await driver.execute(statement)

    return prepare


async def measure(url: str, orders: int, repeats: int) -> list[str]:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    try:
        await setup_database(engine, sessionmaker)
        geo = GeoIndex()
        await geo.load(sessionmaker)
        with tempfile.TemporaryDirectory() as folder:
            path = make_hotline_export(orders, seed=4242).write_jsonl(Path(folder) / "o.jsonl")
            _, records, _ = await _sync_once(sessionmaker, Settings(database_url=url), geo, path)
        rows = await _rows(sessionmaker)
        async with engine.connect() as connection:
            ready = []
            for model in PARENTS_FIRST:
                writer = BulkInsert.of(model, list(rows[model][0]))
                plan = writer.plan(connection.dialect)
                ready.append(
                    Encoded(
                        _table(model).name,
                        plan.columns,
                        writer.parameters(connection.dialect, rows[model]),
                    )
                )
            tables: list[Table] = [_table(model) for model in PARENTS_FIRST]
            indexes = await connection.run_sync(
                lambda sync: {
                    table.name: [
                        (str(index["name"]), bool(index["unique"]))
                        for index in inspect(sync).get_indexes(table.name)
                    ]
                    for table in tables
                }
            )
            trigram = [
                name for table in indexes.values() for name, _ in table if name.endswith("_trgm")
            ]
            await connection.commit()
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            return await _report(driver, ready, indexes, trigram, records, repeats)
    finally:
        await engine.dispose()


async def _report(
    driver: Any,
    ready: list[Encoded],
    indexes: dict[str, list[tuple[str, bool]]],
    trigram: list[str],
    records: int,
    repeats: int,
) -> list[str]:
    rows_of = {e.table: len(e.records) for e in ready}
    full = await _best(driver, ready, _nothing, repeats)
    total = sum(full.values())

    def line(label: str, seconds: float, base: float | None = None) -> str:
        saved = f"{base - seconds:+.2f} s" if base is not None else ""
        return f"| {label} | {seconds:.2f} s | {records / seconds:,.0f} | {saved} |"

    lines = [
        f"{records:,} records; the rows: "
        + ", ".join(f"{t} {n:,}" for t, n in rows_of.items())
        + f"; best of {repeats}",
        "",
        "| variant | COPY time | records/s | against the schema's |",
        "| --- | --- | --- | --- |",
        line("**all five tables, as the schema makes them**", total),
    ]
    for table, seconds in full.items():
        lines.append(
            f"| · {table} ({rows_of[table]:,} rows, {rows_of[table] / seconds:,.0f} rows/s) "
            f"| {seconds:.2f} s | | |"
        )
    no_fk = await _best(
        driver, ready, _run("SET LOCAL session_replication_role = replica"), repeats
    )
    lines.append(line("without the foreign keys' checks (all tables)", sum(no_fk.values()), total))
    for table, seconds in no_fk.items():
        lines.append(f"| · {table} | {seconds:.2f} s | | {seconds - full[table]:+.2f} s |")
    secondary = {
        table: [name for name, unique in found if not unique] for table, found in indexes.items()
    }
    every = [name for names in secondary.values() for name in names]
    bare = await _best(driver, ready, _drop(*every), repeats)
    lines.append(line("without any secondary index (all tables)", sum(bare.values()), total))
    both = await _best(
        driver,
        ready,
        _compose(_drop(*every), _run("SET LOCAL session_replication_role = replica")),
        repeats,
    )
    lines.append(
        line("without secondary indexes nor foreign keys' checks", sum(both.values()), total)
    )
    clones = min(
        [await _clone_copy(driver, ready) for _ in range(repeats)],
        key=lambda run: sum(run.values()),
    )
    lines.append(
        line("into copies of the tables with no index, no constraint", sum(clones.values()), total)
    )
    big = _run("SET LOCAL gin_pending_list_limit = '2GB'")
    pending = await _best(driver, ready, big, repeats, only="case")
    lines.append(
        f"| case: trigram indexes' pending list unbounded (gin_pending_list_limit) "
        f"| {pending['case']:.2f} s | | {pending['case'] - full['case']:+.2f} s |"
    )
    off = _run(*(f'ALTER INDEX "{name}" SET (fastupdate = off)' for name in trigram))
    slow = await _best(driver, ready, off, 1, only="case")
    lines.append(
        f"| case: trigram indexes without fastupdate "
        f"| {slow['case']:.2f} s | | {slow['case'] - full['case']:+.2f} s |"
    )
    for table, names in secondary.items():
        for name in names:
            dropped = await _best(driver, ready, _drop(name), repeats, only=table)
            lines.append(
                f"| {table} without `{name}` | {dropped[table]:.2f} s | "
                f"| {dropped[table] - full[table]:+.2f} s |"
            )
    if trigram:
        dropped = await _best(driver, ready, _drop(*trigram), repeats, only="case")
        lines.append(
            f"| case without its {len(trigram)} trigram indexes | {dropped['case']:.2f} s | "
            f"| {dropped['case'] - full['case']:+.2f} s |"
        )
    again = await _best(driver, ready, _nothing, repeats)
    lines.append(
        line(
            "all five tables as the schema makes them, again at the end", sum(again.values()), total
        )
    )
    return lines


def _compose(*steps: Prepare) -> Prepare:
    async def prepare(driver: Any) -> None:
        for step in steps:
            await step(driver)

    return prepare


async def _clone_copy(driver: Any, ready: list[Encoded]) -> dict[str, float]:
    """COPY into tables made ``LIKE`` the real ones: columns only (WAL-logged as they are)."""
    await driver.execute("CHECKPOINT")
    seconds: dict[str, float] = {}
    transaction = driver.transaction()
    await transaction.start()
    try:
        for encoded in ready:
            await driver.execute(f'CREATE TABLE "bare_{encoded.table}" (LIKE "{encoded.table}")')
        for encoded in ready:
            started = time.perf_counter()
            await driver.copy_records_to_table(
                "bare_" + encoded.table, records=encoded.records, columns=encoded.columns
            )
            seconds[encoded.table] = time.perf_counter() - started
    finally:
        await transaction.rollback()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--postgres", required=True, help="admin URL of a PostgreSQL")
    options = parser.parse_args()
    with postgres_database(options.postgres)() as url:
        lines = asyncio.run(measure(url, options.orders, options.repeats))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
