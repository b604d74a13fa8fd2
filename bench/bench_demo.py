"""Benchmark: how long `hub demo` takes to build the embedded default from nothing.

Run: .venv/bin/python -m bench.bench_demo [--postgres URL]

Each figure is a whole `hub` process on a fresh database, best of three. The baseline, measured
in the same run on the same kind of database, is `hub db upgrade` alone: a process that starts,
imports the hub and creates the empty schema. The ratio says how much loading Beijing (building
the synthetic partition, inserting ~62,000 rows of outlines) adds to that. Aim: < 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

REPEATS = 3


def run_hub(url: str, *args: str) -> float:
    env = {**os.environ, "HUB_DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "hub.cli", *args], env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"


async def _admin(admin_url: str, sql: str) -> None:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def postgres_database(admin_url: str) -> Callable[[], AbstractContextManager[str]]:
    @contextmanager
    def database() -> Iterator[str]:
        name = f"hub_bench_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return database


def best(database: Callable[[], AbstractContextManager[str]], *args: str) -> float:
    timings = []
    for _ in range(REPEATS):
        with database() as url:
            timings.append(run_hub(url, *args))
    return min(timings)


def rows(label: str, database: Callable[[], AbstractContextManager[str]]) -> list[str]:
    baseline = best(database, "db", "upgrade")
    demo = best(database, "demo", "--no-serve")
    return [
        f"| `hub demo` from nothing, {label} | {demo:.1f} s | {demo / baseline:.1f}× |",
        f"| baseline: `hub db upgrade` only, {label} | {baseline:.1f} s | 1× |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL to create databases in")
    options = parser.parse_args()
    lines = ["| figure | value | ratio to baseline |", "| --- | --- | --- |"]
    lines += rows("SQLite", sqlite_database)
    if options.postgres:
        lines += rows("PostgreSQL", postgres_database(options.postgres))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
