"""Hostile input over WebSocket: every abuse gets a clear close code or error, the hub lives on."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from tests.cases.factories import Actors
from tests.events.conftest import LiveHub

PROTOCOL = [websockets.Subprotocol("graphql-transport-ws")]
SUBSCRIBE = "subscription { caseEvents { id type } }"


@asynccontextmanager
async def raw(hub: LiveHub) -> AsyncIterator[ClientConnection]:
    url = hub.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=PROTOCOL, max_size=None) as connection:
        yield connection


async def init(connection: ClientConnection, token: str) -> None:
    await connection.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await connection.recv())["type"] == "connection_ack"


async def close_code(connection: ClientConnection) -> int | None:
    """Read until the server closes the socket; its close code."""
    with contextlib.suppress(websockets.ConnectionClosed):
        while True:
            await connection.recv()
    return connection.close_code


def subscribe(op_id: Any, payload: Any) -> str:
    return json.dumps({"type": "subscribe", "id": op_id, "payload": payload})


async def test_protocol_abuse_closes_with_a_code_and_the_hub_lives_on(live: LiveHub) -> None:
    token = Actors(live.server).city
    before_init = [
        ("{not json", 4400),
        ('{"type": "no_such_message"}', 4400),
        ('["a", "list"]', 4400),
        ('{"type": 7}', 4400),
        (subscribe("1", {"query": SUBSCRIBE}), 4401),
    ]
    for frame, code in before_init:
        async with raw(live) as connection:
            await connection.send(frame)
            assert await close_code(connection) == code, frame
    after_init = [
        (subscribe("1", "not an object"), 4400),
        (subscribe(1, {"query": SUBSCRIBE}), 4400),
        (subscribe("1", {"query": 5}), 4400),
        (subscribe("1", {"query": SUBSCRIBE, "variables": ["x"]}), 4400),
    ]
    for frame, code in after_init:
        async with raw(live) as connection:
            await init(connection, token)
            await connection.send(frame)
            assert await close_code(connection) == code, frame
    async with raw(live) as connection:
        await init(connection, token)
        await connection.send(subscribe("same", {"query": SUBSCRIBE}))
        await connection.send(subscribe("same", {"query": SUBSCRIBE}))
        assert await close_code(connection) == 4409
    # a huge document is refused at once (as over HTTP) and the hub serves on
    async with raw(live) as connection:
        await init(connection, token)
        await connection.send(subscribe("big", {"query": "#" * 5_000_000}))
        assert await close_code(connection) == 4400
    async with raw(live) as connection:
        await init(connection, token)


async def test_bad_subscriptions_get_an_error_and_the_socket_stays_usable(live: LiveHub) -> None:
    by_number = "subscription($n: String!) { caseEvents(caseNumber: $n) { id } }"
    payloads = [
        {"query": "subscription { caseEvents { nope } }"},
        {"query": by_number, "variables": {"n": 5}},
        {"query": by_number, "variables": {}},
    ]
    async with raw(live) as connection:
        await init(connection, Actors(live.server).city)
        for index, payload in enumerate(payloads):
            await connection.send(subscribe(f"bad-{index}", payload))
            answer = json.loads(await connection.recv())
            assert (answer["id"], answer["type"]) == (f"bad-{index}", "error"), answer
            assert answer["payload"][0]["message"]
            await connection.send(json.dumps({"type": "ping"}))
            assert json.loads(await connection.recv())["type"] == "pong"
        # meta-characters in a variable are data, not code: a case that does not exist
        await connection.send(
            subscribe("sql", {"query": by_number, "variables": {"n": '\'; DROP TABLE "case"; --'}})
        )
        await connection.send(json.dumps({"type": "ping"}))
        assert json.loads(await connection.recv())["type"] == "pong"
        await connection.send(json.dumps({"id": "sql", "type": "complete"}))
    # a syntax error is a protocol-level refusal
    async with raw(live) as connection:
        await init(connection, Actors(live.server).city)
        await connection.send(subscribe("syntax", {"query": "subscription {"}))
        assert await close_code(connection) == 4400


async def test_variables_get_the_same_walk_as_over_http(live: LiveHub) -> None:
    by_number = "subscription($n: String!) { caseEvents(caseNumber: $n) { id } }"
    deep = "[" * 100 + "]" * 100
    frames = [
        ('{"n": ' + deep + "}", "JSON_TOO_DEEP"),
        ('{"n": "C\\u0000"}', "NUL_CHARACTER"),
        ('{"n": "C\\ud800"}', "LONE_SURROGATE"),
    ]
    async with raw(live) as connection:
        await init(connection, Actors(live.server).city)
        for index, (variables, code) in enumerate(frames):
            query = json.dumps(by_number)
            await connection.send(
                f'{{"type": "subscribe", "id": "v{index}", '
                f'"payload": {{"query": {query}, "variables": {variables}}}}}'
            )
            answer = json.loads(await connection.recv())
            assert (answer["id"], answer["type"]) == (f"v{index}", "error"), answer
            assert answer["payload"][0]["extensions"]["code"] == code
        await connection.send(json.dumps({"type": "ping"}))
        assert json.loads(await connection.recv())["type"] == "pong"
