"""What a socket may carry: how many sockets a token opens, which operations, which messages."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError, get_operation_ast, parse
from graphql import OperationType as OperationKind
from strawberry.schema import BaseSchema
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from hub.errors import ErrorCode
from schema.core.errors import PublicError
from schema.core.limits import QueryLimits
from schema.core.refused import audit_refused_request
from schema.live.context import LiveContext
from schema.live.execution import STREAMING

__all__ = ["SocketCounter", "SubscriptionsOnly", "well_formed"]

MAX_PEEK_TOKENS = 10_000  # looking at the operation's type; the schema's own limits come after
PEEKED = 64  # texts whose operation type is remembered


class SocketCounter:
    """Open sockets per token (or client address); refuses beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: Counter[str] = Counter()

    def acquire(self, key: str) -> bool:
        if self.open[key] >= self.limit:
            return False
        self.open[key] += 1
        return True

    def release(self, key: str) -> None:
        self.open[key] -= 1
        if self.open[key] <= 0:
            del self.open[key]


class SubscriptionsOnly:
    """The schema as a socket runs it: subscriptions only, each with a context of its own."""

    def __init__(self, schema: BaseSchema) -> None:
        self._schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def stream(self, query: str | None, *, context_value: Any = None, **options: Any) -> Any:
        kind = _operation_type(query, options.get("operation_name"))
        if kind not in (None, OperationKind.SUBSCRIPTION):
            assert kind is not None
            message = (
                f"A {kind.value} goes over HTTP (POST /graphql); the WebSocket carries"
                " subscriptions only."
            )
            if kind is OperationKind.MUTATION and isinstance(context_value, LiveContext):
                # A mutation attempt, refused here as over HTTP: on record under its code.
                limits = QueryLimits.from_settings(context_value.settings)
                await audit_refused_request(
                    context_value.sessionmaker,
                    context_value.actor,
                    query,
                    ErrorCode.SUBSCRIPTIONS_ONLY,
                    message,
                    limits.parse_options(),
                )
            return _refused(PublicError(ErrorCode.SUBSCRIPTIONS_ONLY, message))
        if isinstance(context_value, LiveContext):
            context_value = context_value.for_operation()
        options["allowed_operation_types"] = (OperationType.SUBSCRIPTION,)
        streaming = STREAMING.set(True)  # the schema's extensions are made for a socket
        try:
            return await self._schema.stream(query, context_value=context_value, **options)
        finally:
            STREAMING.reset(streaming)


def _operation_type(query: str | None, name: object) -> OperationKind | None:
    """The operation's type; None when unclear (strawberry then reports why, as usual)."""
    return _kind(query or "", name if isinstance(name, str) else None)


@functools.lru_cache(maxsize=PEEKED)
def _kind(query: str, name: str | None) -> OperationKind | None:
    """Once per text: parsing leaves its tokens, a linked list of reference cycles, to the
    collector, and thousands of sockets subscribe with the same few texts."""
    try:
        document = parse(query, no_location=True, max_tokens=MAX_PEEK_TOKENS)
        operation = get_operation_ast(document, name)
    except GraphQLError:
        return None
    return operation.operation if operation is not None else None


async def _refused(error: GraphQLError) -> AsyncIterator[ExecutionResult]:
    yield PreExecutionError(data=None, errors=[error])


def well_formed(message: object) -> bool:
    """A ``graphql-transport-ws`` message the handler can read (a ``subscribe`` in full)."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    if message["type"] != "subscribe":
        return True
    payload = message.get("payload")
    return (
        isinstance(message.get("id"), str)
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("variables") or {}, dict)
    )
