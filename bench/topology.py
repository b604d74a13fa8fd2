"""The production topology, run here (`make topology`): Debian's nginx in front of three
`hub serve` processes on PostgreSQL and Redis, all on loopback, with ``deploy/nginx/hub.conf``.

It measures HTTP throughput through nginx to one process and to three (same run), then puts a
bounded load on the three — queries, reports and 1,000 subscribers — and kills one process
with SIGKILL part-way. It checks, and exits non-zero unless:

- no request fails except those in flight on the killed process (mutations; the client retries
  them with the same ``externalRef`` and the hub keeps exactly one case each); queries are GETs,
  which nginx passes on by itself;
- every subscriber gets every event exactly once, in order, those on the killed process by
  reconnecting through nginx and resuming with ``after``;
- the sweeper keeps flagging, each overdue case exactly once, with two processes left;
- ``/readyz`` of the dead process no longer answers, and nginx sends nothing more its way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import websockets
from sqlalchemy.engine import make_url

from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings

ROOT = Path(__file__).resolve().parents[1]
NGINX_CONF = ROOT / "deploy" / "nginx" / "hub.conf"
SECRET = "topology-secret-topology-secret-0123456789"
QUERY = '{ jurisdiction(code: "110102") { name children { code name } } }'
REPORT = """mutation($input: ReportCaseInput!) {
  reportCase(input: $input) { case { number } errors { code message } } }"""
SUBSCRIBE = """subscription($after: ID) {
  caseEvents(jurisdictionCode: "110102", after: $after) { id type } }"""
GUANGWAI = {"lat": 39.8802, "lng": 116.3162}


@dataclass
class Subscriber:
    url: str
    token: str
    seen: list[int] = field(default_factory=list)
    reconnects: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError, websockets.WebSocketException, TimeoutError):
                await self._session(stop)
            if not stop.is_set():
                self.reconnects += 1

    async def _session(self, stop: asyncio.Event) -> None:
        async with websockets.connect(
            self.url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")], max_size=None
        ) as ws:
            init = {"authorization": f"Bearer {self.token}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            after = str(self.seen[-1]) if self.seen else "0"
            variables = {"after": after}
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIBE, "variables": variables},
                    }
                )
            )
            while not stop.is_set():
                message = json.loads(await ws.recv())
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "connection_ack":
                    self.ready.set()
                elif message["type"] == "next":
                    self.seen.append(int(message["payload"]["data"]["caseEvents"]["id"]))
                elif message["type"] in ("error", "complete"):
                    raise OSError(f"subscription ended: {message}")


@dataclass
class Outcome:
    ok: int = 0
    failed_on_killed: int = 0
    failed_elsewhere: list[str] = field(default_factory=list)
    touched_killed_after: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def database(admin: str) -> AsyncIterator[str]:
    name = f"hub_topology_{uuid.uuid4().hex[:8]}"
    dsn = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(dsn)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


def nginx_config(workdir: Path, front: int, baseline: int, ports: list[int]) -> Path:
    """deploy/nginx/hub.conf with this run's ports, plus a baseline front to one process."""
    site = _with_servers(NGINX_CONF.read_text(), ports).replace(
        "listen 80;", f"listen 127.0.0.1:{front};"
    )
    baseline_site = (
        _with_servers(NGINX_CONF.read_text(), ports[:1])
        .replace("upstream hub {", "upstream one {")
        .replace("http://hub", "http://one")
        .replace("listen 80;", f"listen 127.0.0.1:{baseline};")
    )
    baseline_site = re.sub(r"map \$http_upgrade.*?\n\}\n", "", baseline_site, flags=re.S)
    (workdir / "hub.conf").write_text(site)
    (workdir / "one.conf").write_text(baseline_site)
    temp = "".join(
        f"  {kind}_temp_path {workdir}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = f"""user root;
worker_processes 2;
worker_rlimit_nofile 16384;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
{temp}  include {workdir}/hub.conf;
  include {workdir}/one.conf;
}}
"""
    path = workdir / "nginx.conf"
    path.write_text(main)
    return path


def _with_servers(site: str, ports: list[int]) -> str:
    """The upstream's ``server`` lines replaced by this run's ports (same parameters)."""
    lines = site.splitlines(keepends=True)
    found = [i for i, line in enumerate(lines) if re.match(r"\s+server 127\.0\.0\.1:\d+", line)]
    template = lines[found[0]]
    servers = [re.sub(r":\d+", f":{port}", template, count=1) for port in ports]
    return "".join(lines[: found[0]] + servers + lines[found[-1] + 1 :])


def start_hub(url: str, redis: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HUB_DATABASE_URL": url,
        "HUB_REDIS_URL": redis,
        "HUB_JWT_SECRET": SECRET,
        "HUB_EVENTS_CHANNEL": f"hub:topology:{port}:events",
        "HUB_SWEEP_INTERVAL_SECONDS": "1",
        "HUB_RATE_LIMIT_PER_MINUTE": "0",
        "HUB_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
        "HUB_WS_MAX_SOCKETS_PER_TOKEN": "5000",
        "HUB_LOG_LEVEL": "warning",
    }
    log = (workdir / f"hub-{port}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--port", str(port)], env=env, stderr=log
    )


def start_nginx(workdir: Path, config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["nginx", "-p", str(workdir), "-c", str(config)])


async def until_ready(client: httpx.AsyncClient, url: str, deadline: float = 120) -> None:
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        with contextlib.suppress(httpx.TransportError):
            if (await client.get(f"{url}/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.2)  # polling a starting server with a deadline
    raise SystemExit(f"{url} never became ready")


async def throughput(client: httpx.AsyncClient, url: str, requests: int, workers: int) -> float:
    remaining = iter(range(requests))

    async def work() -> None:
        for _ in remaining:
            response = await client.get(f"{url}/graphql", params={"query": QUERY})
            response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(workers)))
    return requests / (time.perf_counter() - started)


def killed_in(response: httpx.Response, killed: str) -> bool:
    return killed in response.headers.get("x-hub-upstream", "")


@dataclass
class Load:
    front: str
    hotline: str
    killed: str
    reports: int
    outcome: Outcome = field(default_factory=Outcome)
    kill_at: asyncio.Event = field(default_factory=asyncio.Event)
    killed_now: asyncio.Event = field(default_factory=asyncio.Event)
    done: int = 0

    def report_input(self, index: int) -> dict[str, Any]:
        overdue = index % 10 == 0  # an emergency reported 2 h ago: the sweeper flags it at once
        reported = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2 if overdue else 0)
        return {
            "description": f"井盖缺失 #{index}",
            "categoryCode": "OTHER",
            "source": "HOTLINE_12345",
            "location": GUANGWAI,
            "priority": "EMERGENCY" if overdue else "ROUTINE",
            "reportedAt": reported.isoformat(),
            "externalRef": {"system": "topology", "id": f"r{index}"},
        }

    async def report(self, client: httpx.AsyncClient, index: int) -> None:
        """Report until it is in: a failure on the killed process is retried, same externalRef."""
        body = {"query": REPORT, "variables": {"input": self.report_input(index)}}
        headers = {"Authorization": f"Bearer {self.hotline}"}
        while True:
            try:
                response = await client.post(f"{self.front}/graphql", json=body, headers=headers)
            except httpx.TransportError as error:
                self.outcome.failed_elsewhere.append(f"report {index}: {error!r}")
                return
            if response.status_code == 200 and not response.json()["data"]["reportCase"]["errors"]:
                self.count(response)
                return
            if response.status_code >= 500 and killed_in(response, self.killed):
                self.outcome.failed_on_killed += 1
                continue
            self.outcome.failed_elsewhere.append(
                f"report {index}: {response.status_code} {response.text[:200]}"
            )
            return

    async def query(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"{self.front}/graphql", params={"query": QUERY})
        if response.status_code == 200:
            self.count(response)
        else:
            self.outcome.failed_elsewhere.append(f"query: {response.status_code}")

    def count(self, response: httpx.Response) -> None:
        self.outcome.ok += 1
        if self.killed_now.is_set() and killed_in(response, self.killed):
            self.outcome.touched_killed_after += 1

    async def run(self, client: httpx.AsyncClient, workers: int) -> None:
        indexes = iter(range(self.reports))

        async def work() -> None:
            for index in indexes:
                await self.report(client, index)
                await self.query(client)
                self.done += 1
                if self.done == self.reports // 3:
                    self.kill_at.set()

        await asyncio.gather(*(work() for _ in range(workers)))


async def scalar_rows(url: str, sql: str) -> list[Any]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        return [row[0] for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def until(condition: Any, deadline: float, what: str) -> None:
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        if await condition():
            return
        await asyncio.sleep(0.2)  # polling for a condition, with a deadline
    raise SystemExit(f"timed out waiting for {what}")


async def topology(admin: str, redis: str, subscribers: int, reports: int) -> list[str]:
    """Run the whole check; returns the problems found (none: it passed)."""
    workdir = Path(tempfile.mkdtemp(prefix="hub-topology-"))
    ports = [free_port() for _ in range(3)]
    front, baseline = free_port(), free_port()
    problems: list[str] = []
    async with database(admin) as url:
        env = {**os.environ, "HUB_DATABASE_URL": url, "HUB_JWT_SECRET": SECRET}
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "hub.cli", "init"],
            env=env,
            check=True,
            capture_output=True,
        )
        hubs = [start_hub(url, redis, port, workdir) for port in ports]
        config = nginx_config(workdir, front, baseline, ports)
        nginx = start_nginx(workdir, config)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        try:
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                for port in ports:
                    await until_ready(client, f"http://127.0.0.1:{port}")
                front_url, one_url = f"http://127.0.0.1:{front}", f"http://127.0.0.1:{baseline}"
                await until_ready(client, front_url)
                await until_ready(client, one_url)
                await throughput(client, one_url, 50, 8)  # warm both paths
                one = await throughput(client, one_url, 600, 16)
                three = await throughput(client, front_url, 600, 16)
                print(
                    f"throughput through nginx: one process {one:.0f} req/s,"
                    f" three {three:.0f} req/s"
                    f" ({three / one:.2f}×)",
                    flush=True,
                )
                problems += await under_load(
                    client, url, hubs, ports, front_url, subscribers, reports
                )
        finally:
            nginx.terminate()
            nginx.wait(timeout=30)
            for hub in hubs:
                if hub.poll() is None:
                    hub.terminate()
            for hub in hubs:
                hub.wait(timeout=60)
    return problems


async def under_load(
    client: httpx.AsyncClient,
    url: str,
    hubs: list[subprocess.Popen[bytes]],
    ports: list[int],
    front_url: str,
    count: int,
    reports: int,
) -> list[str]:
    settings = Settings(database_url=url, jwt_secret=SECRET)
    city = mint(settings, role=Role.CITY_PLATFORM, jurisdiction="110000")
    hotline = mint(settings, role=Role.HOTLINE, jurisdiction="110000")
    ws_url = front_url.replace("http://", "ws://") + "/graphql"
    subscribers = [Subscriber(ws_url, city) for _ in range(count)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(s.run(stop)) for s in subscribers]
    await until(lambda: _all_ready(subscribers), 120, "every subscriber's connection_ack")
    victim = 1
    load = Load(front_url, hotline, f"127.0.0.1:{ports[victim]}", reports)
    started = time.perf_counter()
    running = asyncio.create_task(load.run(client, 8))
    await load.kill_at.wait()
    hubs[victim].send_signal(signal.SIGKILL)
    hubs[victim].wait()
    load.killed_now.set()
    print(
        f"killed the hub on port {ports[victim]} with SIGKILL after {load.done} reports", flush=True
    )
    await running
    elapsed = time.perf_counter() - started
    overdue = len(range(0, reports, 10))
    flagged_sql = "SELECT count(*) FROM case_event WHERE type = 'RESPOND_OVERDUE'"

    async def all_flagged() -> bool:
        flagged: int = (await scalar_rows(url, flagged_sql))[0]
        return flagged >= overdue

    await until(all_flagged, 60, "the sweeper to flag every overdue case")
    expected = await scalar_rows(url, "SELECT id FROM case_event ORDER BY id")

    async def delivered() -> bool:
        return all(len(s.seen) >= len(expected) for s in subscribers)

    with contextlib.suppress(SystemExit):
        await until(delivered, 90, "every subscriber to get every event")
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return await verdict(client, url, ports[victim], load, subscribers, expected, overdue, elapsed)


async def _all_ready(subscribers: list[Subscriber]) -> bool:
    return all(s.ready.is_set() for s in subscribers)


async def verdict(
    client: httpx.AsyncClient,
    url: str,
    killed_port: int,
    load: Load,
    subscribers: list[Subscriber],
    expected: list[int],
    overdue: int,
    elapsed: float,
) -> list[str]:
    problems = list(load.outcome.failed_elsewhere)
    wrong = [s for s in subscribers if s.seen != expected]
    if wrong:
        sample = wrong[0]
        problems.append(
            f"{len(wrong)} subscribers missed or repeated events (one saw {len(sample.seen)},"
            f" {len(set(sample.seen))} distinct, of {len(expected)})"
        )
    cases = (await scalar_rows(url, 'SELECT count(*) FROM "case"'))[0]
    refs = (await scalar_rows(url, "SELECT count(DISTINCT external_id) FROM case_external_ref"))[0]
    if cases != load.reports or refs != load.reports:
        problems.append(f"{cases} cases and {refs} references for {load.reports} reports")
    per_case = await scalar_rows(
        url, "SELECT count(*) FROM case_event WHERE type = 'RESPOND_OVERDUE' GROUP BY case_id"
    )
    if len(per_case) != overdue or any(n != 1 for n in per_case):
        problems.append(f"overdue flags per case: {sorted(per_case)} for {overdue} overdue cases")
    try:
        await client.get(f"http://127.0.0.1:{killed_port}/readyz")
        problems.append("the killed process still answers /readyz")
    except httpx.TransportError:
        pass
    reconnected = sum(1 for s in subscribers if s.reconnects)
    print(
        f"{load.reports} reports and {load.reports} queries in {elapsed:.1f} s; "
        f"{load.outcome.failed_on_killed} requests failed on the killed process (retried), "
        f"{len(load.outcome.failed_elsewhere)} elsewhere; "
        f"{reconnected} of {len(subscribers)} subscribers reconnected and resumed, "
        f"each got {len(expected)} events; {overdue} overdue cases flagged once each; "
        f"{load.outcome.touched_killed_after} answers after the kill had tried the dead process",
        flush=True,
    )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=300)
    options = parser.parse_args()
    started = time.perf_counter()
    problems = asyncio.run(
        topology(options.postgres, options.redis, options.subscribers, options.reports)
    )
    print(f"topology check took {time.perf_counter() - started:.0f} s", flush=True)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    if problems:
        raise SystemExit(1)
    print("topology: passed")


if __name__ == "__main__":
    main()
