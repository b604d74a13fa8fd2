"""Benchmarks of 接诉即办: intake through HTTP, and the rates and hotspots on a million cases.

Run: .venv/bin/python -m bench.bench_cases [--postgres ADMIN_URL] [--cases N]

- `reportCase` mutations per second through the real HTTP app (uvicorn, SQLite file), eight
  clients at once; baseline in the same run: the cheapest GraphQL request (`{ __typename }`).
- `serviceRates` for a district over a month and `hotspots` over two years, through the HTTP
  API, on N synthetic cases (default 1,000,000) in PostgreSQL; baseline in the same run:
  `SELECT count(*)` over the whole case table. Aims: < 200 ms and < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.bootstrap import setup_database
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, transaction
from hub.demo.synthetic import Plan, generate
from hub.geo.index import GeoIndex
from tests.support.server import serve_in_thread

SECRET = "bench-secret-bench-secret-bench-secret-01"
CLIENTS = 8
REPORTS = 800
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

REPORT = """mutation($input: ReportCaseInput!) { reportCase(input: $input) {
  case { number grid { code } } errors { code } } }"""
RATES = """{ serviceRates(jurisdictionCode: "110105", from: "2026-10-01T00:00:00+08:00",
  to: "2026-11-01T00:00:00+08:00") { received responseRate resolutionRate satisfactionRate } }"""
HOTSPOTS = """{ hotspots(from: "2024-11-01T00:00:00+08:00", to: "2026-11-01T00:00:00+08:00",
  text: "漏雨", unresolvedOnly: true, first: 20) { totalHotspots totalCases
  hotspots { address caseCount } } }"""


async def timed_many(action: Callable[[], Awaitable[Any]], total: int) -> float:
    """Requests per second for ``total`` calls spread over CLIENTS concurrent clients."""

    async def client(n: int) -> None:
        for _ in range(n):
            await action()

    started = time.perf_counter()
    await asyncio.gather(*(client(total // CLIENTS) for _ in range(CLIENTS)))
    return total / (time.perf_counter() - started)


async def median_ms(action: Callable[[], Awaitable[Any]], repeats: int = 7) -> float:
    await action()  # warm caches and the connection pool
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        await action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def prepare(url: str, cases: int) -> None:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    await setup_database(engine, sessionmaker)
    if cases:
        geo = GeoIndex()
        await geo.load(sessionmaker)
        per_day = max(1, cases // 730)
        async with transaction(sessionmaker) as session:
            await generate(
                session=session,
                geo=geo,
                plan=Plan(per_day=per_day, days=730, end=END),
                batch=20_000,
            )
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text('VACUUM ANALYZE "case"'))
    await engine.dispose()


async def intake_figures(url: str) -> list[str]:
    settings = Settings(
        database_url=url, jwt_secret=SECRET, sweep_interval_seconds=0, rate_limit_per_minute=0
    )
    token = mint(settings, role=Role.HOTLINE, jurisdiction="110000")
    headers = {"Authorization": f"Bearer {token}"}
    with serve_in_thread(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
            counter = iter(range(10**9))

            async def report() -> None:
                n = next(counter)
                response = await http.post(
                    "/graphql",
                    json={
                        "query": REPORT,
                        "variables": {
                            "input": {
                                "description": f"噪声扰民 {n}",
                                "categoryCode": "NOISE",
                                "source": "HOTLINE_12345",
                                "location": {
                                    "lat": 39.9 + (n % 50) * 0.002,
                                    "lng": 116.4,
                                    "crs": "GCJ02",
                                },
                            }
                        },
                    },
                )
                assert response.json()["data"]["reportCase"]["errors"] == []

            async def trivial() -> None:
                (await http.post("/graphql", json={"query": "{ __typename }"})).raise_for_status()

            baseline = await timed_many(trivial, REPORTS)
            reports = await timed_many(report, REPORTS)
    return [
        f"| `reportCase` through HTTP, SQLite, {CLIENTS} clients | {reports:,.0f} /s | "
        f"{reports / baseline:.2f}× |",
        f"| baseline: `{{ __typename }}` through HTTP, {CLIENTS} clients "
        f"| {baseline:,.0f} /s | 1× |",
    ]


async def query_figures(url: str, cases: int) -> list[str]:
    settings = Settings(
        database_url=url, jwt_secret=SECRET, sweep_interval_seconds=0, rate_limit_per_minute=0
    )
    token = mint(settings, role=Role.CITY_PLATFORM, jurisdiction="110000")
    engine = create_engine(url)

    async def count_all() -> None:
        async with engine.connect() as connection:
            await connection.execute(text('SELECT count(*) FROM "case"'))

    with serve_in_thread(create_app(settings)) as base:
        async with httpx.AsyncClient(
            base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"}
        ) as http:

            async def ask(query: str) -> Callable[[], Awaitable[None]]:
                async def run() -> None:
                    body = (await http.post("/graphql", json={"query": query})).json()
                    assert "errors" not in body, body

                return run

            rates = await median_ms(await ask(RATES))
            hotspots = await median_ms(await ask(HOTSPOTS), repeats=3)
    baseline = await median_ms(count_all)
    await engine.dispose()
    return [
        f"| `serviceRates`, one district, one month, {cases:,} cases (PostgreSQL) | "
        f"{rates:.0f} ms | {rates / baseline:.2f}× |",
        f"| `hotspots`, text 漏雨, unresolved, two years, city-wide | {hotspots:.0f} ms | "
        f"{hotspots / baseline:.2f}× |",
        f"| baseline: `SELECT count(*)` over all {cases:,} cases | {baseline:.0f} ms | 1× |",
    ]


async def admin(admin_url: str, sql: str) -> None:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def main(postgres: str | None, cases: int) -> None:
    lines = ["| figure | value | ratio to baseline |", "| --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        await prepare(url, 0)
        lines += await intake_figures(url)
    if postgres:
        name = f"hub_bench_{uuid.uuid4().hex[:10]}"
        await admin(postgres, f'CREATE DATABASE "{name}"')
        try:
            url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
            started = time.perf_counter()
            await prepare(url, cases)
            print(f"(loaded {cases:,} cases in {time.perf_counter() - started:.0f} s)", flush=True)
            lines += await query_figures(url, cases)
        finally:
            await admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL to create a database in")
    parser.add_argument("--cases", type=int, default=1_000_000)
    options = parser.parse_args()
    asyncio.run(main(options.postgres, options.cases))
