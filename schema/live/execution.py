"""One execution per event and kind of subscriber, and one parsed document per text."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import (
    Iterator,
)
from contextvars import ContextVar
from typing import Any, ClassVar, cast

from graphql import DocumentNode, Node, print_ast
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.live.context import LiveContext

log = logging.getLogger("hub.events")

SHARED_DOCUMENTS = 512  # distinct subscription texts kept parsed
KINDS = 512  # kinds of subscriber whose executor is kept, recently seen
PRINTED = 1024  # operations and fragments of the shared documents, printed
STREAMING: ContextVar[bool] = ContextVar("hub_streaming", default=False)  # a socket's operation


class SharedDocuments(SchemaExtension):
    """Subscriptions of the same text share one parsed document (its AST is immutable).

    Each parsed document is some 150 objects that live as long as the subscription; 10,000
    copies of one text would be 1.5 million objects for every full garbage collection to walk.
    Placed before the query limits: a text already parsed passed them, and a new one is parsed
    (within them) by the limits extension and remembered here afterwards.
    """

    documents: ClassVar[OrderedDict[str, DocumentNode]] = OrderedDict()  # per process

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query if isinstance(context.context, LiveContext) else None
        if query is not None and query in self.documents:
            self.documents.move_to_end(query)
            context.graphql_document = self.documents[query]
        yield
        if query is not None and context.graphql_document is not None:
            self.documents[query] = context.graphql_document
            if len(self.documents) > SHARED_DOCUMENTS:
                self.documents.popitem(last=False)


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    """Executes a subscription event once per (event, operation, variables, viewer); shares it.

    The result of an event's execution depends on nothing else: the event row, the batch's
    loaders, the operation and its variables, and the actor's role, jurisdiction and
    department (no resolver reads who, only what kind of viewer).  The first subscriber of a
    kind executes; the others await the same task (shielded: one leaving cancels nothing).
    """

    _sharing: tuple[object, ...] | None = None
    kinds: ClassVar[OrderedDict[tuple[object, ...], SharedEventExecution]] = OrderedDict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        context = self.context_value
        if isinstance(context, LiveContext) and context.executor is None:
            context.executor = self  # the operation's own: events are executed from it

    def sharing(self) -> tuple[object, ...] | None:
        """What an event's result depends on besides the event (None off a socket)."""
        if self._sharing is None and isinstance(self.context_value, LiveContext):
            actor = self.context_value.actor
            self._sharing = (
                _printed(self.operation),
                *(_printed(fragment) for fragment in self.fragment_definitions.values()),
                json.dumps(self.variable_values.coerced, sort_keys=True, default=str),
                actor.role,
                actor.jurisdiction_code,
                actor.department_code,
            )
        return self._sharing

    def of_kind(self) -> SharedEventExecution:
        """The executor of the first subscriber seen of this kind (per process, the recent
        ``KINDS``), which its events are executed from: an idle subscription holds that one,
        with its sharing key, instead of its own (~5 KiB of execution context each)."""
        sharing = self.sharing()
        kinds = self.kinds
        found = kinds.get(sharing) if sharing is not None else None
        if found is None:
            found = self
            if sharing is not None:
                kinds[sharing] = self
                if len(kinds) > KINDS:
                    kinds.popitem(last=False)
        elif sharing is not None:
            kinds.move_to_end(sharing)
        return found

    def build_per_event_executor(self, payload: Any) -> SharedEventExecution:
        executor = cast("SharedEventExecution", super().build_per_event_executor(payload))
        executor._sharing = self.sharing()
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        context = self.context_value
        delivery = context.current if isinstance(context, LiveContext) else None
        if delivery is None or self._sharing is None:
            return super().execute_operation(serially)
        shared: dict[tuple[object, ...], Any] = delivery.batch.memo.setdefault("results", {})
        key = (type(delivery.row).__name__, delivery.row.id, self._sharing)
        if key not in shared:
            outcome = super().execute_operation(serially)
            shared[key] = asyncio.ensure_future(outcome) if self.is_awaitable(outcome) else outcome
        found = shared[key]
        return asyncio.shield(found) if isinstance(found, asyncio.Future) else found


_printed_nodes: OrderedDict[int, tuple[Node, str]] = OrderedDict()


def _printed(node: Node) -> str:
    """``print_ast(node)``, once per node of the shared documents: printing makes reference
    cycles (graphql-core's print buffers) that every subscribe would leave to the collector."""
    # Keyed by identity, holding the node itself so that its id cannot be reused.
    found = _printed_nodes.get(id(node))
    if found is not None and found[0] is node:
        _printed_nodes.move_to_end(id(node))
        return found[1]
    text = print_ast(node)
    _printed_nodes[id(node)] = (node, text)
    if len(_printed_nodes) > PRINTED:
        _printed_nodes.popitem(last=False)
    return text
