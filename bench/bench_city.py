"""The city at scale: `cases(first: 20)` by each filter at two sizes, and a front end's page
against a hand-written endpoint under wrk.

    make bench-city            # 200,000 then 2,000,000 cases (hours on a 2-core machine)
    .venv/bin/python -m bench.bench_city --sizes 200000,600000 [--url …] [--fresh]
    .venv/bin/python -m bench.bench_city --front-end-only --url …   # step 3 alone, as filled

1. Fills PostgreSQL (``--url``) through ``hub bench-data`` up to each size in turn (cases over
   the last 30 days, so the larger size is the denser city) and times the fill.
2. At each size, after ``VACUUM ANALYZE``, times ``cases(first: 20)`` for the city platform,
   unfiltered and with each ``CaseFilterInput`` field, through the real app in process
   (ASGI); baseline ``{ __typename }`` in the same run. Flat means the same at both sizes.
3. At the last size, a front end's page (20 and 50 cases of a district with category, street
   office, district, dispatches with departments and the latest events) from ``hub serve`` and
   from ``bench.handwritten`` (Starlette, one statement), one worker each, each loaded by
   ``wrk`` (another process) in turn; requests/s, p50 and p99 side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.bench_pages import FILTERS, _timed
from bench.page_floor import executor_floor
from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings

HUB = str(Path(sys.executable).with_name("hub"))
PAGE = "{ cases(first: 20, filter: FILTER) { edges { node { number } } } }"
LIST_VIEW = """query($first: Int!) { cases(first: $first, filter: {jurisdictionCode: "110105"}) {
  pageInfo { hasNextPage endCursor } edges { node {
    number title status reportedAt respondBy address
    category { code name } subdistrict { code name } district { code name }
    dispatches { status department { code name } } events(last: 3) { type at } } } } }"""
SECRET = "bench-city-secret-bench-city-secret-0123"


def _filters() -> dict[str, str]:
    """Every ``CaseFilterInput`` field (bench_pages' set, and the rest)."""
    now = dt.datetime.now(dt.UTC)
    since = (now - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (now - dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        **FILTERS,
        "community": '{jurisdictionCode: "110105001001"}',
        "grid": '{gridCode: "110105001001001"}',
        "reportedFrom (3 days)": f'{{reportedFrom: "{since}"}}',
        "reportedTo (before 20 days)": f'{{reportedTo: "{until}"}}',
        "text, rare (a village's name)": '{text: "东垡村"}',
        "overdue: false": "{overdue: false}",
    }


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _sql(url: str, statement: str, database: str | None = None) -> Any:
    dsn = _plain(url)
    if database is not None:
        dsn = dsn.rsplit("/", 1)[0] + "/" + database
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()


async def _create(url: str, fresh: bool) -> None:
    """The database, made if missing (dropped first if ``fresh``)."""
    name = _plain(url).rsplit("/", 1)[1]
    if fresh:
        await _sql(url, f'DROP DATABASE IF EXISTS "{name}"', database="postgres")
    found = f"SELECT count(*) FROM pg_database WHERE datname = '{name}'"
    if not await _sql(url, found, database="postgres"):
        await _sql(url, f'CREATE DATABASE "{name}"', database="postgres")


async def _count(url: str) -> int:
    try:
        return int(await _sql(url, 'SELECT count(*) FROM "case"'))
    except asyncpg.UndefinedTableError:
        return 0


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_DATABASE_URL": url,
        "HUB_JWT_SECRET": SECRET,
        "HUB_RATE_LIMIT_PER_MINUTE": "0",
        "HUB_SWEEP_INTERVAL_SECONDS": "0",
        "HUB_WEBHOOKS_ENABLED": "false",
        "HUB_CONNECTIONS_ENABLED": "false",
    }


def _fill(url: str, cases: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [HUB, "bench-data", "--cases", str(cases), "--days", "30"], env=_env(url), check=True
    )
    return time.perf_counter() - started


def _settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        jwt_secret=SECRET,
        redis_url=None,
        rate_limit_per_minute=0,
        sweep_interval_seconds=0,
        webhooks_enabled=False,
        connections_enabled=False,
    )


async def _pages(url: str, repeat: int) -> dict[str, tuple[float, float]]:
    """p50 and p99 (ms) of each page, and of the baseline."""
    settings = _settings(url)
    app = create_app(settings)
    token = mint(settings, role=Role.CITY_PLATFORM, jurisdiction="110000")
    found: dict[str, tuple[float, float]] = {}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://hub", timeout=60) as client,
    ):
        queries = {"`{ __typename }` (baseline)": "{ __typename }"}
        for name, case_filter in _filters().items():
            queries[f"cases(first: 20) {name}"] = PAGE.replace("FILTER", case_filter)
        for name, query in queries.items():
            await _timed(client, {"query": query}, token, 3)  # warm
            times = sorted(await _timed(client, {"query": query}, token, repeat))
            p99 = times[max(0, round(len(times) * 0.99) - 1)]
            found[name] = (statistics.median(times) * 1000, p99 * 1000)
    return found


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(command: list[str], url: str, ready: str) -> Iterator[None]:
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(command, env=_env(url), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(ready, timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            log.seek(0)
            raise RuntimeError(f"{' '.join(command)} did not start: {log.read()[-2000:]}")
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        os.unlink(log.name)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(script: str, target: str, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", lua.name, target],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(lua.name)
    figures = {"rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for share in ("50", "99"):
        value, unit = re.search(rf"\s{share}%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        figures[f"p{share}"] = float(value) * _UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["errors"] = float(errors.group(1)) if errors else 0.0
    return figures


def _lua(method: str, token: str, body: str | None = None) -> str:
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "Bearer {token}"']
    if body is not None:
        lines += [
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = {json.dumps(body)}",
        ]
    return "\n".join(lines) + "\n"


def _same_answer(hub: str, handwritten: str, token: str, first: int) -> dict[str, Any]:
    """Both serve the same page (same cases, dispatches and events); the hub's answer."""
    headers = {"Authorization": f"Bearer {token}"}
    body = {"query": LIST_VIEW, "variables": {"first": first}}
    ours: dict[str, Any] = httpx.post(
        f"{hub}/graphql", json=body, headers=headers, timeout=60
    ).json()
    theirs = httpx.get(f"{handwritten}/cases?first={first}", headers=headers, timeout=60).json()

    def shape(answer: dict[str, Any]) -> list[Any]:
        return [
            (n["number"], [d["department"]["code"] for d in n["dispatches"]], len(n["events"]))
            for n in (edge["node"] for edge in answer["data"]["cases"]["edges"])
        ]

    differ = [(a, b) for a, b in zip(shape(ours), shape(theirs), strict=True) if a != b]
    assert not differ, differ[:3]
    return ours


def _front_end(
    url: str, seconds: int, connections: int, hubs: dict[str, str]
) -> dict[int, dict[str, dict[str, float]]]:
    """Each of ``hubs`` (a name and its ``hub`` command) and the hand-written endpoint, loaded
    in turn at each page size."""
    settings = _settings(url)
    token = mint(settings, role=Role.CITY_PLATFORM, jurisdiction="110000")
    hand_port = _port()
    hand = f"http://127.0.0.1:{hand_port}"
    handwritten = [
        sys.executable, "-m", "uvicorn", "bench.handwritten:app", "--port", str(hand_port),
        "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    found: dict[int, dict[str, dict[str, float]]] = {20: {}, 50: {}}
    with _server(handwritten, url, f"{hand}/cases"):
        for name, command in hubs.items():
            hub_port = _port()
            hub = f"http://127.0.0.1:{hub_port}"
            serve = [command, "serve", "--port", str(hub_port), "--workers", "1"]
            with _server(serve, url, f"{hub}/healthz"):
                for first in found:
                    answer = _same_answer(hub, hand, token, first)
                    if name == "hub":
                        floors = executor_floor(answer, LIST_VIEW, {"first": first})
                        for executor, rate in floors.items():
                            found[first][executor] = {"rate": rate}
                    body = json.dumps({"query": LIST_VIEW, "variables": {"first": first}})
                    found[first][name] = _wrk(
                        _lua("POST", token, body), f"{hub}/graphql", seconds, connections
                    )
        for first in found:
            found[first]["handwritten"] = _wrk(
                _lua("GET", token), f"{hand}/cases?first={first}", seconds, connections
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/hub_city")
    parser.add_argument("--sizes", default="200000,2000000")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--wrk-seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--no-wrk", action="store_true")
    parser.add_argument(
        "--compare-hub",
        metavar="COMMAND",
        help="also load this `hub` command (another checkout's) in the same run, to compare",
    )
    parser.add_argument(
        "--front-end-only",
        action="store_true",
        help="only the front end's page against the hand-written endpoint, on the database as is",
    )
    args = parser.parse_args()
    if args.front_end_only:
        _report_front_end(args.url, args.wrk_seconds, args.connections, args.compare_hub)
        return
    asyncio.run(_create(args.url, args.fresh))
    sizes = [int(size) for size in args.sizes.split(",")]
    results: dict[int, dict[str, tuple[float, float]]] = {}
    for size in sizes:
        have = asyncio.run(_count(args.url))
        if have < size:
            elapsed = _fill(args.url, size - have)
            rate = (size - have) / elapsed
            print(f"filled {size - have:,} cases in {elapsed:.0f} s ({rate:,.0f} cases/s)")
        asyncio.run(_sql(args.url, 'VACUUM ANALYZE "case"'))
        for table in ("case_dispatch", "case_jurisdiction", "case_event"):
            asyncio.run(_sql(args.url, f'VACUUM ANALYZE "{table}"'))
        size = asyncio.run(_count(args.url))
        results[size] = asyncio.run(_pages(args.url, args.repeat))
        print(f"measured at {size:,} cases; load average {os.getloadavg()}", flush=True)
    names = list(next(iter(results.values())))
    header = " | ".join(f"{size:,}: p50 / p99 ms" for size in results)
    print(f"\n| query | {header} |")
    print("|---|" + "---|" * len(results))
    for name in names:
        cells = " | ".join(f"{r[name][0]:.1f} / {r[name][1]:.1f}" for r in results.values())
        print(f"| {name} | {cells} |")
    if not args.no_wrk:
        _report_front_end(args.url, args.wrk_seconds, args.connections, args.compare_hub)


def _report_front_end(url: str, seconds: int, connections: int, compare: str | None) -> None:
    print(f"\n{asyncio.run(_count(url)):,} cases; load average {os.getloadavg()}", flush=True)
    hubs = {"hub": HUB, **({"compared": compare} if compare else {})}
    front = _front_end(url, seconds, connections, hubs)
    print(f"load average {os.getloadavg()}")
    print("\n| page | hub | req/s | p50 / p99 ms | hand-written req/s | p50 / p99 ms | ratio |")
    print("|---|---|---|---|---|---|---|")
    for first, figures in front.items():
        theirs = figures["handwritten"]
        for name in hubs:
            ours = figures[name]
            print(
                f"| {first} cases of a district | {name} | {ours['rate']:.1f} | "
                f"{ours['p50']:.1f} / {ours['p99']:.1f} | {theirs['rate']:.1f} | "
                f"{theirs['p50']:.1f} / {theirs['p99']:.1f} | {ours['rate'] / theirs['rate']:.2f} |"
            )
            if ours["errors"] or theirs["errors"]:
                print(
                    f"  non-2xx answers: {name} {ours['errors']:.0f}, hand {theirs['errors']:.0f}"
                )
        for executor in ("graphql-core", "strawberry"):
            rate = figures[executor]["rate"]
            print(
                f"| {first} cases of a district | {executor} alone: the page's document over its "
                f"answer, in memory, one core | {rate:.1f} | | {theirs['rate']:.1f} | | "
                f"{rate / theirs['rate']:.2f} |"
            )


if __name__ == "__main__":
    main()
