"""Benchmark: what an idle WebSocket subscriber holds in the hub, by where it was allocated.

Run: .venv/bin/python -m bench.bench_subscriber_memory [--subscribers N] [--postgres ADMIN_URL]
     [--ws PROTOCOL] [--top K]

The hub served in this process by uvicorn (the protocols of ``hub serve``, or uvicorn's ``ws``
implementation named by ``--ws``), on a fresh database with Beijing loaded (SQLite, or
PostgreSQL with ``--postgres``), under ``tracemalloc``.  A client process opens N sockets as
``bench.bench_subscriptions`` does (``graphql-transport-ws``, a token each, one emergency
whistle's events after 0: two replayed events each), after a warm-up of 100 such sockets.
With all of them subscribed and idle, the Python memory allocated since the warm-up, per
socket, is given grouped by the allocation's traceback, and summed by the layer that made it
(the innermost frame in a known package), beside the RSS grown per socket.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import linecache
import multiprocessing
import os
import tempfile
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import uvicorn

from bench.bench_demo import postgres_database
from bench.bench_subscriptions import (
    PINGGU,
    SECRET,
    SETTINGS,
    Share,
    blow_whistle,
    client_main,
    load_beijing,
    raise_open_files,
)
from hub.auth.actors import Role
from hub.auth.tokens import mint

WARM_UP = 100
FRAMES = 40  # traceback depth kept by tracemalloc
LAYERS = [  # (label, path fragment): the innermost frame of an allocation names its layer
    ("hub events", "/hub/events/"),
    ("hub live schema", "/schema/live/"),
    ("hub schema", "/schema/"),
    ("hub other", "/hub/"),
    ("strawberry ws handler", "/strawberry/subscriptions/"),
    ("strawberry extensions", "/strawberry/extensions/"),
    ("strawberry schema", "/strawberry/schema/"),
    ("strawberry other", "/strawberry/"),
    ("graphql-core", "/graphql/"),
    ("starlette", "/starlette/"),
    ("uvicorn", "/uvicorn/"),
    ("websockets", "/websockets/"),
    ("wsproto", "/wsproto/"),
    ("h11", "/h11/"),
    ("asyncio", "/asyncio/"),
]


def layer(traceback: tracemalloc.Traceback) -> str:
    for frame in reversed(traceback):  # most recent first
        for label, fragment in LAYERS:
            if fragment in frame.filename:
                return label
    return "other"


def short(filename: str) -> str:
    for marker in ("site-packages/", "/wt/", "/lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    return filename


@contextmanager
def database(postgres: str | None, given: str | None) -> Iterator[str]:
    if given:  # loaded already
        yield given
        return
    if postgres:
        with postgres_database(postgres)() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"


def clients(url: str, count: int, variables: dict[str, Any]) -> tuple[Any, Connection]:
    tag = uuid.uuid4().hex[:6]
    sockets = [
        (url, mint(SETTINGS, role=Role.DISTRICT_PLATFORM, jurisdiction=PINGGU, sub=f"m{tag}{i}"),
         "127.0.0.1")
        for i in range(count)
    ]  # fmt: skip
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=client_main, args=(Share(sockets, variables, warmup_events=2), child), daemon=True
    )
    process.start()
    return process, parent


async def until(pipe: Connection, kind: str) -> None:
    message = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    if message[0] != kind:
        raise RuntimeError(f"client process: {message}")


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def measure(options: argparse.Namespace, database_url: str) -> None:
    os.environ.update(
        HUB_DATABASE_URL=database_url,
        HUB_JWT_SECRET=SECRET,
        HUB_SWEEP_INTERVAL_SECONDS="0",
        HUB_RATE_LIMIT_PER_MINUTE="0",
        HUB_WS_PONG_TIMEOUT_SECONDS="300",
        HUB_LOG_LEVEL="warning",
    )
    from hub.commands.serving import protocols

    settings = protocols()
    if options.ws:
        settings["ws"] = options.ws
    server, serving, ws_url, variables = await serve_in_process(options.port, settings)

    warm, warm_pipe = clients(ws_url, WARM_UP, variables)
    await until(warm_pipe, "ready")
    gc.collect()
    tracemalloc.start(FRAMES)
    before, rss_before = tracemalloc.take_snapshot(), rss_kib()
    objects_before = Counter(type(o).__qualname__ for o in gc.get_objects())

    many, many_pipe = clients(ws_url, options.subscribers, variables)
    await until(many_pipe, "ready")
    await asyncio.sleep(1.0)  # the last sockets' subscribe tails settle
    gc.collect()
    after, rss_after = tracemalloc.take_snapshot(), rss_kib()
    objects_after = Counter(type(o).__qualname__ for o in gc.get_objects())
    tracemalloc.stop()
    n = options.subscribers
    if options.dump:
        before.dump(f"{options.dump}.before")
        after.dump(f"{options.dump}.after")
    report(before, after, n, options.top)
    grown = objects_after - objects_before
    print(f"\nobjects tracked by the collector, per socket: {grown.total() / n:.0f}")
    for name, count in grown.most_common(25):
        print(f"  {count / n:6.2f}  {name}")
    print(f"\nRSS grown per socket: {(rss_after - rss_before) / n:.1f} KiB (tracemalloc running)")

    for pipe, process in ((many_pipe, many), (warm_pipe, warm)):
        pipe.send("samples")
        await until(pipe, "samples")
        process.join(timeout=60)
    server.should_exit = True
    await serving


def report(before: Any, after: Any, n: int, top: int) -> None:
    stats = after.compare_to(before, "traceback")
    total = sum(stat.size_diff for stat in stats)
    print(f"Python memory allocated per idle socket: {total / n / 1024:.2f} KiB\n")
    layers: Counter[str] = Counter()
    for stat in stats:
        layers[layer(stat.traceback)] += stat.size_diff
    print("by layer (innermost known frame of the allocation):")
    for name, size in layers.most_common():
        print(f"  {size / n / 1024:6.2f} KiB  {name}")
    print(f"\ntop {top} allocation tracebacks (bytes per socket, count per socket):")
    for stat in sorted(stats, key=lambda s: -s.size_diff)[:top]:
        if stat.size_diff / n < 8:
            break
        size, count = stat.size_diff / n, stat.count_diff / n
        print(f"\n{size:8.0f} B  {count:5.2f}x  [{layer(stat.traceback)}]")
        for frame in list(reversed(stat.traceback))[:8]:  # innermost first
            line = linecache.getline(frame.filename, frame.lineno).strip()
            print(f"      {short(frame.filename)}:{frame.lineno}  {line[:90]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL to create the database in")
    parser.add_argument("--database", help="a database URL with Beijing loaded already")
    parser.add_argument("--ws", help="uvicorn's ws implementation (default: the hub's)")
    parser.add_argument("--dump", help="save the two snapshots as DUMP.before, DUMP.after")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--top", type=int, default=40)
    options = parser.parse_args()
    raise_open_files(options.subscribers + WARM_UP, 1)
    with database(options.postgres, options.database) as url:
        if not options.database:
            load_beijing(url)
        asyncio.run(measure(options, url))


async def serve_in_process(
    port: int, settings: dict[str, Any]
) -> tuple[uvicorn.Server, asyncio.Task[None], str, dict[str, Any]]:
    """``hub serve``'s app served in this process on ``port`` (0: any) with uvicorn
    ``settings``, and an emergency whistle blown on it: the server, its task, the WebSocket URL
    and the variables of a subscription to the whistle's events from the start."""
    config = uvicorn.Config(
        "hub.app:create_app", factory=True, port=port, log_level="warning", **settings
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 -- uvicorn offers no event for it
        await asyncio.sleep(0.1)
    bound = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{bound}"
    number, _ = await blow_whistle(url)
    return (
        server,
        serving,
        url.replace("http://", "ws://") + "/graphql",
        {
            "number": number,
            "after": "0",
        },
    )


if __name__ == "__main__":
    main()
