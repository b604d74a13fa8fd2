"""Benchmark: `reportCase` over HTTP on PostgreSQL, the load generator in another process.

Run: .venv/bin/python -m bench.bench_intake [--admin-url URL] [--seconds N] [--connections N]

A fresh PostgreSQL database set up by `hub init` (reference data, no cases); `hub serve` (one
worker) and `bench/handwritten_intake.py` (Starlette in uvicorn, one worker) on it in turn,
each loaded by `wrk` as the hotline: hotline calls at points spread over the 16 districts.
Beside it in the same run: `{ __typename }` through the same hub (the cheapest request) and the
hand-written endpoint that records the same rows (case, street office, event, chained audit
entry) with three statements. Afterwards every case the run recorded is counted and
`hub audit verify` must pass: both writers kept the one audit chain whole.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import uuid

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.bench_city import HUB, _env, _lua, _port, _server, _settings, _wrk
from hub.auth.actors import Role
from hub.auth.tokens import mint

REPORT = (
    "mutation($i: ReportCaseInput!) { reportCase(input: $i) {"
    " case { number } errors { code message } } }"
)


async def _admin(admin_url: str, sql: str) -> None:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _bodies_lua(token: str, bodies: list[str]) -> str:
    """wrk script: POST each body in turn (one list per thread), with the token."""
    listed = ", ".join(json.dumps(body) for body in bodies)
    return (
        'wrk.method = "POST"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"local bodies = {{{listed}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[i])\n"
        "end\n"
    )


POINTS = [  # one street in each of the 16 districts (WGS84), all inside the city's grids
    (39.9087, 116.3975), (39.9120, 116.3660), (39.9219, 116.4436), (39.8585, 116.2866),
    (39.9056, 116.2229), (39.9593, 116.2985), (39.9407, 116.1026), (39.9100, 116.6570),
    (40.1300, 116.6540), (39.7260, 116.1430), (40.2200, 116.2310), (39.7270, 116.3410),
    (40.3160, 116.6320), (40.1430, 117.1000), (40.3770, 116.8430), (40.4650, 115.9750),
]  # fmt: skip


def _reports(points: list[tuple[float, float]]) -> list[str]:
    return [
        json.dumps(
            {
                "query": REPORT,
                "variables": {
                    "i": {
                        "description": "市民反映：车辆长期占用消防通道",
                        "categoryCode": "ILLEGAL_PARKING",
                        "source": "HOTLINE_12345",
                        "location": {"lat": lat, "lng": lng},
                    }
                },
            }
        )
        for lat, lng in points
    ]


def _handwritten_reports(points: list[tuple[float, float]]) -> list[str]:
    return [
        json.dumps(
            {
                "description": "市民反映：车辆长期占用消防通道",
                "categoryCode": "ILLEGAL_PARKING",
                "lat": lat,
                "lng": lng,
            }
        )
        for lat, lng in points
    ]


def _check_answers(hub: str, hand: str, token: str, points: list[tuple[float, float]]) -> None:
    """Both take every point in: a case number back, no error."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for ours, theirs in zip(_reports(points), _handwritten_reports(points), strict=True):
        a = httpx.post(f"{hub}/graphql", content=ours, headers=headers, timeout=30).json()
        b = httpx.post(f"{hand}/report", content=theirs, headers=headers, timeout=30).json()
        for answer in (a, b):
            payload = answer["data"]["reportCase"]
            assert payload["errors"] == [], answer
            assert payload["case"]["number"], answer


async def _cases(url: str) -> int:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval('SELECT count(*) FROM "case"'))
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    name = f"hub_bench_intake_{uuid.uuid4().hex[:8]}"
    url = make_url(args.admin_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(args.admin_url, f'CREATE DATABASE "{name}"'))
    try:
        subprocess.run([HUB, "init"], env=_env(url), check=True, capture_output=True)
        token = mint(_settings(url), role=Role.HOTLINE, jurisdiction="110000")
        hub_port, hand_port = _port(), _port()
        hub, hand = f"http://127.0.0.1:{hub_port}", f"http://127.0.0.1:{hand_port}"
        serve = [HUB, "serve", "--port", str(hub_port), "--workers", "1"]
        handwritten = [
            sys.executable, "-m", "uvicorn", "bench.handwritten_intake:app",
            "--port", str(hand_port), "--workers", "1", "--log-level", "warning",
            "--no-access-log",
        ]  # fmt: skip
        seconds, connections = args.seconds, args.connections
        with _server(serve, url, f"{hub}/healthz"), _server(handwritten, url, f"{hand}/report"):
            _check_answers(hub, hand, token, POINTS)
            before = asyncio.run(_cases(url))
            typename = json.dumps({"query": "{ __typename }"})
            figures = {
                "typename": _wrk(_lua("POST", token, typename), f"{hub}/graphql", seconds, 8),
                "hub": _wrk(
                    _bodies_lua(token, _reports(POINTS)), f"{hub}/graphql", seconds, connections
                ),
                "handwritten": _wrk(
                    _bodies_lua(token, _handwritten_reports(POINTS)),
                    f"{hand}/report",
                    seconds,
                    connections,
                ),
            }
        recorded = asyncio.run(_cases(url)) - before
        verified = subprocess.run(
            [HUB, "audit", "verify"], env=_env(url), capture_output=True, text=True, check=False
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        asyncio.run(_admin(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    hub_rate, hand_rate = figures["hub"]["rate"], figures["handwritten"]["rate"]
    print(f"load average {os.getloadavg()}; {recorded:,} cases recorded; audit chain verified")
    print("\n| request | req/s | p50 / p99 ms | non-2xx | reportCase's rate ÷ this |")
    print("|---|---|---|---|---|")
    rows = [
        ("`{ __typename }`", figures["typename"], hub_rate / figures["typename"]["rate"]),
        ("`reportCase` through the hub", figures["hub"], 1.0),
        ("hand-written insert endpoint", figures["handwritten"], hub_rate / hand_rate),
    ]  # fmt: skip
    for label, figure, ratio in rows:
        print(
            f"| {label} | {figure['rate']:,.1f} | {figure['p50']:.1f} / {figure['p99']:.1f} "
            f"| {figure['errors']:.0f} | {ratio:.2f} |"
        )


if __name__ == "__main__":
    main()
