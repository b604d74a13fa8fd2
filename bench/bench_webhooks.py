"""Benchmark: webhook deliveries from one hub process to a local receiver.

Run: .venv/bin/python -m bench.bench_webhooks [--events N] [--endpoints E] [--rounds R]

One hub (the embedded SQLite default, Beijing loaded, in this process) and a fast receiver in a
process of its own on loopback (``bench/webhook_receiver.py``).

- throughput: N events committed at once for one webhook; deliveries per second until the
  receiver has them all (in order, one request in flight). Baseline in the same run: the same
  N messages signed and posted by one client in a loop, with nothing else between them;
- latency with E registered endpoints: R events committed one at a time, 200 ms apart; for
  each (event, endpoint) the time from the commit to the receiver's arrival, p50 and p99.
  Baseline in the same run: one signed POST's round trip to the receiver.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx
from sqlalchemy import func, select

from hub.app import Hub
from hub.auth.actors import SYSTEM
from hub.bootstrap import setup_database
from hub.cases import intake
from hub.cases.models import CaseEvent, CaseSource
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, transaction, utcnow
from hub.webhooks import service as webhooks
from hub.webhooks.models import DeliveryStatus, WebhookDelivery
from hub.webhooks.sending import headers


def _event_of(message_id: str) -> int:
    """``msg_<webhook>_<kind>_<event>`` → the event id."""
    return int(message_id.rsplit("_", 1)[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _events(hub: Hub, case_id: int, count: int) -> float:
    """``count`` events on one case in one transaction; the commit's time."""
    async with transaction(hub.sessionmaker) as session:
        session.add_all(
            CaseEvent(case_id=case_id, type="NOTED", at=utcnow(), actor=SYSTEM.as_record())
            for _ in range(count)
        )
    return time.time()


async def _case(hub: Hub) -> int:
    async with transaction(hub.sessionmaker) as session:
        case, _ = await intake.report(
            session=session,
            geo=hub.geo,
            settings=hub.settings,
            intake=intake.Intake(
                description="bench",
                category_code="GARBAGE",
                source=CaseSource.CITIZEN_APP,
                point=(116.3975, 39.9087, "WGS84"),
            ),
            actor=SYSTEM,
            now=utcnow(),
        )
        return case.id


async def _register(hub: Hub, port: int, count: int, owner: str) -> list[str]:
    secrets = []
    async with transaction(hub.sessionmaker) as session:
        for index in range(count):
            _, secret = await webhooks.create(
                session=session,
                settings=hub.settings,
                actor=replace(SYSTEM, sub=owner),
                registration=webhooks.Registration(
                    url=f"http://127.0.0.1:{port}/hook/{index}", event_types=["case.*"]
                ),
                now=utcnow(),
            )
            secrets.append(secret)
    assert hub.webhooks is not None
    hub.webhooks.poke()
    return secrets


def _receiver() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("webhook_receiver.py"))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def _arrivals(process: subprocess.Popen[str]) -> list[tuple[str, str, float]]:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.close()
    found = json.loads(process.stdout.readline())
    process.wait(30)
    return [tuple(item) for item in found]


async def _baseline(port: int, secret: str, count: int) -> tuple[float, float, float]:
    """Deliveries/s of a bare signed POST loop; one POST's round trip p50 and p99 (ms)."""
    body = json.dumps({"type": "case.NOTED", "data": {"id": "1"}})
    times = []
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        for index in range(count):
            sent = time.perf_counter()
            await client.post(
                f"http://127.0.0.1:{port}/baseline",
                content=body,
                headers=headers(secret, f"msg_base_{index}", body, dt.datetime.now(dt.UTC)),
            )
            times.append((time.perf_counter() - sent) * 1000)
        elapsed = time.perf_counter() - started
    return count / elapsed, percentile(times, 0.5), percentile(times, 0.99)


async def _wait(hub: Hub, wanted: int, deadline: float, events: list[int] | None = None) -> None:
    """Until ``wanted`` deliveries (of ``events``, if given) are DELIVERED."""
    query = (
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.status == DeliveryStatus.DELIVERED)
    )
    if events is not None:
        query = query.where(WebhookDelivery.event_id.in_(events))
    end = time.monotonic() + deadline
    done = 0
    while time.monotonic() < end:
        async with hub.sessionmaker() as session:
            done = int(await session.scalar(query) or 0)
        if done >= wanted:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"only {done} of {wanted} delivered in {deadline}s")


async def throughput(hub: Hub, events: int) -> tuple[float, float]:
    process, port = _receiver()
    (secret,) = await _register(hub, port, 1, "bench-one")
    baseline, _, _ = await _baseline(port, secret, events)
    case_id = await _case(hub)
    await _wait(hub, 1, 60)  # the case's own REPORTED event: the worker is running
    committed = await _events(hub, case_id, events)
    await _wait(hub, events + 1, 600)
    arrivals = [a for a in _arrivals(process) if a[0].startswith("/hook/")]
    last = max(at for _, _, at in arrivals)
    return events / (last - committed), baseline


async def latency(hub: Hub, endpoints: int, rounds: int) -> tuple[float, float, float, float]:
    process, port = _receiver()
    secrets = await _register(hub, port, endpoints, "bench-many")
    _, base50, base99 = await _baseline(port, secrets[0], 200)
    case_id = await _case(hub)
    commits: dict[int, float] = {}
    for _ in range(rounds):
        async with transaction(hub.sessionmaker) as session:
            row = CaseEvent(case_id=case_id, type="NOTED", at=utcnow(), actor=SYSTEM.as_record())
            session.add(row)
            await session.flush()
            key = row.id
        commits[key] = time.time()
        await asyncio.sleep(0.2)
    await _wait(hub, rounds * endpoints, 300, list(commits))
    arrivals = _arrivals(process)
    samples = [
        (at - commits[key]) * 1000
        for path, msg, at in arrivals
        if path.startswith("/hook/") and (key := _event_of(msg)) in commits
    ]
    assert len(samples) >= rounds * endpoints, (len(samples), rounds * endpoints)
    return percentile(samples, 0.5), percentile(samples, 0.99), base50, base99


async def run(events: int, endpoints: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        engine = create_engine(url)
        await setup_database(engine, create_sessionmaker(engine))
        await engine.dispose()
        settings = Settings(
            database_url=url,
            sweep_interval_seconds=0,
            connections_enabled=False,
            webhook_allow_hosts="127.0.0.1",
            rate_limit_per_minute=0,
        )
        hub = Hub.create(settings)
        await hub.start()
        try:
            rate, baseline = await throughput(hub, events)
            print(
                f"throughput: {rate:,.0f} deliveries/s to one endpoint "
                f"(baseline, a bare signed POST loop: {baseline:,.0f}/s;"
                f" ratio {rate / baseline:.2f})"
            )
            p50, p99, b50, b99 = await latency(hub, endpoints, rounds)
            print(
                f"latency, commit to delivery, {endpoints} endpoints x {rounds} events: "
                f"p50 {p50:,.0f} ms, p99 {p99:,.0f} ms "
                f"(baseline, one POST round trip: p50 {b50:.1f} ms, p99 {b99:.1f} ms)"
            )
        finally:
            await hub.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    asyncio.run(run(options.events, options.endpoints, options.rounds))


if __name__ == "__main__":
    main()
