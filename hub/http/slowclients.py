"""Deadlines for slow clients, in the HTTP/1.1 protocol uvicorn serves the hub with.

A connection holds a socket and memory for as long as its client likes: uvicorn's own
``timeout_keep_alive`` covers the silence *between* requests only. A client that sends its
request headers a byte now and then, or declares a body (``Content-Length``) and never sends
it, would keep its connection, and its request's task, open forever (slowloris). Here:

- the request line and headers must arrive within ``HUB_HTTP_HEADER_TIMEOUT_SECONDS`` of the
  connection's first byte (or of the connection itself);
- the whole body within ``HUB_HTTP_BODY_TIMEOUT_SECONDS`` of the end of the headers.

Neither applies once a request upgrades its connection to a WebSocket: the socket then belongs
to the WebSocket protocol, whose own pings and timeouts govern it.

Past either deadline the client is answered ``408 Request Timeout`` (unless a response has
begun) and the connection is closed; the request's handler sees a disconnect.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from hub.config import get_settings

log = logging.getLogger("hub.http")

TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 22\r\n\r\nThe request timed out."
)


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the headers and one for the body."""

    header_timeout: float | None = None  # None: from the settings
    body_timeout: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        if self.header_timeout is None:
            self.header_timeout = settings.http_header_timeout_seconds
        if self.body_timeout is None:
            self.body_timeout = settings.http_body_timeout_seconds
        self._deadline: asyncio.TimerHandle | None = None
        self._awaiting: str | None = None  # "headers" or "body"

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await("headers")

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            # Closed, or upgraded to a WebSocket: the upgrade request has no body to wait for,
            # and the socket is no longer HTTP's to answer on.
            self._await(None)
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            # Between requests with nothing buffered is keep-alive (uvicorn's timer); a part
            # of the next request's head is buffered otherwise.
            self._await("headers" if self.conn.trailing_data[0] else None)
        elif state is h11.SEND_BODY:
            self._await("body")
        else:
            self._await(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._await(None)
        super().connection_lost(exc)

    def _await(self, what: str | None) -> None:
        if what == self._awaiting:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._awaiting = what
        if what is not None:
            seconds = self.header_timeout if what == "headers" else self.body_timeout
            assert seconds is not None
            self._deadline = self.loop.call_later(seconds, self._timed_out)

    def _timed_out(self) -> None:
        what, self._deadline, self._awaiting = self._awaiting, None, None
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.warning(
            "closed the connection of %s: its request %s did not arrive in time", client, what
        )
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()
