"""Run an ASGI app in a real uvicorn server on a background thread, for tests.

Some behaviour only exists on a real socket: ``Content-Length`` handling, chunked bodies, what a
non-Python client (the node ``graphql-http`` audit suite) sees.  ``httpx.ASGITransport`` skips all
of that, so tests that care use ``serve_in_thread``.

The server binds its socket before the thread starts (port 0, so the kernel picks a free port and
no other test can race for it) and the caller blocks on an event that uvicorn's own startup sets,
so there is no sleep-and-hope synchronisation.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import LifespanType

from hub.events.frames import PROTOCOL

__all__ = ["serve_in_thread"]


class _ThreadedServer(uvicorn.Server):
    """A uvicorn server that signals the end of its startup, successful or not."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.startup_finished = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.startup_finished.set()

    def run_until_stopped(self, sock: socket.socket) -> None:
        """Thread target; also releases the waiter when uvicorn dies before its startup."""
        try:
            self.run(sockets=[sock])
        finally:
            self.startup_finished.set()


@contextmanager
def serve_in_thread(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    startup_timeout: float = 60.0,  # a deadline only: a loaded machine starts slowly
    shutdown_timeout: float = 10.0,
    lifespan: LifespanType = "auto",
    ws: str = PROTOCOL,
) -> Iterator[str]:
    """Serve ``app`` on a free port of ``host`` and yield its base URL (``http://host:port``).

    On exit the server is asked to stop and the thread is joined, so open keep-alive
    connections are closed and no server thread outlives the test that started it.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan=lifespan,
        ws=ws,
        ws_per_message_deflate=False,  # as `hub serve`
        timeout_graceful_shutdown=int(shutdown_timeout),
    )
    server = _ThreadedServer(config)
    thread = threading.Thread(
        target=server.run_until_stopped, args=(sock,), name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    try:
        if not server.startup_finished.wait(startup_timeout) or not server.started:
            raise RuntimeError(f"uvicorn did not start on {host}:{port}")
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(shutdown_timeout)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"uvicorn on {host}:{port} did not stop in {shutdown_timeout}s")
