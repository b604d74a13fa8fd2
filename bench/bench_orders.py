"""Benchmarks of the 12345 centre's steps and the sweeper's warning pass.

Run: .venv/bin/python -m bench.bench_orders [--postgres ADMIN_URL] [--cases N] [--orders N]

- Steps through the real HTTP app (uvicorn, SQLite file), eight clients at once, each on its
  own order: signForCase, urgeCase, returnCase; baseline in the same run: dispatchCase.
- The warning pass (``hub.cases.supervision.sweep_warnings``) over N cases (default
  2,000,000, 10% open) in PostgreSQL: a catch-up pass and a steady pass one sweep interval
  later; baseline in the same run: ``SELECT count(*)`` over the case table.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.bench_cases import CLIENTS, SECRET, admin, prepare
from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.cases.supervision import sweep_warnings
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, transaction
from tests.support.server import serve_in_thread

TEAM = "110107011.URBAN_MANAGEMENT"
STEP = """mutation($input: %s!) { %s(input: $input) { case { number } errors { code } } }"""


async def timed_each(numbers: list[str], act: Callable[[str], Awaitable[object]]) -> float:
    """Steps per second, the orders spread over CLIENTS concurrent clients."""
    queue = list(numbers)

    async def client() -> None:
        while queue:
            await act(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return len(numbers) / (time.perf_counter() - started)


async def step_figures(url: str, orders: int) -> list[str]:
    settings = Settings(
        database_url=url, jwt_secret=SECRET, sweep_interval_seconds=0, rate_limit_per_minute=0
    )
    hotline = mint(settings, role=Role.HOTLINE, jurisdiction="110000")
    team = mint(settings, role=Role.DEPARTMENT, jurisdiction="110107011", department=TEAM)
    with serve_in_thread(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:

            async def call(token: str, kind: str, name: str, **given: Any) -> dict[str, Any]:
                response = await http.post(
                    "/graphql",
                    headers={"Authorization": f"Bearer {token}"},
                    json={"query": STEP % (kind, name), "variables": {"input": given}},
                )
                answer = response.json()
                payload: dict[str, Any] | None = (answer.get("data") or {}).get(name)
                assert payload is not None, (response.status_code, answer)
                assert payload["errors"] == [], payload
                return payload

            async def report(n: int) -> str:
                payload = await call(
                    hotline,
                    "ReportCaseInput",
                    "reportCase",
                    description=f"占道 {n}",
                    categoryCode="STREET_VENDOR",
                    source="HOTLINE_12345",
                    location={"lat": 39.9, "lng": 116.235},
                )
                return str(payload["case"]["number"])

            numbers = [await report(n) for n in range(orders)]
            figures = {
                "dispatchCase": await timed_each(
                    numbers,
                    lambda n: call(
                        hotline,
                        "DispatchCaseInput",
                        "dispatchCase",
                        caseNumber=n,
                        departmentCodes=[TEAM],
                    ),
                ),
                "signForCase": await timed_each(
                    numbers, lambda n: call(team, "CaseNoteInput", "signForCase", caseNumber=n)
                ),
                "urgeCase": await timed_each(
                    numbers, lambda n: call(hotline, "CaseNoteInput", "urgeCase", caseNumber=n)
                ),
                "returnCase": await timed_each(
                    numbers,
                    lambda n: call(
                        team,
                        "ReturnCaseInput",
                        "returnCase",
                        caseNumber=n,
                        reason="OTHER",
                        note="非本单位",
                    ),
                ),
            }
    baseline = figures["dispatchCase"]
    return [
        f"| `{name}` through HTTP, SQLite, {CLIENTS} clients | {rate:,.0f} /s | "
        f"{rate / baseline:.2f}× |"
        for name, rate in figures.items()
    ]


FILL = """
INSERT INTO "case" (number, title, description, category_code, source, status, priority,
  subdistrict_code, district_code, crosses_boundary, reported_at, respond_by, resolve_by, warn_at,
  respond_overdue, resolve_overdue, reopen_count, warning_level, redispatch_count,
  created_at, updated_at)
SELECT 'B-' || g, '占道', '占道经营', 'OTHER', 'HOTLINE_12345',
  CASE WHEN g % 10 = 0 THEN 'DISPATCHED' ELSE 'CLOSED' END, 'ROUTINE', '110107011', '110107',
  false, t, t + interval '1 day', t + interval '7 days', t + interval '5.6 days',
  false, false, 0, 'GREEN', 0, t, t
FROM generate_series(1, :n) AS g,
  LATERAL (SELECT timestamptz '2026-10-01 00:00+08' + g * interval '1 second' AS t) AS at
"""


async def warning_figures(url: str, cases: int) -> list[str]:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    async with transaction(sessionmaker) as session:
        await session.execute(text(FILL), {"n": cases})
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text('VACUUM ANALYZE "case"'))
    now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=cases * 0.8)
    passes = []
    for moment in (now, now + dt.timedelta(seconds=60)):
        started = time.perf_counter()
        async with transaction(sessionmaker) as session:
            raised = await sweep_warnings(session=session, now=moment)
        passes.append((raised, (time.perf_counter() - started) * 1000))
    started = time.perf_counter()
    async with engine.connect() as connection:
        await connection.execute(text('SELECT count(*) FROM "case"'))
    baseline = (time.perf_counter() - started) * 1000
    await engine.dispose()
    (first, first_ms), (steady, steady_ms) = passes
    return [
        f"| warning pass, catch-up: {first:,} warnings raised, {cases:,} cases | "
        f"{first_ms:,.0f} ms | {first_ms / baseline:.2f}× |",
        f"| warning pass, one interval (60 s) later: {steady:,} raised | {steady_ms:,.0f} ms | "
        f"{steady_ms / baseline:.2f}× |",
        f"| baseline: `SELECT count(*)` over all {cases:,} cases | {baseline:,.0f} ms | 1× |",
    ]


async def main(postgres: str | None, cases: int, orders: int) -> None:
    lines = ["| figure | value | ratio to baseline |", "| --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        await prepare(url, 0)
        lines += await step_figures(url, orders)
    print("\n".join(lines), flush=True)
    if postgres:
        name = f"hub_bench_{uuid.uuid4().hex[:10]}"
        await admin(postgres, f'CREATE DATABASE "{name}"')
        try:
            url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
            await prepare(url, 0)
            print("\n".join(lines[:2] + await warning_figures(url, cases)), flush=True)
        finally:
            await admin(postgres, f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server")
    parser.add_argument("--cases", type=int, default=2_000_000)
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.postgres, args.cases, args.orders))
