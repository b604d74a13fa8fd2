"""Real ``hub serve`` processes (and other helpers run as processes) for the tests.

Started with their own environment, waited for by polling ``/readyz`` with a deadline, killed
with SIGKILL when a test needs a crash, and always stopped at the end.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

from hub.config import Settings
from tests.support.databases import closed_port, redis_test_url

T = TypeVar("T")


def wait_for(check: Callable[[], T | None], *, deadline: float = 60.0, every: float = 0.1) -> T:
    """Poll ``check`` until it returns something truthy; fail at the deadline."""
    end = time.monotonic() + deadline
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {deadline}s")
        time.sleep(every)


def hub_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of test hub processes: fast polls, short leases, Redis between them."""
    from tests.conftest import TEST_SECRET

    return {
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_JWT_SECRET": TEST_SECRET,
        "HUB_REDIS_URL": redis_test_url(),
        "HUB_EVENTS_CHANNEL": f"hub:test-events:{uuid.uuid4().hex}",
        "HUB_SWEEP_INTERVAL_SECONDS": "0",
        "HUB_RATE_LIMIT_PER_MINUTE": "0",
        "HUB_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
        "HUB_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "HUB_WEBHOOK_LEASE_SECONDS": "6",
        "HUB_WEBHOOK_RETRY_SECONDS": "0.2",
        "HUB_WEBHOOK_MAX_RETRY_SECONDS": "1",
        "HUB_WEBHOOK_MAX_ATTEMPTS": "6",
        "HUB_WEBHOOK_POLL_SECONDS": "0.5",
        "HUB_CONNECTION_POLL_SECONDS": "0.2",
        "HUB_CONNECTION_RETRY_SECONDS": "0.2",
        "HUB_CONNECTION_MAX_RETRY_SECONDS": "1",
        **extra,
    }


async def eventually(check: Callable[[], Awaitable[T | None]], *, deadline: float = 60.0) -> T:
    """Poll an async ``check`` until it returns something truthy; fail at the deadline."""
    end = time.monotonic() + deadline
    while not (found := await check()):
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {deadline}s")
        await asyncio.sleep(0.2)
    return found


@dataclass
class HubProcess:
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=closed_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "serve", "--port", str(self.port)],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"hub serve exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup -- a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def hub_processes(count: int, env: dict[str, str], workdir: Path) -> Iterator[list[HubProcess]]:
    """``count`` hub processes on one database, each ready before this yields."""
    hubs = [HubProcess(env, workdir / f"hub-{index}.log") for index in range(count)]
    try:
        for hub in hubs:
            hub.start()
        for hub in hubs:
            wait_for(hub.ready, deadline=300, every=0.2)
        yield hubs
    finally:
        for hub in hubs:
            hub.stop()
