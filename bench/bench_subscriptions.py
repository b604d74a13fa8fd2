"""Benchmark: live fan-out of a mutation's event to thousands of WebSocket subscribers.

Run: .venv/bin/python -m bench.bench_subscriptions [--postgres ADMIN_URL] [--redis URL]
     [--subscribers N] [--clients P] [--rounds R]

Real `hub serve` processes on a fresh PostgreSQL database (Beijing loaded), real sockets on
loopback.  N subscribers (default 10,000, each with a token of its own) watch one emergency
whistle; P client processes (default 4) hold the sockets, answer the server's pings and note
when each event arrives: Node.js with ``ws`` (``bench/subscribers.mjs``, from tests/js's
packages), or with ``--client python`` the same in Python with ``websockets`` (more CPU per
message, on the cores the hub shares).  Each process checks that every socket has every
round's event exactly once.  Each round is one `reportIn` mutation over HTTP; its latency, per
subscriber, is from just before the request is sent to the event's arrival on that socket.

- one hub process (in-process bus), N subscribers; baseline in the same run: 100 subscribers;
- two hub processes through Redis, N/2 subscribers on each, the mutation sent to the second;
- memory per idle subscriber: the hub process's RSS with N subscribed sockets, less its RSS
  before any, divided by N.  Aim: p99 < 1 s for N = 10,000;
- CPU per delivery: the hub processes' CPU time (user + system, workers included) over the
  timed rounds, divided by the events delivered (subscribers x rounds).  Unlike latency, this
  compares across machines and holds on a loaded one.  The client processes' CPU per
  message, the same way: the load generator's share of the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

import httpx
import websockets

from bench.bench_demo import postgres_database
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings

SECRET = "bench-secret-bench-secret-bench-secret-01"
SETTINGS = Settings(jwt_secret=SECRET)
PINGGU, JINHAIHU = "110117", "110117006"
MINE = {"lat": 40.1616, "lng": 117.3186}
KINDS = ["PUBLIC_SECURITY", "ECOLOGY_ENVIRONMENT", "EMERGENCY_MANAGEMENT", "WATER", "TRANSPORT"]
KINDS += ["HEALTH", "FIRE_RESCUE", "LANDSCAPING", "CIVIL_AFFAIRS", "GAS_SUPPLY", "POWER_SUPPLY"]
SUBSCRIPTION = """subscription($number: String!, $after: ID) {
  whistleEvents(whistleNumber: $number, after: $after) {
    id type at actor { sub role } summons { status arrivedAt department { code name } }
    whistle { number status }
  }
}"""
REPORT = """mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { number } } }"""
BLOW = """mutation($input: BlowWhistleInput!) { blowWhistle(input: $input) {
  whistle { number summons { id department { code } } } errors { code message } } }"""
REPORT_IN = """mutation($input: ReportInInput!) { reportIn(input: $input) { errors { code } } }"""
CONNECTS_AT_ONCE = 64
SOCKETS_PER_ADDRESS = 20_000  # client sockets per loopback source address (ports: ~28,000)
# The first loopback source address's last byte: another run on the machine may hold 127.0.0.1's.
FIRST_ADDRESS = int(os.environ.get("HUB_BENCH_FIRST_ADDRESS", "1"))
TIMEOUT = float(os.environ.get("HUB_BENCH_TIMEOUT_SECONDS", "300"))  # per step; more when loaded


# ── hub processes ─────────────────────────────────────────────────────────────────────────


@dataclass
class Hub:
    url: str
    pid: int

    def rss_mib(self) -> float:
        return sum(_rss_kib(pid) for pid in _tree(self.pid)) / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process and its workers so far."""
        return sum(_cpu_seconds(pid) for pid in _tree(self.pid))


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``hub serve --workers N`` forks N workers)."""
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        found.append(parent)
        for task in os.listdir(f"/proc/{parent}/task"):
            with open(f"/proc/{parent}/task/{task}/children") as children:
                pending.extend(int(child) for child in children.read().split())
    return found


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        found = re.search(r"VmRSS:\s+(\d+) kB", status.read())
    assert found
    return int(found.group(1))


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


@contextmanager
def hub_process(database_url: str, workers: int = 1, **environment: str) -> Iterator[Hub]:
    env = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_JWT_SECRET": SECRET,
        "HUB_SWEEP_INTERVAL_SECONDS": "0",
        "HUB_RATE_LIMIT_PER_MINUTE": "0",
        # Pings go out as usual; on a loaded machine client processes may answer late.
        "HUB_WS_PONG_TIMEOUT_SECONDS": "300",
        **environment,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--port", "0", "--workers", str(workers)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    stderr = process.stderr
    try:
        for line in stderr:
            if found := re.search(r"running on (http://\S+)", line, re.IGNORECASE):
                break
        else:
            raise RuntimeError("hub serve exited before listening")
        drain = threading.Thread(target=lambda: [None for _ in stderr], daemon=True)
        drain.start()
        wait_ready(found.group(1))
        yield Hub(found.group(1), process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)


def wait_ready(url: str, deadline_seconds: float = 120.0) -> None:
    """Until ``/readyz`` answers 200: with ``--workers`` the port is bound before any worker
    has started."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not ready in {deadline_seconds:.0f} s")
        time.sleep(0.2)


# ── the whistle the subscribers watch ─────────────────────────────────────────────────────


async def graphql(client: httpx.AsyncClient, query: str, token: str, **input: Any) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": {"input": input}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def blow_whistle(url: str) -> tuple[str, dict[str, str]]:
    """Jinhaihu's emergency whistle summoning Pinggu's departments: number, summons ids."""
    town = mint(SETTINGS, role=Role.STREET_OFFICE, jurisdiction=JINHAIHU, sub="jinhaihu")
    departments = [f"{PINGGU}.{kind}" for kind in KINDS]
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        case = await graphql(
            client, REPORT, town, description="盗采金矿", categoryCode="OTHER",
            source="GRID_PATROL", location=MINE,
        )  # fmt: skip
        blown = await graphql(
            client, BLOW, town, callerCode=JINHAIHU, kind="EMERGENCY",
            caseNumbers=[case["case"]["number"]], departmentCodes=departments, reason="基准测试",
        )  # fmt: skip
    assert blown["errors"] == [], blown["errors"]
    whistle = blown["whistle"]
    summons = {s["department"]["code"]: s["id"] for s in whistle["summons"]}
    return whistle["number"], summons


async def report_in(url: str, department: str, summons_id: str) -> None:
    token = mint(
        SETTINGS, role=Role.DEPARTMENT, jurisdiction=PINGGU, department=department, sub=department
    )
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        payload = await graphql(client, REPORT_IN, token, summonsId=summons_id, location=MINE)
    assert payload["errors"] == [], payload["errors"]


# ── client processes ──────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Share:
    """One client process's sockets: (ws url, token, local address) each, and what they
    subscribe to.  One address and server port allow ~28,000 connections: tens of thousands
    of sockets come from several loopback addresses (127.0.0.x)."""

    sockets: list[tuple[str, str, str]]
    variables: dict[str, Any]
    warmup_events: int


def as_batch() -> None:
    """Run this process (a client) as SCHED_BATCH: the hub shares its cores with the load
    generator, and an ordinary client woken by each event it is sent would preempt the hub
    process writing it to the next socket, a context switch per delivery.  A batch process
    does not preempt on waking; it runs when the hub waits or its time slice ends."""
    os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def client_main(share: Share, pipe: Connection) -> None:
    as_batch()
    asyncio.run(_client(share, pipe))


async def _client(share: Share, pipe: Connection) -> None:
    arrivals: dict[int, list[float]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    total = len(share.sockets)
    warm = asyncio.Event()
    warmed = 0
    failures: list[str] = []
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)
    loop = asyncio.get_running_loop()

    def arrived(event_id: int, at: float) -> None:
        nonlocal warmed
        arrivals[event_id].append(at)
        counts[event_id] += 1
        if counts[event_id] == total:
            pipe.send(("got", event_id))

    async def subscriber(url: str, token: str, address: str) -> None:
        nonlocal warmed
        try:
            async with gate:
                connection = await websockets.connect(
                    url,
                    subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
                    open_timeout=TIMEOUT,
                    ping_interval=None,
                    max_queue=None,
                    local_addr=(address, 0),
                )
                init = {"authorization": f"Bearer {token}"}
                await connection.send(json.dumps({"type": "connection_init", "payload": init}))
                await connection.recv()
                payload = {"query": SUBSCRIPTION, "variables": share.variables}
                await connection.send(
                    json.dumps({"id": "1", "type": "subscribe", "payload": payload})
                )
            seen = 0
            async for raw in connection:
                at = time.monotonic()
                message = json.loads(raw)
                if message["type"] == "ping":
                    await connection.send('{"type":"pong"}')
                elif message["type"] == "next":
                    seen += 1
                    if seen == share.warmup_events:
                        warmed += 1
                        if warmed == total:
                            warm.set()
                    elif seen > share.warmup_events:
                        arrived(int(message["payload"]["data"]["whistleEvents"]["id"]), at)
                else:
                    failures.append(raw if isinstance(raw, str) else raw.decode())
                    return
        except Exception as error:
            failures.append(repr(error))

    tasks = [asyncio.create_task(subscriber(*socket)) for socket in share.sockets]
    waiting = asyncio.ensure_future(warm.wait())
    while not waiting.done():
        await asyncio.wait([waiting], timeout=1.0)
        if failures:
            pipe.send(("failed", failures[:3]))
            return
    pipe.send(("ready", total))
    await loop.run_in_executor(None, pipe.recv)  # until the parent asks for the samples
    pipe.send(("samples", dict(arrivals), failures[:3]))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


NODE_CLIENT = Path(__file__).with_name("subscribers.mjs")


class NodeClient:
    """A client process in Node.js (``bench/subscribers.mjs``) holding one share's sockets, with
    the pipe's and the process's interface as the benchmark uses them: its JSON lines are the
    Python client's messages.  Its arrival times are on CLOCK_MONOTONIC, ``time.monotonic()``'s
    clock: checked against this process's clock as it starts."""

    def __init__(self, share: Share) -> None:
        if not (NODE_CLIENT.parent.parent / "tests/js/node_modules/ws").is_dir():
            raise RuntimeError(
                "tests/js/node_modules has no ws: run `make tests/js/node_modules/.installed`"
            )
        before = time.monotonic()
        self.process = subprocess.Popen(
            ["node", str(NODE_CLIENT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=as_batch,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.pid = self.process.pid
        self.lines: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.next: tuple[Any, ...] | None = None
        stdout = self.process.stdout
        threading.Thread(target=self._read, args=(stdout,), daemon=True).start()
        kind, at = self.lines.get(timeout=60)
        assert kind == "clock", kind
        assert before <= at <= time.monotonic(), (
            "Node's clock is not time.monotonic()",
            before,
            at,
        )
        self.send({
            "sockets": share.sockets,
            "variables": share.variables,
            "query": SUBSCRIPTION,
            "warmupEvents": share.warmup_events,
            "connectsAtOnce": CONNECTS_AT_ONCE,
            "timeoutMs": TIMEOUT * 1000,
        })  # fmt: skip

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            try:
                self.lines.put(tuple(json.loads(line)))
            except ValueError:
                self.lines.put(("failed", [f"not a JSON line ({len(line)}): {line[:300]!r}"]))

    def send(self, message: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def poll(self, timeout: float) -> bool:
        if self.next is None:
            try:
                self.next = self.lines.get(timeout=timeout)
            except queue.Empty:
                return False
        return True

    def recv(self) -> tuple[Any, ...]:
        if self.next is None:
            self.next = self.lines.get()
        message, self.next = self.next, None
        if message[0] == "samples":  # event ids are JSON object keys
            message = ("samples", {int(k): v for k, v in message[1].items()}, message[2])
        return message

    def join(self, timeout: float) -> None:
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()


# ── one measurement ───────────────────────────────────────────────────────────────────────


@dataclass
class Result:
    subscribers: int
    first: float
    p50: float
    p99: float
    worst: float
    rss_per_subscriber_kib: float
    cpu_per_delivery_us: float
    client_cpu_per_message_us: float
    rounds: list[list[float]]  # each round's latencies


def receive(pipe: Connection | NodeClient, kind: str) -> tuple[Any, ...]:
    if not pipe.poll(TIMEOUT):
        raise TimeoutError(f"a client process sent no {kind!r} in {TIMEOUT:.0f} s")
    message: tuple[Any, ...] = pipe.recv()
    if message[0] == "failed":
        raise RuntimeError(f"subscribers failed: {message[1]}")
    assert message[0] == kind, message
    return message


def fanout(
    hubs: list[Hub], subscribers: int, clients: int, rounds: int, client: str = "node"
) -> Result:
    """Subscribe ``subscribers`` sockets spread over ``hubs``; time ``rounds`` report-ins."""
    target = hubs[-1].url
    number, summons = asyncio.run(blow_whistle(target))
    departments = list(summons)
    assert len(departments) > rounds
    ws_urls = [hub.url.replace("http://", "ws://") + "/graphql" for hub in hubs]
    tag = uuid.uuid4().hex[:6]
    sockets = [
        (
            ws_urls[i % len(ws_urls)],
            mint(SETTINGS, role=Role.DISTRICT_PLATFORM, jurisdiction=PINGGU, sub=f"b{tag}{i}"),
            f"127.0.0.{FIRST_ADDRESS + i // SOCKETS_PER_ADDRESS}",
        )
        for i in range(subscribers)
    ]
    # After 0: each subscriber first gets the whistle's two events so far (proof it is in).
    variables = {"number": number, "after": "0"}
    shares = [Share(sockets[i::clients], variables, warmup_events=2) for i in range(clients)]
    before = sum(hub.rss_mib() for hub in hubs)
    pipes: list[Connection | NodeClient] = []
    processes: list[multiprocessing.process.BaseProcess | NodeClient] = []
    for share in shares:
        if client == "node":
            node = NodeClient(share)
            pipes.append(node)
            processes.append(node)
            continue
        parent, child = multiprocessing.get_context("spawn").Pipe()
        spawned = multiprocessing.get_context("spawn").Process(
            target=client_main, args=(share, child), daemon=True
        )
        spawned.start()
        pipes.append(parent)
        processes.append(spawned)
    try:
        for pipe in pipes:
            receive(pipe, "ready")
        asyncio.run(report_in(target, departments[0], summons[departments[0]]))  # warm-up
        for pipe in pipes:
            receive(pipe, "got")
        idle = sum(hub.rss_mib() for hub in hubs)
        cpu_before = sum(hub.cpu_seconds() for hub in hubs)
        client_cpu_before = sum(_cpu_seconds(p.pid) for p in processes if p.pid)
        started: dict[int, float] = {}
        for department in departments[1 : rounds + 1]:
            at = time.monotonic()
            asyncio.run(report_in(target, department, summons[department]))
            event_ids = {receive(pipe, "got")[1] for pipe in pipes}
            assert len(event_ids) == 1, event_ids
            started[event_ids.pop()] = at
        cpu = sum(hub.cpu_seconds() for hub in hubs) - cpu_before
        client_cpu = sum(_cpu_seconds(p.pid) for p in processes if p.pid) - client_cpu_before
        latencies: dict[int, list[float]] = {event_id: [] for event_id in started}
        for pipe in pipes:
            pipe.send("samples")
            _, arrivals, failures = receive(pipe, "samples")
            assert not failures, failures
            for event_id, at in started.items():
                latencies[event_id].extend(arrival - at for arrival in arrivals[event_id])
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    samples = [latency for each in latencies.values() for latency in each]
    assert len(samples) == subscribers * rounds, (len(samples), subscribers, rounds)
    quantiles = statistics.quantiles(samples, n=100)
    return Result(
        subscribers,
        min(samples),
        quantiles[49],
        quantiles[98],
        max(samples),
        (idle - before) * 1024 / subscribers,
        cpu * 1e6 / (subscribers * rounds),
        client_cpu * 1e6 / (subscribers * rounds),
        list(latencies.values()),
    )


# ── the run ───────────────────────────────────────────────────────────────────────────────


def raise_open_files(needed: int, holders: int) -> int:
    """Raise this process's (and so its children's) open-file limit; the sockets it allows.

    The limit is per process: ``needed`` sockets spread over ``holders`` processes on each
    side (hub workers, client processes) need ``needed / holders`` each."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = -(-needed // holders) + 1000
    if hard < wanted:
        try:  # root may raise the hard limit too (not without CAP_SYS_RESOURCE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return needed
        except (ValueError, OSError):
            pass
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return min(needed, (hard - 1000) * holders)


def load_beijing(url: str) -> None:
    env = {**os.environ, "HUB_DATABASE_URL": url, "HUB_JWT_SECRET": SECRET}
    subprocess.run(
        [sys.executable, "-m", "hub.cli", "demo", "--no-serve", "--cases-per-day", "0"],
        env=env,
        check=True,
        capture_output=True,
    )


def row(label: str, result: Result, baseline: Result | None) -> str:
    ratio = f"{result.p99 / baseline.p99:.1f}×" if baseline else "1×"
    return (
        f"| {label} | {result.subscribers:,} | {result.first * 1000:.0f} ms "
        f"| {result.p50 * 1000:.0f} ms | {result.p99 * 1000:.0f} ms "
        f"| {result.worst * 1000:.0f} ms | {ratio} | {result.cpu_per_delivery_us:.0f} µs "
        f"| {result.client_cpu_per_message_us:.0f} µs | {os.getloadavg()[0]:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "HUB_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("HUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--runs",
        default="one,redis",
        help="which fan-outs, comma-separated: one (one process), redis (two through Redis),"
        " workers (one `hub serve --workers W` through Redis, every socket on its one port)",
    )
    parser.add_argument("--workers", type=int, default=2, help="W for the workers fan-out")
    parser.add_argument(
        "--client",
        choices=["node", "python"],
        default="node",
        help="the subscribers' client processes: Node.js and ws (bench/subscribers.mjs, less"
        " CPU per message) or Python and websockets",
    )
    args = parser.parse_args()
    chosen = set(args.runs.split(","))
    # The fewest processes holding one side's sockets: one hub process, or W workers, or the
    # client processes.
    serving = 1 if chosen & {"one", "redis"} else args.workers
    many = raise_open_files(args.subscribers, min(serving, args.clients))
    if many < args.subscribers:
        print(f"(open-file limit: {many:,} subscribers instead of {args.subscribers:,})")
    channel = f"hub-bench:{uuid.uuid4().hex}:"
    redis = {"HUB_REDIS_URL": args.redis, "HUB_EVENTS_CHANNEL": f"{channel}events"}
    runs: list[tuple[str, int, dict[str, str], int, int]] = []  # label, N, env, hubs, workers
    if "one" in chosen:
        runs += [("one process, baseline", 100, {}, 1, 1), ("one process", many, {}, 1, 1)]
    if "redis" in chosen:
        runs += [
            ("two processes through Redis, baseline", 100, redis, 2, 1),
            ("two processes through Redis", many, redis, 2, 1),
        ]
    if "workers" in chosen:
        label = f"`--workers {args.workers}` through Redis"
        runs += [
            (f"{label}, baseline", 100, redis, 1, args.workers),
            (label, many, redis, 1, args.workers),
        ]
    lines, memory = [], ""
    with postgres_database(args.postgres)() as url:
        load_beijing(url)
        baseline: Result | None = None
        for label, count, environment, processes, workers in runs:
            with ExitStack() as stack:
                hubs = [
                    stack.enter_context(hub_process(url, workers, **environment))
                    for _ in range(processes)
                ]
                result = fanout(hubs, count, args.clients, args.rounds, args.client)
            if "baseline" in label:
                baseline = result
            lines.append(row(label, result, None if "baseline" in label else baseline))
            if processes == 1 and workers == 1 and count == many:
                memory = f"{result.rss_per_subscriber_kib:.0f} KiB per idle subscriber"
            print(lines[-1], flush=True)
    print(f"\n(load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(
        "\n| fan-out | subscribers | first | p50 | p99 | worst | p99 / baseline"
        " | CPU per delivery | clients' CPU per message | load average |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(lines))
    print(f"\nmemory: {memory} (one process: RSS with {many:,} sockets subscribed, less before)")


if __name__ == "__main__":
    main()
