"""A WebSocket's context: one per operation, with loaders shared by an event's batch."""

from __future__ import annotations

import dataclasses
from collections.abc import (
    Awaitable,
)
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from hub.events.delivery import Delivery
from hub.events.sources import CaseFacts, WhistleFacts
from schema.context import Context
from schema.loaders import Loaders

if TYPE_CHECKING:
    from schema.live.execution import SharedEventExecution


T = TypeVar("T")


@dataclass
class LiveContext(Context):
    """A WebSocket's context: what the socket said on opening, and the event it resolves."""

    handshake_authorization: str | None = field(default=None, kw_only=True)
    connection_params: dict[str, object] | None = field(default=None, kw_only=True)
    socket_key: str | None = field(default=None, kw_only=True)
    client_address: str = field(default="unknown", kw_only=True)
    current: Delivery[Any, Any] | None = field(default=None, kw_only=True)
    executor: SharedEventExecution | None = field(default=None, kw_only=True)  # the operation's

    def __post_init__(self) -> None:
        """No loaders until needed: a socket idles for hours, and there may be 10,000."""

    async def check(self, find: Awaitable[T]) -> T:
        """Await ``find`` (a look-up through loaders) with loaders made for it alone."""
        async with self.feed.gate:
            self.loaders = Loaders(self.sessionmaker)
            try:
                return await find
            finally:
                del self.loaders

    def for_operation(self) -> LiveContext:
        """A copy for one operation: same actor and feed."""
        return dataclasses.replace(self, current=None, executor=None)

    def use(self, delivery: Delivery[Any, Any]) -> None:
        """Resolve the next event with the loaders its batch shares, primed with its facts."""
        memo = delivery.batch.memo
        loaders = memo.get("loaders")
        if loaders is None:
            loaders = memo["loaders"] = Loaders(self.sessionmaker)
            memo["primed"] = set()
        primed: set[int] = memo["primed"]
        if delivery.facts is not None and id(delivery.facts) not in primed:
            primed.add(id(delivery.facts))  # the facts live as long as the batch
            _prime(loaders, delivery.facts)
        self.loaders = loaders
        self.current = delivery

    def release(self) -> None:
        """The event went out: hold nothing of it while waiting for the next."""
        self.current = None
        self.__dict__.pop("loaders", None)


def _prime(loaders: Loaders, facts: object) -> None:
    if isinstance(facts, CaseFacts):
        key = facts.case.id
        loaders.case_by_id.prime(key, facts.case)
        loaders.case_crossed.prime(key, facts.crossed)
        loaders.case_dispatches.prime(key, facts.dispatches)
        loaders.case_summoned.prime(key, facts.summoned)
    elif isinstance(facts, WhistleFacts):
        key = facts.whistle.id
        loaders.whistle_by_id.prime(key, facts.whistle)
        loaders.whistle_summons.prime(key, facts.summons)
        for summons in facts.summons:
            loaders.summons_by_id.prime(summons.id, summons)
