"""Benchmark: the RSS of an idle WebSocket on a bare uvicorn server, the floor under the hub's.

Run: .venv/bin/python -m bench.bench_socket_floor [--sockets N] [--ws PROTOCOL]

uvicorn on uvloop with h11, as ``hub serve`` runs it, serving an ASGI app that accepts each
socket and waits for its close, nothing else; a client process opens 100 sockets, then N more
(64 connecting at once).  Each time: this process's RSS grown per socket.  ``--ws`` names
uvicorn's WebSocket protocol: its ``websockets-sansio`` by default, or the hub's
(``hub.events.frames:FramedProtocol``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import re
from multiprocessing.connection import Connection
from typing import Any

import uvicorn
import uvloop

from bench.bench_subscriptions import raise_open_files

WARM_UP = 100
AT_ONCE = 64
ADDRESS = "127.0.0.9"  # the clients' loopback source address (others may hold 127.0.0.1's ports)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        pass


def client(port: int, count: int, pipe: Connection) -> None:
    asyncio.run(_client(port, count, pipe))


async def _client(port: int, count: int, pipe: Connection) -> None:
    import websockets

    gate = asyncio.Semaphore(AT_ONCE)
    sockets = []

    async def one() -> None:
        async with gate:
            sockets.append(await websockets.connect(f"ws://127.0.0.1:{port}/", ping_interval=None))

    await asyncio.gather(*(one() for _ in range(count)))
    pipe.send("ready")
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # until told to go


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        found = re.search(r"VmRSS:\s+(\d+) kB", status.read())
    assert found
    return int(found.group(1))


async def measure(options: argparse.Namespace) -> None:
    config = uvicorn.Config(
        app,
        port=0,
        log_level="warning",
        ws=options.ws,
        ws_ping_interval=None,
        ws_per_message_deflate=False,
        http="h11",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 -- uvicorn offers no event for it
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    context = multiprocessing.get_context("spawn")
    pipes = []
    for count in (WARM_UP, options.sockets):
        parent, child = context.Pipe()
        gc.collect()
        before = rss_kib()
        context.Process(target=client, args=(port, count, child), daemon=True).start()
        await asyncio.get_running_loop().run_in_executor(None, parent.recv)
        await asyncio.sleep(1.0)  # the last handshakes settle
        gc.collect()
        grown = (rss_kib() - before) / count
        print(f"{options.ws}: {count:,} sockets: RSS {grown:.1f} KiB per socket", flush=True)
        pipes.append(parent)
    for pipe in pipes:
        pipe.send("go")
    server.should_exit = True
    await serving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn's ws protocol")
    options = parser.parse_args()
    raise_open_files(options.sockets + WARM_UP, 1)
    uvloop.run(measure(options))


if __name__ == "__main__":
    main()
