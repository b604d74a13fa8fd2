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
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

__all__ = ["EXTENSION", "PROTOCOL", "FramedProtocol", "Frames", "text_frame"]

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


class FramedProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, offering ``hub.frames`` to the app, and holding
    nothing of the handshake once it is answered (a socket idles for hours)."""

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
