"""Mutations refused before any resolver ran (a variable of the wrong type, a failed check of
the document, a request the HTTP layer refused) are attempts too: each root field gets its audit
row, like a refusal in a payload."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, get_operation_ast, parse
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from hub.audit import service as audit
from hub.auth.actors import Actor
from hub.db import transaction, utcnow
from schema.core.context import RequestContext

MAX_ROWS = 10
# A document that does not parse but begins with the keyword (comments and commas aside).
_MUTATION_TEXT = re.compile(r"^(?:[\s,\ufeff]|#[^\n]*)*mutation\b")
UNREAD = "graphql"  # the operation of a request whose document could not be read
log = logging.getLogger("hub.audit")


def _refusal(errors: list[GraphQLError]) -> str:
    code = (errors[0].extensions or {}).get("code")
    return str(code) if code else "INVALID_REQUEST"


class AuditRefusedMutations(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        document, context = execution.graphql_document, execution.context
        if not isinstance(context, RequestContext):
            return
        result = execution.result
        errors = execution.pre_execution_errors or (
            result.errors if result is not None and result.data is None else None
        )
        if not errors or any(error.path for error in errors):
            return
        if document is None:  # it did not parse: a mutation by its first word, if at all
            if not _MUTATION_TEXT.match(execution.query or ""):
                return
            fields = ["mutation"]
        else:
            operation = get_operation_ast(document, execution.operation_name)
            if operation is None or operation.operation.value != OperationType.MUTATION.value:
                return
            named = operation.selection_set.selections
            fields = list(dict.fromkeys(n.name.value for n in named if isinstance(n, FieldNode)))
        await record_attempts(
            context.sessionmaker, context.actor, fields, _refusal(errors), errors[0].message
        )


async def record_attempts(
    sessionmaker: Any, actor: Actor, fields: list[str], outcome: str, message: str
) -> None:
    """One audit row per root field (a few at most: a thousand aliases are one attempt)."""
    now = utcnow()
    async with transaction(sessionmaker) as session:
        for field in fields[:MAX_ROWS]:
            audit.record(
                session=session,
                actor=actor,
                operation=field,
                target=None,
                outcome=outcome,
                at=now,
                detail={"message": message[:500]},
            )


def attempted_mutations(query: str | None, parse_options: Mapping[str, Any]) -> list[str] | None:
    """The root fields a request's document attempts to mutate; ``["mutation"]`` for one that
    does not parse, ``[UNREAD]`` when there was no document to read; None for anything else."""
    if query is None:
        return [UNREAD]
    try:
        document = parse(query, no_location=True, **parse_options)
    except GraphQLError:
        return ["mutation"] if _MUTATION_TEXT.match(query) else None
    fields: list[str] = []
    for node in document.definitions:
        if isinstance(node, OperationDefinitionNode) and node.operation.value == "mutation":
            selected = node.selection_set.selections
            fields += [n.name.value for n in selected if isinstance(n, FieldNode)]
    return list(dict.fromkeys(fields)) or None


async def audit_refused_request(
    sessionmaker: Any,
    actor: Actor,
    query: str | None,
    code: str,
    message: str,
    parse_options: Mapping[str, Any],
) -> None:
    """A mutation (or an unreadable POST) the HTTP layer refused: on record under its code."""
    fields = attempted_mutations(query, parse_options)
    if not fields:
        return
    try:
        await record_attempts(sessionmaker, actor, fields, code, message)
    except Exception:  # the refusal is answered either way; the database may be what failed
        log.exception("could not audit a refused request (%s)", code)


class Throttle:
    """At most one audit row per key and period: a client over its rate limit is on record
    once a minute, and its flood does not become a flood of writes."""

    def __init__(self, period_seconds: float, max_keys: int = 10_000) -> None:
        self.period = period_seconds
        self.max_keys = max_keys
        self._last: dict[str, float] = {}

    def due(self, key: str) -> bool:
        """Whether ``key`` has no row within the period (without taking its turn)."""
        last = self._last.get(key)
        return last is None or time.monotonic() - last >= self.period

    def first(self, key: str) -> bool:
        now = time.monotonic()
        if not self.due(key):
            return False
        if len(self._last) >= self.max_keys:
            self._last = {k: t for k, t in self._last.items() if now - t < self.period}
        self._last[key] = now
        return True


async def query_of(receive: Any, limit: int) -> str | None:
    """The ``query`` of a JSON request body read from ``receive`` (at most ``limit`` bytes)."""
    body = bytearray()
    more = True
    while more and len(body) <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body += message.get("body", b"")
        more = bool(message.get("more_body"))
    if more:
        return None
    try:
        payload = json.loads(bytes(body))
    except (ValueError, RecursionError):
        return None
    query = payload.get("query") if isinstance(payload, dict) else None
    return query if isinstance(query, str) else None
