"""Notices between hub processes: "events of these kinds were committed; read them".

``LocalBus`` is the embedded default (one process: its own commits wake it directly).
``RedisBus`` publishes each process's notices on one pub/sub channel and listens to everyone
else's.  Publishing is fire-and-forget and coalesced (one message in flight at a time, carrying
every kind noticed meanwhile); the listener reconnects with backoff when Redis goes away and
wakes every stream when it is back, so what was committed meanwhile is read at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as redis

__all__ = ["Bus", "LocalBus", "Notice", "RedisBus"]

log = logging.getLogger("hub.events.bus")

Notice = Callable[[frozenset[str]], None]
"""Called with the kinds (``"case"``, ``"whistle"``) another process committed events of."""

RECONNECT_MIN_SECONDS = 0.2
RECONNECT_MAX_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0


class Bus(Protocol):
    async def start(self, notice: Notice) -> None: ...

    def announce(self, kinds: frozenset[str]) -> None: ...

    async def aclose(self) -> None: ...


class LocalBus:
    """One process: nothing to tell anyone."""

    async def start(self, notice: Notice) -> None:
        return None

    def announce(self, kinds: frozenset[str]) -> None:
        return None

    async def aclose(self) -> None:
        return None


class RedisBus:
    """Notices over Redis pub/sub; every process hears every other's."""

    def __init__(self, url: str, channel: str, *, timeout: float = 1.0) -> None:
        self.url = url
        self.channel = channel
        self.origin = uuid.uuid4().hex  # our own messages come back to us: skip them
        self.connected = asyncio.Event()
        self._publisher = redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._timeout = timeout
        self._pending: set[str] = set()
        self._publishing: asyncio.Task[None] | None = None
        self._listening: asyncio.Task[None] | None = None
        self._last_warning = -WARN_EVERY_SECONDS

    async def start(self, notice: Notice) -> None:
        self._listening = asyncio.create_task(self._listen(notice), name="hub-events-bus")

    def announce(self, kinds: frozenset[str]) -> None:
        self._pending |= kinds
        if self._publishing is None or self._publishing.done():
            self._publishing = asyncio.create_task(self._publish(), name="hub-events-publish")

    async def flush(self) -> None:
        """Wait until what was announced is published (or could not be)."""
        if self._publishing is not None:
            await self._publishing

    async def _publish(self) -> None:
        while self._pending:
            kinds, self._pending = sorted(self._pending), set()
            message = json.dumps({"origin": self.origin, "kinds": kinds})
            try:
                await self._publisher.publish(self.channel, message)
            except (redis.RedisError, OSError) as error:
                self._warn("cannot publish event notices", error)

    async def _listen(self, notice: Notice) -> None:
        delay = RECONNECT_MIN_SECONDS
        while True:
            try:
                await self._listen_once(notice)
            except (redis.RedisError, OSError) as error:
                self._warn("event notices from other processes are paused", error)
            if self.connected.is_set():  # it was up: retry soon, then back off
                self.connected.clear()
                delay = RECONNECT_MIN_SECONDS
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _listen_once(self, notice: Notice) -> None:
        client = redis.from_url(
            self.url, socket_connect_timeout=self._timeout, health_check_interval=10
        )
        try:
            async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(self.channel)
                self.connected.set()
                log.info("listening for event notices on %s", self.channel)
                # Whatever was committed while we were away is in the database: read it now.
                notice(frozenset({"*"}))
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._receive(message["data"], notice)
        finally:
            await client.aclose()

    def _receive(self, data: bytes | str, notice: Notice) -> None:
        try:
            body = json.loads(data)
            kinds = frozenset(str(kind) for kind in body["kinds"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed event notice: %r", data)
            return
        if body.get("origin") != self.origin:
            notice(kinds)

    def _warn(self, what: str, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            log.warning("%s (Redis: %s); polling the database meanwhile", what, error)

    async def aclose(self) -> None:
        for task in (self._listening, self._publishing):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._publisher.aclose()
