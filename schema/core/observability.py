"""Each query and mutation measured and logged: type, name, actor, duration, error codes.

Subscriptions are counted by the socket handler instead (``hub_subscriptions_active``): their
operation lasts as long as the subscriber stays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from hub.observability.metrics import observe_operation
from hub.observability.tracing import operation_span

log = logging.getLogger("hub.graphql")


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        with operation_span() as span:
            yield
            context = self.execution_context
            try:
                kind = context.operation_type
            except Exception:  # an unparsable document: its syntax error is the answer
                kind = OperationType.QUERY
            errors = list(getattr(context.result, "errors", None) or [])
            codes = [_code(error) for error in errors]
            if span is not None:
                span.update_name(f"{kind.value} {context.operation_name or '(anonymous)'}")
                span.set_attribute("graphql.operation.type", kind.value)
                if context.operation_name:
                    span.set_attribute("graphql.operation.name", context.operation_name)
                if codes:
                    span.set_attribute("hub.error_codes", codes)
        if kind is OperationType.SUBSCRIPTION:
            return
        seconds = time.perf_counter() - started
        observe_operation(kind.value, context.operation_name, seconds, codes)
        actor = getattr(context.context, "actor", None)
        log.info(
            "%s %s in %.1f ms%s",
            kind.value,
            context.operation_name or "(anonymous)",
            seconds * 1000,
            f" errors {','.join(codes)}" if codes else "",
            extra={
                "operation_type": kind.value,
                "operation": context.operation_name,
                "sub": getattr(actor, "sub", None),
                "duration_ms": round(seconds * 1000, 2),
                "error_codes": codes or None,
                "correlation_ids": [
                    e.extensions["correlationId"]
                    for e in errors
                    if e.extensions and "correlationId" in e.extensions
                ]
                or None,
            },
        )


def _code(error: GraphQLError) -> str:
    """The error's ``extensions.code``; GraphQL's own (syntax, validation) are GRAPHQL_ERROR."""
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) and code.isupper() and len(code) <= 40 else "GRAPHQL_ERROR"
