"""A fast webhook receiver for the benchmark: asyncio, keep-alive, answers 204 at once.

It notes when each ``webhook-id`` arrived (``time.time()``, per URL path) and, when its
standard input closes, prints them as JSON and exits.  Prints ``PORT`` once it listens.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

ANSWER = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


async def serve() -> None:
    arrivals: list[tuple[str, str, float]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
                await reader.readexactly(int(headers.get("content-length", "0")))
                arrivals.append((path, headers.get("webhook-id", ""), time.time()))
                writer.write(ANSWER)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()
    print(json.dumps(arrivals), flush=True)


if __name__ == "__main__":
    asyncio.run(serve())
