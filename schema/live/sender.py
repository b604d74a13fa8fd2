"""Live events written straight to a subscriber's socket from the stream's task."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, Protocol

from graphql import ExecutionResult as GraphQLExecutionResult

from hub.events.delivery import Delivery, Subscriber
from hub.events.stream import Stream
from schema.live.context import LiveContext
from schema.live.execution import SharedEventExecution

log = logging.getLogger("hub.events")


class Outlet(Protocol):
    """One operation's way out to its socket (the WebSocket layer's)."""

    @property
    def context(self) -> LiveContext:
        """The socket's context (the operations' contexts are copies of it)."""

    def write(self, data: object) -> bool:
        """Write a ``next`` message carrying ``{"data": data}`` now, if the operation is still
        on and its socket takes it at once; False having written nothing."""

    def leave(self, stream: Stream[Any, Any], subscriber: Subscriber[Any, Any]) -> None:
        """The subscription is caught up: its task ends, leaving ``subscriber`` asleep on
        ``stream`` (``Subscriber.sleep``) until the direct path cannot serve it."""

    def take(self) -> tuple[Stream[Any, Any], Subscriber[Any, Any]] | None:
        """The subscriber left asleep, taken back by the operation's new task (once)."""


OUTLET: ContextVar[Outlet | None] = ContextVar("hub_outlet", default=None)  # per operation task


class LiveSender:
    """Sends one subscription's live events straight to its socket, from the stream's task
    (``hub.events.delivery.Direct``): the result executed once per event and kind of
    subscriber, the frame encoded once (``GraphQLWebSocket.frame``).

    It holds what an idle subscription needs and no more: the socket's context, its outlet,
    and its kind's executor and sharing key (``SharedEventExecution.of_kind``), not the
    operation's own execution context.
    """

    __slots__ = ("context", "executor", "group", "outlet", "wrap")

    def __init__(
        self,
        outlet: Outlet,
        wrap: Callable[[Any], object],
        executor: SharedEventExecution | None,
    ) -> None:
        self.context = outlet.context
        self.outlet = outlet
        self.wrap = wrap
        kind = executor.of_kind() if executor is not None else None
        sharing = kind.sharing() if kind is not None else None
        self.executor = kind
        self.group: Hashable = sharing if sharing is not None else id(self)

    async def prepare(self, delivery: Delivery[Any, Any]) -> object | None:
        return await self._data(delivery)

    def write(self, prepared: object) -> bool:
        return self.outlet.write(prepared)

    async def _data(self, delivery: Delivery[Any, Any]) -> object | None:
        executor = self.executor
        if executor is None:
            return None
        memo: dict[tuple[object, ...], object | None] = delivery.batch.memo.setdefault("data", {})
        key = (type(delivery.row).__name__, delivery.row.id, self.group)
        if key not in memo:
            memo[key] = await self._execute(executor, delivery)
        return memo[key]

    async def _execute(
        self, executor: SharedEventExecution, delivery: Delivery[Any, Any]
    ) -> object | None:
        """The event's ``data``; None when it has errors (strawberry's path reports them)."""
        event = executor.build_per_event_executor(self.wrap(delivery.row))
        context = self.context.for_operation()  # of its own: other events may be under way
        context.use(delivery)
        event.context_value = context
        try:
            result = event.execute_operation()
            if event.is_awaitable(result):
                result = await result
        except Exception:
            log.exception("executing event %s for direct delivery failed", delivery.row.id)
            return None
        finally:
            context.release()
        if not isinstance(result, GraphQLExecutionResult) or result.errors:
            return None
        return result.data
