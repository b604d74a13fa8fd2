"""Live events written straight to a subscriber's socket from the stream's task."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, Protocol

from graphql import ExecutionResult as GraphQLExecutionResult

from hub.events.delivery import Delivery
from schema.live.context import LiveContext
from schema.live.execution import SharedEventExecution

log = logging.getLogger("hub.events")


class Outlet(Protocol):
    """One operation's way out to its socket (the WebSocket layer's)."""

    def write(self, data: object) -> bool:
        """Write a ``next`` message carrying ``{"data": data}`` now, if the operation is still
        on and its socket takes it at once; False having written nothing."""


OUTLET: ContextVar[Outlet | None] = ContextVar("hub_outlet", default=None)  # per operation task


class LiveSender:
    """Sends one subscription's live events straight to its socket, from the stream's task
    (``hub.events.delivery.Direct``): the result executed once per event and kind of
    subscriber, the frame encoded once (``GraphQLWebSocket.frame``)."""

    __slots__ = ("context", "outlet", "wrap")

    def __init__(self, context: LiveContext, outlet: Outlet, wrap: Callable[[Any], object]) -> None:
        self.context = context
        self.outlet = outlet
        self.wrap = wrap

    @property
    def group(self) -> Hashable:
        executor = self.context.executor
        sharing = executor.sharing() if executor is not None else None
        return sharing if sharing is not None else id(self)

    async def prepare(self, delivery: Delivery[Any, Any]) -> object | None:
        return await self._data(delivery)

    def write(self, prepared: object) -> bool:
        return self.outlet.write(prepared)

    async def _data(self, delivery: Delivery[Any, Any]) -> object | None:
        executor = self.context.executor
        if executor is None:
            return None
        memo: dict[tuple[object, ...], object | None] = delivery.batch.memo.setdefault("data", {})
        key = (type(delivery.row).__name__, delivery.row.id, executor.sharing())
        if key not in memo:
            memo[key] = await self._execute(executor, delivery)
        return memo[key]

    async def _execute(
        self, executor: SharedEventExecution, delivery: Delivery[Any, Any]
    ) -> object | None:
        """The event's ``data``; None when it has errors (strawberry's path reports them)."""
        event = executor.build_per_event_executor(self.wrap(delivery.row))
        context = self.context.for_operation()  # the subscriber's task may resume meanwhile
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
