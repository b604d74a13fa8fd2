"""Benchmark: where an idle WebSocket subscriber's RSS goes, by allocator, without tracemalloc.

Run: .venv/bin/python -m bench.bench_subscriber_rss [--subscribers N] [--loop uvloop|asyncio]
     [--at-once K] [--postgres ADMIN_URL] [--classes]

The hub served in this process as ``bench.bench_subscriber_memory`` serves it (the protocols of
``hub serve``; on uvloop, as ``hub serve`` runs, unless ``--loop asyncio``), no tracemalloc.
After a warm-up of 100 sockets, N sockets subscribe, K connecting at once (the benchmark's
clients: 64); with all of them idle, per socket: the RSS grown (``/proc/self/status``), by
mapping (``/proc/self/smaps``: the heap, anonymous mappings), beside what the allocators account
for: pymalloc's blocks in use and free in its arenas (``sys._debugmallocstats``) and glibc's
malloc, in use and free (``mallinfo2``).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import multiprocessing
import os
import re
import sys
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import bench.bench_subscriptions as subscriptions
from bench.bench_subscriber_memory import WARM_UP, database, serve_in_process, until
from bench.bench_subscriptions import (
    PINGGU,
    SETTINGS,
    Share,
    load_beijing,
    raise_open_files,
)
from hub.auth.actors import Role
from hub.auth.tokens import mint


def client_at_once(share: Share, pipe: Connection, at_once: int) -> None:
    subscriptions.CONNECTS_AT_ONCE = at_once
    subscriptions.client_main(share, pipe)


def clients(url: str, count: int, variables: dict[str, Any], at_once: int) -> Connection:
    tag = uuid.uuid4().hex[:6]
    sockets = [
        (url, mint(SETTINGS, role=Role.DISTRICT_PLATFORM, jurisdiction=PINGGU, sub=f"r{tag}{i}"),
         "127.0.0.1")
        for i in range(count)
    ]  # fmt: skip
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(
        target=client_at_once,
        args=(Share(sockets, variables, warmup_events=2), child, at_once),
        daemon=True,
    )
    process.start()
    return parent


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost",
        )
    ]  # fmt: skip


@dataclass
class Sample:
    rss: int  # bytes
    heap: int
    anonymous: int
    other: int
    pymalloc: dict[str, int]
    classes: dict[int, tuple[int, int, int]]  # size: pools, blocks in use, available blocks
    malloc_in_use: int
    malloc_free: int
    malloc_mmapped: int


def pymalloc_stats() -> tuple[dict[str, int], dict[int, tuple[int, int, int]]]:
    """``sys._debugmallocstats``'s figures (it writes to the C stderr)."""
    with tempfile.TemporaryFile("w+") as out:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read()
    figures: dict[str, int] = {}
    classes: dict[int, tuple[int, int, int]] = {}
    for line in text.splitlines():
        if found := re.match(r"\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", line):
            size, pools, used, available = map(int, found.groups())
            classes[size] = (pools, used, available)
        elif found := re.match(r"#? ?(.*?)\s+=\s+([\d,]+)$", line):
            name = found.group(1)
            if "unused pools" in name:
                name = "unused pools"
            elif "bytes/arena" in name:
                name = "arenas (bytes)"
            if name == "Total" and "Total" in figures:
                continue  # the arena map's total
            figures[name] = int(found.group(2).replace(",", ""))
    return figures, classes


def sample() -> Sample:
    gc.collect()
    with open("/proc/self/status") as status:
        found = re.search(r"VmRSS:\s+(\d+) kB", status.read())
    assert found
    heap = anonymous = other = 0
    name = ""
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                name = parts[5] if len(parts) > 5 else ""
            elif line.startswith("Rss:"):
                size = int(line.split()[1]) * 1024
                if name == "[heap]":
                    heap += size
                elif name == "":
                    anonymous += size
                else:
                    other += size
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    figures, classes = pymalloc_stats()
    return Sample(
        int(found.group(1)) * 1024, heap, anonymous, other, figures, classes,
        info.uordblks + info.hblkhd, info.fordblks, info.hblkhd,
    )  # fmt: skip


def report(label: str, before: Sample, after: Sample, n: int, classes: bool) -> None:
    def per(a: int, b: int) -> str:
        return f"{(b - a) / n / 1024:7.2f} KiB"

    print(f"\n{label}: per socket ({n:,} sockets)")
    print(f"  RSS                               {per(before.rss, after.rss)}")
    print(f"    [heap]                          {per(before.heap, after.heap)}")
    print(f"    anonymous mappings              {per(before.anonymous, after.anonymous)}")
    print(f"    other mappings                  {per(before.other, after.other)}")
    for name in (
        "arenas (bytes)", "bytes in allocated blocks", "bytes in available blocks",
        "unused pools", "bytes lost to pool headers", "bytes lost to quantization",
        "bytes lost to arena alignment",
    ):  # fmt: skip
        print(f"  pymalloc {name:<25}{per(before.pymalloc[name], after.pymalloc[name])}")
    print(f"  malloc in use (with mmapped)      {per(before.malloc_in_use, after.malloc_in_use)}")
    print(f"  malloc free in its heap           {per(before.malloc_free, after.malloc_free)}")
    print(f"  malloc mmapped chunks             {per(before.malloc_mmapped, after.malloc_mmapped)}")
    live = (
        after.pymalloc["bytes in allocated blocks"] - before.pymalloc["bytes in allocated blocks"]
    ) + (after.malloc_in_use - before.malloc_in_use)
    print(f"  live (pymalloc blocks + malloc)   {live / n / 1024:7.2f} KiB")
    if classes:
        print("  size class: blocks in use, available blocks, pools (per socket)")
        for size in sorted(after.classes):
            pools, used, available = after.classes[size]
            p0, u0, a0 = before.classes.get(size, (0, 0, 0))
            if abs(pools - p0) / n > 0.01:
                print(
                    f"    {size:4d}  {(used - u0) / n:6.2f}  {(available - a0) / n:6.2f}"
                    f"  {(pools - p0) / n:6.3f}"
                )


async def measure(options: argparse.Namespace, database_url: str) -> None:
    os.environ.update(
        HUB_DATABASE_URL=database_url,
        HUB_JWT_SECRET=subscriptions.SECRET,
        HUB_SWEEP_INTERVAL_SECONDS="0",
        HUB_RATE_LIMIT_PER_MINUTE="0",
        HUB_WS_PONG_TIMEOUT_SECONDS="300",
        HUB_LOG_LEVEL="warning",
    )
    from hub.commands.serving import protocols

    server, serving, ws_url, variables = await serve_in_process(0, protocols())

    start = sample()
    warm = clients(ws_url, WARM_UP, variables, options.at_once)
    await until(warm, "ready")
    warmed = sample()
    collected: Counter[int | str] = Counter()

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collected[info["generation"]] += info["collected"]
            collected[f"runs {info['generation']}"] += 1

    gc.callbacks.append(note)
    if options.garbage:
        gc.set_debug(gc.DEBUG_SAVEALL)
    pipes = []
    peak = [0, 0]

    async def watch() -> None:
        while True:
            await asyncio.sleep(0.05)
            peak[0] = max(peak[0], len(asyncio.all_tasks()))
            peak[1] = max(peak[1], gc.get_count()[0])

    watcher = asyncio.create_task(watch())
    for _ in range(options.batches):
        pipes.append(clients(ws_url, options.subscribers, variables, options.at_once))
        await until(pipes[-1], "ready")
        await asyncio.sleep(1.0)  # the last sockets' subscribe tails settle
        gc.callbacks.remove(note)
        print(f"most tasks at once: {peak[0]}; largest young generation seen: {peak[1]}")
        n = len(pipes) * options.subscribers
        print(f"cyclic garbage collected while subscribing: {dict(collected)}")
        print(f"  per socket: {sum(v for k, v in collected.items() if isinstance(k, int)) / n:.1f}")
        if options.garbage:
            gc.collect()
            kinds = Counter(type(o).__qualname__ for o in gc.garbage)
            sizes: Counter[str] = Counter()
            for o in gc.garbage:
                sizes[type(o).__qualname__] += sys.getsizeof(o)
            total = sum(sizes.values())
            print(f"garbage per socket: {len(gc.garbage) / n:.1f} objects, {total / n:.0f} B")
            for name, count in kinds.most_common(30):
                print(f"  {count / n:6.2f} {sizes[name] / n:7.0f} B  {name}")
            gc.set_debug(0)
            gc.garbage.clear()
        after = sample()
        report(
            f"{len(pipes) * options.subscribers:,} sockets, {options.at_once} at once",
            warmed, after, len(pipes) * options.subscribers, options.classes,
        )  # fmt: skip
    watcher.cancel()
    report("the warm-up's 100 sockets (fixed costs included)", start, warmed, WARM_UP, False)
    for pipe in [*pipes, warm]:
        pipe.send("samples")
        await until(pipe, "samples")
    server.should_exit = True
    await serving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument("--batches", type=int, default=1, help="subscribe N this many times")
    parser.add_argument("--at-once", type=int, default=subscriptions.CONNECTS_AT_ONCE)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL to create the database in")
    parser.add_argument("--garbage", action="store_true", help="what the collector frees")
    parser.add_argument("--classes", action="store_true", help="pymalloc's size classes too")
    options = parser.parse_args()
    raise_open_files(options.subscribers * options.batches + WARM_UP, 1)
    with database(options.postgres, None) as url:
        load_beijing(url)
        if options.loop == "uvloop":
            import uvloop

            uvloop.run(measure(options, url))
        else:
            asyncio.run(measure(options, url))


if __name__ == "__main__":
    main()
