"""Already encoded WebSocket frames, written straight to a socket's transport.

uvicorn's WebSocket protocol frames every ASGI ``websocket.send`` through websockets' sans-I/O
``ServerProtocol``: a fan-out of one event to 10,000 sockets would build the same frame 10,000
times, through the ASGI layers of each socket.  ``FramedProtocol`` is that protocol, offering
the app its socket as the ASGI extension ``hub.frames`` (``Frames``): bytes framed once
(``text_frame``) go on the wire with one ``transport.write``, when the socket is open and its
write buffer below the high-water mark.  Otherwise ``Frames.write`` refuses and the caller
sends the ordinary way, which waits for the buffer to drain.

Server frames are not masked, so a frame of the same text is the same bytes for every socket;
the extension is offered only when no extension (permessage-deflate) was negotiated.

A socket idles for hours, and there may be tens of thousands: ``FramedProtocol`` holds nothing
of the handshake once it is answered (the scope's headers included), and waits for the app's
messages and for a full buffer to drain with a future made only while something waits
(``Inbox``, ``Flag``), where uvicorn's ``asyncio.Queue`` and ``asyncio.Event`` hold five deques
(~3.7 KiB) per socket for good.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol

__all__ = ["EXTENSION", "PROTOCOL", "Flag", "FramedProtocol", "Frames", "Inbox", "text_frame"]

EXTENSION = "hub.frames"
PROTOCOL = "hub.events.frames:FramedProtocol"  # uvicorn's ``ws`` setting


def text_frame(text: str) -> bytes:
    """One unmasked, unfragmented text frame carrying ``text``."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class Frames:
    """One socket's way to write frames encoded elsewhere."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def write(self, frame: bytes) -> bool:
        """Write ``frame``; False, having written nothing, when the socket is closing or its
        buffer is full (the ordinary send then waits for it)."""
        protocol = self._protocol
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.handshake_complete
            or not protocol.writable.is_set()
            or protocol.transport.is_closing()
        ):
            return False
        protocol.transport.write(frame)
        return True


class Inbox:
    """What ``asyncio.Queue`` does for uvicorn's messages to the app, holding nothing while
    empty and unwatched: the messages in a list, each waiting ``get`` a future."""

    __slots__ = ("_getters", "_items")

    def __init__(self) -> None:
        self._items: list[Any] | None = None
        self._getters: list[asyncio.Future[None]] | None = None

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = [item]
        else:
            self._items.append(item)
        getters = self._getters
        while getters:
            getter = getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                break

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = [getter]
            else:
                self._getters.append(getter)
            try:
                await getter
            except BaseException:
                self._discard(getter)
                if self._items and not getter.cancelled():
                    self._wake_next()  # woken, then cancelled: the next getter takes it
                raise
            self._discard(getter)
        item = self._items.pop(0)
        if not self._items:
            self._items = None
        if self._items and self._getters:
            self._wake_next()
        return item

    def _discard(self, getter: asyncio.Future[None]) -> None:
        getters = self._getters
        if getters is not None:
            if getter in getters:
                getters.remove(getter)
            if not getters:
                self._getters = None

    def _wake_next(self) -> None:
        for getter in self._getters or ():
            if not getter.done():
                getter.set_result(None)
                return


class Flag:
    """What ``asyncio.Event`` does for uvicorn's ``writable``, holding no deque: a future
    only while a send waits for the buffer to drain."""

    __slots__ = ("_set", "_waiter")

    def __init__(self, *, value: bool) -> None:
        self._set = value
        self._waiter: asyncio.Future[None] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        while not self._set:
            if self._waiter is None or self._waiter.done():
                self._waiter = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._waiter)  # one waiter cancelled cancels no other


class FramedProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, offering ``hub.frames`` to the app, and holding
    nothing of the handshake once it is answered (a socket idles for hours)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag(value=True)  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope: dict[str, Any] | None = getattr(self, "scope", None)
        # The app's task is created but has not run yet: it sees the extension.
        if scope is not None and not self.conn.extensions:
            scope["extensions"][EXTENSION] = Frames(self)

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The request's and response's parsed headers (the app has the scope's copy).
            del self.request, self.response
            _forget_request(self.conn)
            # And the scope's copy too, in place (Starlette's ``Headers`` share the list): the
            # app reads the handshake's headers before it accepts, and the socket may idle
            # for hours (~1.2 KiB of byte strings per socket).
            headers = self.scope["headers"]
            if isinstance(headers, list):  # uvicorn's own
                headers.clear()


def _forget_request(conn: Any) -> None:
    """Restart websockets' parser as a frame parser, if it waits between frames: its generator
    frame, suspended since the handshake, holds the parsed request (~3 KiB of headers)."""
    waiting = conn.parser
    while getattr(waiting, "gi_yieldfrom", None) is not None:
        waiting = waiting.gi_yieldfrom
    if getattr(waiting, "__name__", None) != "at_eof":
        return  # in the middle of a frame (sent before the handshake's answer): keep it
    parser = Protocol.parse(conn)
    next(parser)  # up to the same wait, with the same reader: nothing read is lost
    conn.parser = parser
