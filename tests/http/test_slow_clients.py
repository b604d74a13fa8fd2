"""Slow clients against a real `hub serve`: a stalled head or body is answered 408 and closed."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from tests.support.processes import HubProcess, hub_processes

# The server's deadlines; the client's socket waits far longer (a deadline, not a measurement).
SERVER_SECONDS = "1"
CLIENT_PATIENCE = 60.0
PING_SECONDS = "2"  # after both deadlines: the server's first ping comes after they have passed


@pytest.fixture(scope="module")
def strict_hub(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    from tests.support.processes import hub_env

    env = hub_env(
        settings,
        HUB_HTTP_HEADER_TIMEOUT_SECONDS=SERVER_SECONDS,
        HUB_HTTP_BODY_TIMEOUT_SECONDS=SERVER_SECONDS,
        HUB_WS_PING_SECONDS=PING_SECONDS,
    )
    with hub_processes(1, env, Path(tmp_path_factory.mktemp("slow"))) as [hub]:
        yield hub


def connect(hub: HubProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", hub.port), timeout=CLIENT_PATIENCE)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_declared_body_that_never_comes_is_answered_408_and_closed(
    strict_hub: HubProcess,
) -> None:
    with connect(strict_hub) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"query": '
        )
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_headers_sent_in_part_are_answered_408_and_closed(strict_hub: HubProcess) -> None:
    with connect(strict_hub) as sock:
        sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: appl")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_sends_nothing_is_closed(strict_hub: HubProcess) -> None:
    with connect(strict_hub) as sock:
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_prompt_client_keeps_its_connection_for_a_second_request(
    strict_hub: HubProcess,
) -> None:
    body = json.dumps({"query": '{ jurisdiction(code: "110105") { name } }'}).encode()
    request = (
        b"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with connect(strict_hub) as sock:
        for _ in range(2):  # the second on the same connection: keep-alive is untouched
            sock.sendall(request)
            status, body = read_response(sock)
            assert status.startswith(b"HTTP/1.1 200 "), status
            assert json.loads(body) == {"data": {"jurisdiction": {"name": "朝阳区"}}}


def read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """(status line, body) of one response with a Content-Length."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return lines[0], body


async def test_a_websocket_lives_past_the_deadlines_of_the_request_that_opened_it(
    strict_hub: HubProcess, settings: Settings
) -> None:
    """The upgrade request has no body: its body deadline must not answer 408 into the socket."""
    token = mint(settings, role=Role.OBSERVER)
    async with websockets.connect(
        f"ws://127.0.0.1:{strict_hub.port}/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        compression=None,
    ) as socket_:

        async def receive() -> Any:
            return json.loads(await asyncio.wait_for(socket_.recv(), CLIENT_PATIENCE))

        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await socket_.send(json.dumps(init))
        assert await receive() == {"type": "connection_ack"}
        # The server's ping is timed after both deadlines (same event loop, later timer).
        assert await receive() == {"type": "ping"}
        await socket_.send(json.dumps({"type": "pong"}))
        # and still speaks the protocol: a query is refused with the protocol's own error.
        query = {"query": '{ jurisdiction(code: "110105") { name } }'}
        await socket_.send(json.dumps({"id": "1", "type": "subscribe", "payload": query}))
        answer = await receive()
        assert answer["type"] == "error", answer
        assert answer["payload"][0]["extensions"]["code"] == "SUBSCRIPTIONS_ONLY"
