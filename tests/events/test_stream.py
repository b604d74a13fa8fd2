"""A stream follows an event table in id order even when ids commit out of order.

PostgreSQL hands out ids when rows are inserted, so a transaction still open holds a smaller id
than one already committed; these tests open such transactions by hand and drive the stream one
read at a time, with a clock of their own.  SQLite has one writer at a time, so its ids become
visible in order and there is nothing to hold back: those tests run on PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.auth.actors import SYSTEM
from hub.cases.models import Case, CaseEvent
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker
from hub.events.delivery import Subscriber
from hub.events.gaps import MIN_GAP_AGE
from hub.events.sources import CASES, CaseFacts
from hub.events.stream import Stream
from tests.cases.factories import REPORT, Actors, ok
from tests.conftest import GraphQLClient
from tests.events.conftest import LiveHub

# SQLite has one writer at a time: its ids become visible in commit order, so the out-of-order
# commits these tests are about cannot happen there.
pytestmark = [pytest.mark.usefixtures("clean"), pytest.mark.backends("postgresql")]

GAP_TIMEOUT = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    engine: AsyncEngine
    stream: Stream[CaseEvent, CaseFacts]
    clock: Clock
    case_id: int

    async def insert(self, connection: AsyncConnection, kind: str) -> int:
        """One event row through ``connection``, committed or not as its caller decides."""
        values = {
            "case_id": self.case_id,
            "type": kind,
            "at": dt.datetime.now(dt.UTC),
            "actor": SYSTEM.as_record(),
        }
        result = await connection.execute(insert(CaseEvent).values(values).returning(CaseEvent.id))
        return int(result.scalar_one())

    async def committed(self, kind: str) -> int:
        async with self.engine.begin() as connection:
            return await self.insert(connection, kind)


@pytest.fixture
async def rig(settings: Settings, live: LiveHub, http: GraphQLClient) -> AsyncIterator[Rig]:
    case = await ok(
        http,
        REPORT,
        Actors(live.server).city,
        description="一件案子，事件由测试直接写入",
        categoryCode="NOISE",
        source="HOTLINE_12345",
        location={"lat": 39.900, "lng": 116.235},
    )
    engine = create_engine(settings.database_url)
    clock = Clock()
    stream: Stream[CaseEvent, CaseFacts] = Stream(
        CASES,
        create_sessionmaker(engine),
        dialect="postgresql",
        gap_timeout=GAP_TIMEOUT,
        clock=clock,
    )
    try:
        await stream.prime()
        yield Rig(engine, stream, clock, await _case_id(engine, str(case["number"])))
    finally:
        await engine.dispose()


async def _case_id(engine: AsyncEngine, number: str) -> int:
    async with engine.connect() as connection:
        return int(
            (await connection.execute(select(Case.id).where(Case.number == number))).scalar_one()
        )


def types(rig: Rig, subscriber: Subscriber[CaseEvent, CaseFacts]) -> list[str]:
    return [delivery.row.type for delivery in subscriber.ready()]


async def test_an_event_committed_after_a_later_one_is_delivered_first(rig: Rig) -> None:
    subscriber = rig.stream.register(lambda facts: True, limit=100)
    # given a transaction that took an id and has not committed yet
    async with rig.engine.connect() as slow:
        transaction = await slow.begin()
        first = await rig.insert(slow, "SLOW")
        # when a later id commits and the stream reads it
        second = await rig.committed("FAST")
        assert second > first
        await rig.stream.read_once()
        # then it is held back: releasing it would let a client's cursor skip the slow one
        assert types(rig, subscriber) == []
        assert rig.stream.safe < first
        # when the slow transaction commits
        await transaction.commit()
    await rig.stream.read_once()
    # then both go out, in id order
    assert types(rig, subscriber) == ["SLOW", "FAST"]
    assert rig.stream.safe >= second


async def test_an_id_burned_by_a_rollback_holds_nothing_back_once_proven(rig: Rig) -> None:
    subscriber = rig.stream.register(lambda facts: True, limit=100)
    # given an id taken by a transaction that rolls back, and a later one committed
    async with rig.engine.connect() as doomed:
        transaction = await doomed.begin()
        await rig.insert(doomed, "NEVER")
        later = await rig.committed("LATER")
        await rig.stream.read_once()
        assert types(rig, subscriber) == []
        await transaction.rollback()
    # when the gap is old enough to take its horizon, and the next read finds its writers gone
    rig.clock.now += MIN_GAP_AGE
    await rig.stream.read_once()
    await rig.stream.read_once()
    # then the later event goes out (long before the gap timeout)
    assert types(rig, subscriber) == ["LATER"]
    assert rig.stream.safe >= later


async def test_an_open_transaction_holds_events_back_until_the_timeout_then_comes_late(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    subscriber = rig.stream.register(lambda facts: True, limit=100)
    async with rig.engine.connect() as stuck:
        transaction = await stuck.begin()
        await rig.insert(stuck, "STUCK")
        await rig.committed("AFTER")
        # an open transaction is never proven done: the events wait, up to the timeout
        rig.clock.now += MIN_GAP_AGE
        await rig.stream.read_once()
        await rig.stream.read_once()
        assert types(rig, subscriber) == []
        rig.clock.now += GAP_TIMEOUT
        with caplog.at_level(logging.WARNING, logger="hub.events"):
            await rig.stream.read_once()
        assert types(rig, subscriber) == ["AFTER"]
        assert "delivering past them" in caplog.text
        # and the stuck one, committed at last, is still delivered (late, and said so)
        await transaction.commit()
    with caplog.at_level(logging.WARNING, logger="hub.events"):
        await rig.stream.read_once()
    assert types(rig, subscriber) == ["STUCK"]
    assert "committed after the stream gave up on it" in caplog.text
