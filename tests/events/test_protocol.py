"""graphql-transport-ws hygiene: authentication, pings, caps, subscriptions only, clean complete."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from hub.auth.actors import Role
from hub.config import Settings
from schema.live import websocket
from tests.cases.factories import REPORT, Actors, ok
from tests.conftest import GraphQLClient, expired
from tests.events.client import TIMEOUT, connect
from tests.events.conftest import LiveHub, live_hub, top_event_id

pytestmark = pytest.mark.usefixtures("clean")

CASE_EVENTS = "subscription($after: ID) { caseEvents(after: $after) { id type } }"


@pytest.fixture
def strict(settings: Settings) -> Iterator[LiveHub]:
    """A hub with short protocol timers and small caps, so that tests reach them quickly."""
    tight = settings.model_copy(
        update={
            "ws_init_timeout_seconds": 0.3,
            "ws_ping_seconds": 0.2,
            "ws_pong_timeout_seconds": 0.3,
            "ws_max_subscriptions": 2,
            "ws_max_sockets_per_token": 2,
        }
    )
    with live_hub(tight) as hub:
        yield hub


async def test_a_bad_token_closes_the_socket_with_4403(live: LiveHub) -> None:
    for token in ("not-a-jwt", expired(live.settings)):
        async with connect(live.url, init=False) as socket:
            await socket.init(token)
            code, _ = await socket.closed()
            assert code == 4403
            assert not socket.acknowledged.is_set()


async def test_the_token_may_come_in_the_handshake_header_instead(live: LiveHub) -> None:
    url = live.url.replace("http://", "ws://") + "/graphql"
    token = Actors(live.server).city
    async with websockets.connect(
        url,
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        additional_headers={"Authorization": f"Bearer {token}"},
    ) as connection:
        await connection.send('{"type": "connection_init"}')
        assert '"connection_ack"' in str(await connection.recv())


async def test_a_socket_that_never_says_connection_init_is_closed_with_4408(
    strict: LiveHub,
) -> None:
    async with connect(strict.url, init=False) as socket:
        code, reason = await socket.closed()
    assert (code, reason) == (4408, "Connection initialisation timeout")


async def test_the_server_pings_and_closes_a_socket_that_never_pongs(strict: LiveHub) -> None:
    token = Actors(strict.server).city
    # a live client answers each ping and keeps its socket
    async with connect(strict.url, token) as alive:
        for _ in range(3):
            message = await alive.others.get()
            assert message == {"type": "ping"}
        assert alive.close_code is None
    # a dead one is let go
    async with connect(strict.url, token, pong=False) as dead:
        code, reason = await dead.closed()
    assert (code, reason) == (4408, "No pong")
    assert dead.pings >= 1


async def test_queries_and_mutations_belong_on_http(live: LiveHub) -> None:
    async with connect(live.url, Actors(live.server).city) as socket:
        query = await (await socket.subscribe("{ me { sub } }")).ended()
        mutation = await (
            await socket.subscribe(
                'mutation { closeCase(input: {caseNumber: "x"}) { errors { code } } }'
            )
        ).ended()
    for end in (query, mutation):
        assert end.kind == "error"
        assert end.payload[0]["extensions"]["code"] == "SUBSCRIPTIONS_ONLY"
    # and the mutation attempt is on the audit log under that code, by the socket's actor
    audit = "{ auditLog(first: 10) { edges { node { operation outcome actor { sub } } } } }"
    async with httpx.AsyncClient(base_url=live.url) as client:
        log = await GraphQLClient(client).execute(audit, token=Actors(live.server).city)
    rows = [edge["node"] for edge in log["auditLog"]["edges"]]
    assert [(row["operation"], row["outcome"]) for row in rows] == [
        ("closeCase", "SUBSCRIPTIONS_ONLY")
    ]


async def test_subscriptions_per_socket_and_sockets_per_token_are_capped(strict: LiveHub) -> None:
    token = Actors(strict.server).city
    async with connect(strict.url, token) as socket:
        await socket.subscribe(CASE_EVENTS)
        await socket.subscribe(CASE_EVENTS)
        third = await (await socket.subscribe(CASE_EVENTS)).ended()
        assert third.kind == "error"
        assert third.payload[0]["message"] == "Subscription limit reached"
        async with connect(strict.url, token), connect(strict.url, token, init=False) as extra:
            await extra.init(token)
            code, reason = await extra.closed()
            assert (code, reason) == (4429, "Too many sockets for this token")
    # a socket closed gives its place back (the server notices the close a moment later)
    await admitted_again(strict, token)


async def admitted_again(hub: LiveHub, token: str) -> None:
    for _ in range(50):
        async with connect(hub.url, token, init=False) as socket:
            await socket.init(token)
            await socket.wait_for_ack_or_close(TIMEOUT)
            if socket.acknowledged.is_set():
                return
    pytest.fail("the server never gave the sockets' places back")


async def test_without_a_token_or_as_an_observer_nothing_is_subscribed(live: LiveHub) -> None:
    observer = live.token(Role.OBSERVER, jurisdiction="110000")
    for token, code in ((None, "UNAUTHENTICATED"), (observer, "FORBIDDEN")):
        async with connect(live.url, token) as socket:
            cases = await (await socket.subscribe(CASE_EVENTS)).ended()
            whistles = await (
                await socket.subscribe("subscription { whistleEvents { id } }")
            ).ended()
        for end in (cases, whistles):
            assert end.payload[0]["extensions"]["code"] == code


async def test_a_client_complete_ends_the_subscription_on_the_server(
    live: LiveHub, http: GraphQLClient
) -> None:
    # given two subscriptions on one socket, the first completed by the client
    after = str(await top_event_id(live.settings, "case_event"))
    city = Actors(live.server).city
    async with connect(live.url, city) as socket:
        first = await socket.subscribe(CASE_EVENTS, after=after)
        await first.complete()
        second = await socket.subscribe(CASE_EVENTS, after=after)
        # when a case is reported
        await report(http, city)
        # then only the second hears of it, and the server holds only the second subscriber
        event: dict[str, Any] = (await second.next())["caseEvents"]
        assert event["type"] == "REPORTED"
        assert first.messages.empty()
        assert live.feed.cases.subscribers == 1
    # and a socket closed takes its subscriptions with it
    async with connect(live.url, city) as socket:
        again = await socket.subscribe(CASE_EVENTS, after=event["id"])
        await report(http, city)
        await again.next()
        assert live.feed.cases.subscribers == 1


@pytest.fixture
def one_at_a_time(live_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveHub]:
    """A hub subscribing one operation at a time."""
    monkeypatch.setattr(websocket, "SUBSCRIBES_AT_ONCE", 1)
    with live_hub(live_settings) as hub:
        yield hub


async def test_operations_subscribing_in_turn_all_go_live_and_may_be_completed_waiting(
    one_at_a_time: LiveHub, http: GraphQLClient
) -> None:
    # given a hub subscribing one operation at a time, and three subscribed together on a
    # socket and another socket, the second completed at once (before its turn, or after)
    live = one_at_a_time
    after = str(await top_event_id(live.settings, "case_event"))
    city = Actors(live.server).city
    async with connect(live.url, city) as socket, connect(live.url, city) as other:
        first = await socket.subscribe(CASE_EVENTS, after=after)
        second = await socket.subscribe(CASE_EVENTS, after=after)
        await second.complete()
        third = await other.subscribe(CASE_EVENTS, after=after)
        # when a case is reported
        await report(http, city)
        # then every operation not completed hears of it, in its turn, and the completed one
        # does not
        for operation in (first, third):
            assert (await operation.next())["caseEvents"]["type"] == "REPORTED"
        assert second.messages.empty()
        assert live.feed.cases.subscribers == 2
        # and the turns are given back: one more subscribes, with the event replayed
        fourth = await other.subscribe(CASE_EVENTS, after=after)
        assert (await fourth.next())["caseEvents"]["type"] == "REPORTED"


async def report(http: GraphQLClient, token: str) -> None:
    await ok(
        http,
        REPORT,
        token,
        description="施工噪声",
        categoryCode="NOISE",
        source="HOTLINE_12345",
        location={"lat": 39.900, "lng": 116.235},
    )


async def test_a_socket_counts_against_its_tokens_rate_limit(settings: Settings) -> None:
    """A ``subscribe`` is a request: it spends the token's bucket as an HTTP request does, and
    a socket flooding refused mutations is on record once, not once per message."""
    limited = settings.model_copy(update={"rate_limit_per_minute": 3, "ws_ping_seconds": 60.0})
    with live_hub(limited) as hub:
        assert hub.app is not None
        hub.app.state.rate_limiter.clock = lambda: 1000.0  # the bucket does not refill meanwhile
        eager = hub.token(Role.CITY_PLATFORM, jurisdiction="110000", sub="eager-watcher")
        after = str(await top_event_id(hub.settings, "case_event"))
        async with httpx.AsyncClient(base_url=hub.url) as client:
            # given one request of the token's three over HTTP
            asked = await client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Authorization": f"Bearer {eager}"},
            )
            assert asked.headers["ratelimit-remaining"] == "2"
            async with connect(hub.url, eager) as socket:
                # when its socket subscribes three times and then floods mutations
                first = await socket.subscribe(CASE_EVENTS, after=after)
                second = await socket.subscribe(CASE_EVENTS, after=after)
                third = await (await socket.subscribe(CASE_EVENTS, after=after)).ended()
                flood = [
                    await (
                        await socket.subscribe(
                            'mutation { closeCase(input: {caseNumber: "x"}) { errors { code } } }'
                        )
                    ).ended()
                    for _ in range(5)
                ]
                # then the third and every mutation are refused as over HTTP, with the wait
                for end in (third, *flood):
                    assert end.kind == "error"
                    (error,) = end.payload
                    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 20}
                    assert "at most 3 requests per 60 s" in error["message"]
                # and the first two are live: both hear of a case reported by someone else
                await report(GraphQLClient(client), Actors(hub.server).hotline)
                for operation in (first, second):
                    assert (await operation.next())["caseEvents"]["type"] == "REPORTED"
            # and the bucket is the token's, whichever way it is spent: HTTP is refused too
            again = await client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Authorization": f"Bearer {eager}"},
            )
            assert again.status_code == 429
            # and the five refused mutations are one row of the audit log
            audit = "{ auditLog(first: 10) { edges { node { operation outcome actor { sub } } } } }"
            log = await GraphQLClient(client).execute(audit, token=Actors(hub.server).city)
    rows = [edge["node"] for edge in log["auditLog"]["edges"]]
    assert [row for row in rows if row["actor"]["sub"] == "eager-watcher"] == [
        {"operation": "closeCase", "outcome": "RATE_LIMITED", "actor": {"sub": "eager-watcher"}}
    ]
