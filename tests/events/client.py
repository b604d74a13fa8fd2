"""A small graphql-transport-ws client over ``websockets``, for tests.

It answers the server's pings (unless told not to, to play a dead client), files every message
under its operation and records how the server closed the socket.  Every wait has a timeout and
waits on a message, never on the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

TIMEOUT = 15.0


class SubscriptionEnded(Exception):  # noqa: N818 -- an outcome the test asserts on
    def __init__(self, kind: str, payload: Any = None) -> None:
        super().__init__(f"{kind}: {payload}")
        self.kind = kind
        self.payload = payload


@dataclass
class Operation:
    id: str
    socket: Socket
    messages: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    async def next(self, wait: float = TIMEOUT) -> dict[str, Any]:
        """The next result's ``data``; raises ``SubscriptionEnded`` on error or complete."""
        message = await asyncio.wait_for(self.messages.get(), wait)
        if message["type"] != "next":
            raise SubscriptionEnded(message["type"], message.get("payload"))
        payload = message["payload"]
        assert "errors" not in payload, payload
        data: dict[str, Any] = payload["data"]
        return data

    async def events(self, count: int, field_name: str) -> list[dict[str, Any]]:
        return [(await self.next())[field_name] for _ in range(count)]

    async def ended(self, wait: float = TIMEOUT) -> SubscriptionEnded:
        """Wait for the operation's end (error or complete) and return it."""
        try:
            data = await self.next(wait)
        except SubscriptionEnded as end:
            return end
        raise AssertionError(f"expected the subscription to end, got {data}")

    async def complete(self) -> None:
        await self.socket.send({"id": self.id, "type": "complete"})


class Socket:
    def __init__(self, connection: ClientConnection, *, pong: bool) -> None:
        self.connection = connection
        self.pong = pong
        self.pings = 0
        self.acknowledged = asyncio.Event()
        self.operations: dict[str, Operation] = {}
        self.others: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._reading = asyncio.Event()
        self._reading.set()
        self._reader = asyncio.create_task(self._read())

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def init(self, token: str | None = None, **params: Any) -> None:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": {**payload, **params}})

    async def subscribe(self, query: str, **variables: Any) -> Operation:
        operation = Operation(str(next(self._ids)), self)
        self.operations[operation.id] = operation
        payload = {"query": query, "variables": variables}
        await self.send({"id": operation.id, "type": "subscribe", "payload": payload})
        return operation

    async def closed(self, wait: float = TIMEOUT) -> tuple[int | None, str | None]:
        """Wait until the server closes the socket; its close code and reason."""
        await asyncio.wait_for(self.connection.wait_closed(), wait)
        return self.connection.close_code, self.connection.close_reason

    async def wait_for_ack_or_close(self, wait: float = TIMEOUT) -> None:
        """Until the server acknowledges the connection_init or closes the socket."""
        waits = [
            asyncio.ensure_future(self.acknowledged.wait()),
            asyncio.ensure_future(self.connection.wait_closed()),
        ]
        await asyncio.wait(waits, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        for pending in waits:
            pending.cancel()

    def pause(self) -> None:
        """Stop reading the socket (a client on a bad line): the server's writes back up."""
        self._reading.clear()

    def resume(self) -> None:
        self._reading.set()

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await self._reading.wait()
                raw = await self.connection.recv()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "connection_ack":
                    self.acknowledged.set()
                elif kind == "ping":
                    self.pings += 1
                    await self.others.put(message)
                    if self.pong:
                        await self.send({"type": "pong"})
                elif message.get("id") in self.operations:
                    await self.operations[message["id"]].messages.put(message)
                else:
                    await self.others.put(message)
        for operation in self.operations.values():
            operation.messages.put_nowait({"type": "closed", "payload": self.close_code})

    async def aclose(self) -> None:
        self.resume()
        await self.connection.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def connect(
    base_url: str, token: str | None = None, *, init: bool = True, pong: bool = True
) -> AsyncIterator[Socket]:
    """A socket to ``base_url``'s /graphql, initialised with ``token`` and acknowledged."""
    url = base_url.replace("http://", "ws://", 1) + "/graphql"
    connection = await websockets.connect(
        url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    )
    socket = Socket(connection, pong=pong)
    try:
        if init:
            await socket.init(token)
            await asyncio.wait_for(socket.acknowledged.wait(), TIMEOUT)
        yield socket
    finally:
        await socket.aclose()
