"""Live hubs for subscription tests: in a thread (one per test), or as real `hub serve` processes.

Each test gets hubs of its own, started after the database is as the test wants it: a stream
starts at the tables' end, and SQLite hands deleted ids out again, so a hub must not outlive the
``clean`` of the test before.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from hub.db import create_engine
from hub.events.feed import EventFeed
from tests.conftest import TEST_SECRET, GraphQLClient, HubServer, StatementCounter
from tests.support.databases import closed_port, redis_test_url
from tests.support.server import serve_in_thread

HUB = [sys.executable, "-m", "hub.cli"]


@dataclass
class LiveHub:
    """A hub serving HTTP and WebSocket, with the tokens of the people in the stories."""

    url: str
    settings: Settings
    app: Starlette | None = None

    def token(self, role: Role, **claims: Any) -> str:
        return mint(self.settings, role=role, **claims)

    @property
    def server(self) -> HubServer:
        """The shape the case and whistle factories take."""
        return HubServer(url=self.url, settings=self.settings, statements=StatementCounter())

    @property
    def feed(self) -> EventFeed:
        assert self.app is not None, "a hub in another process"
        feed: EventFeed = self.app.state.hub.events
        return feed


@contextmanager
def live_hub(settings: Settings) -> Iterator[LiveHub]:
    app = create_app(settings)
    with serve_in_thread(app) as url:
        yield LiveHub(url, settings, app)


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"ws_ping_seconds": 60.0})


@pytest.fixture
def live(live_settings: Settings) -> Iterator[LiveHub]:
    with live_hub(live_settings) as hub:
        yield hub


@pytest.fixture
async def http(live: LiveHub) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
        yield GraphQLClient(client)


async def top_event_id(settings: Settings, table: str) -> int:
    """The newest event's id: a cursor from which a subscriber misses nothing of the test's."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(text(f'SELECT max(id) FROM "{table}"'))
            return int(found or 0)
    finally:
        await engine.dispose()


# ── real processes ────────────────────────────────────────────────────────────────────────


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)


@contextmanager
def hub_process(database_url: str, *options: str, **environment: str) -> Iterator[Served]:
    """`hub serve --port 0 [options]` as its own process; its URL once uvicorn says it listens."""
    env = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_JWT_SECRET": TEST_SECRET,
        "HUB_SWEEP_INTERVAL_SECONDS": "0",
        **environment,
    }
    process = subprocess.Popen(
        [*HUB, "serve", "--port", "0", *options], env=env, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    log: list[str] = []
    drain: threading.Thread | None = None
    try:
        for line in process.stderr:
            log.append(line)
            if match := re.search(r"running on (http://\S+)", line, re.IGNORECASE):
                url = match.group(1)
                break
        else:
            pytest.fail("hub serve exited before listening:\n" + "".join(log))
        # Keep reading its log, or a chatty process would block on a full pipe.
        drain = threading.Thread(target=lambda: log.extend(process.stderr or ()), daemon=True)
        drain.start()
        yield Served(url, process, log)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if drain is not None:
            drain.join(timeout=30)
        process.stderr.close()


@pytest.fixture
def channel() -> str:
    """A Redis channel (and rate-limit prefix) of this test's own."""
    return f"hub-test:{uuid.uuid4().hex}:"


@dataclass
class RedisServer:
    """A redis-server of the test's own, which it may stop and start again on the same port."""

    port: int
    process: subprocess.Popen[bytes] | None = None
    drain: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if b"Ready to accept connections" in line:
                stdout = self.process.stdout
                self.drain = threading.Thread(target=stdout.read, daemon=True)
                self.drain.start()
                return
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)
        if self.drain is not None:
            self.drain.join(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.process = None


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(closed_port())
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.stop()


@pytest.fixture
def shared_redis_url() -> str:
    return redis_test_url()
