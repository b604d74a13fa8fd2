"""A client that stops reading its socket: it holds up no one, is told so, and resumes exactly.

Live events go to waiting subscribers from the stream's task (``hub.events.delivery.Direct``);
a socket whose writes back up must not stall that task for everyone else.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from hub.config import Settings
from tests.cases.factories import Actors, report_noise
from tests.conftest import GraphQLClient
from tests.events.client import TIMEOUT, Operation, connect
from tests.events.conftest import LiveHub, top_event_id

pytestmark = pytest.mark.usefixtures("clean")

LUGU, AT_LUGU = "110107011", {"lat": 39.900, "lng": 116.235}
WATCH = """
subscription($after: ID) {
  caseEvents(after: $after, jurisdictionCode: "110107") {
    id type case { number description }
  }
}"""
LAGGARDS = 20  # subscriptions on the socket that stops reading
ROUNDS = 30  # cases reported: 30 x 20 x ~60 kB is well beyond what the socket's buffers hold
QUEUED = 4  # events a subscriber may fall behind by


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    """The hub of this module's tests: small queues, many subscriptions per socket."""
    return settings.model_copy(
        update={
            "ws_ping_seconds": 60.0,
            "ws_max_queued_events": QUEUED,
            "ws_max_subscriptions": LAGGARDS,
        }
    )


async def test_a_socket_that_stops_reading_holds_up_no_one_and_resumes_exactly(
    live: LiveHub, http: GraphQLClient
) -> None:
    after = str(await top_event_id(live.settings, "case_event"))
    city, street = Actors(live.server).city, Actors.street(live.server, LUGU)
    reported: list[str] = []
    noise = Noise()
    async with connect(live.url, city) as fast, connect(live.url, city) as slow:
        watcher = await fast.subscribe(WATCH, after=after)
        laggards = [await slow.subscribe(WATCH, after=after) for _ in range(LAGGARDS)]
        # given one socket that stops reading
        slow.pause()
        # when case after case is reported, each event ~60 kB
        for _ in range(ROUNDS):
            reported.append(await report_noise(http, street, AT_LUGU, noise.text(19_990)))
            # then the other socket hears of each at once: the stalled one holds nothing up
            event = (await watcher.next())["caseEvents"]
            assert event["case"]["number"] == reported[-1]
        assert live.feed.cases.sent["direct"] > 0
        # and when the stalled socket reads again, each of its subscriptions has the events
        # in order up to where it fell behind, then is told where to resume
        slow.resume()
        ends = [await until_the_end(laggard) for laggard in laggards]
    for got, errors in ends:
        assert got == reported[: len(got)]
        assert len(got) < ROUNDS
        [error] = errors
        assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
        assert error["extensions"]["after"] is not None
    # and resuming from there brings the rest exactly once
    got, errors = ends[0]
    async with connect(live.url, city) as socket:
        resumed = await socket.subscribe(WATCH, after=errors[0]["extensions"]["after"])
        rest = [(await resumed.next())["caseEvents"] for _ in range(ROUNDS - len(got))]
        assert [event["case"]["number"] for event in rest] == reported[len(got) :]
        assert resumed.messages.empty()


class Noise:
    """Text that does not compress (a socket may deflate what it sends)."""

    def __init__(self) -> None:
        self._random = random.Random(12345)

    def text(self, length: int) -> str:
        return "".join(chr(self._random.randint(0x4E00, 0x9FA5)) for _ in range(length))


async def until_the_end(operation: Operation) -> tuple[list[str], list[dict[str, Any]]]:
    """The case numbers of the events an operation got, and the errors that ended it."""
    got: list[str] = []
    while True:
        message = await asyncio.wait_for(operation.messages.get(), TIMEOUT)
        payload = message.get("payload")
        if message["type"] == "next" and "errors" not in payload:
            got.append(payload["data"]["caseEvents"]["case"]["number"])
        else:
            errors = payload["errors"] if message["type"] == "next" else payload
            return got, errors
