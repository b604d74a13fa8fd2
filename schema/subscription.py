"""The root Subscription: case and whistle timelines, live, over GraphQL over WebSocket.

Each operation on a socket runs with a context of its own (``LiveContext.for_operation``), and
each delivered event is resolved with DataLoaders shared by every subscriber receiving that
event in this process -- a socket lives for hours, so the loaders of a request would serve stale
rows, and 10,000 subscribers must not ask the database 10,000 times for the same case.

Going further, subscribers asking the same thing see the same answer: an event's selection is
executed once per operation text, variables and viewer -- the actor's role, jurisdiction and
department, which is all any resolver looks at -- and the result is shared
(``SharedEventExecution``).  A fan-out to 10,000 operators of one district platform costs one
execution and 10,000 sends, not 10,000 executions.

And a subscriber waiting for its next event is not woken for it: the stream's task writes the
shared result to its socket (``LiveSender``, through the ``Outlet`` the WebSocket layer gives
each operation), so those 10,000 sends are 10,000 socket writes from one task, not 10,000
task wake-ups each running strawberry's result pipeline.  Only what that cannot do -- an event
whose execution has errors to report, a socket that is full -- goes the ordinary way.  So a
schema extension's per-result hooks (``on_stream_result``) do not see directly sent events: the
hub's extensions have none that matters to an error-free result (masking is for errors).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections import OrderedDict
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterator,
)
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Protocol, TypeVar, cast

import strawberry
from graphql import DocumentNode, print_ast
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from hub.auth.policy import may_read_cases, may_read_whistles
from hub.events.delivery import Delivery, SubscriberTooSlowError, Unsendable, start_now
from hub.events.feed import EventFeed
from hub.events.sources import CaseFacts, CaseSelection, WhistleFacts, WhistleSelection
from hub.events.stream import Stream
from hub.geo.models import level_of_code
from schema.context import Context, Info
from schema.errors import PublicError
from schema.loaders import Loaders
from schema.query import visible_case
from schema.types.cases import CaseEvent
from schema.types.whistles import WhistleEvent
from schema.whistles_query import visible_whistle

__all__ = [
    "OUTLET",
    "LiveContext",
    "LiveSender",
    "Outlet",
    "SharedDocuments",
    "SharedEventExecution",
    "Subscription",
]

log = logging.getLogger("hub.events")

SHARED_DOCUMENTS = 512  # distinct subscription texts kept parsed

T = TypeVar("T")


@dataclass
class LiveContext(Context):
    """A WebSocket's context: the process's event feed and what the socket said on opening."""

    feed: EventFeed = field(kw_only=True)
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
                print_ast(self.operation),
                *(print_ast(fragment) for fragment in self.fragment_definitions.values()),
                json.dumps(self.variable_values.coerced, sort_keys=True, default=str),
                actor.role,
                actor.jurisdiction_code,
                actor.department_code,
            )
        return self._sharing

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


class Outlet(Protocol):
    """One operation's way out to its socket (the WebSocket layer's)."""

    def open(self) -> bool:
        """Still subscribed: neither completed by either side nor its socket gone."""

    def next(self, data: object) -> Coroutine[Any, Any, None]:
        """Send a ``next`` message carrying ``{"data": data}``."""


OUTLET: ContextVar[Outlet | None] = ContextVar("hub_outlet", default=None)  # per operation task


class LiveSender:
    """Sends one subscription's live events straight to its socket, from the stream's task
    (``hub.events.delivery.Direct``): the result executed once per event and kind of
    subscriber, the message encoded once (``GraphQLWebSocket.encode_json``)."""

    __slots__ = ("context", "outlet", "wrap")

    def __init__(self, context: LiveContext, outlet: Outlet, wrap: Callable[[Any], object]) -> None:
        self.context = context
        self.outlet = outlet
        self.wrap = wrap

    async def send(self, delivery: Delivery[Any, Any]) -> asyncio.Future[None] | None:
        outlet = self.outlet
        if not outlet.open():
            raise Unsendable
        data = await self._data(delivery)
        if data is None or not outlet.open():
            raise Unsendable
        try:
            return start_now(outlet.next(data))
        except Exception as error:  # the socket is going: the subscriber's task finds out
            raise Unsendable from error

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


def _live(info: Info) -> LiveContext:
    context = info.context
    if not isinstance(context, LiveContext):
        raise PublicError("WEBSOCKET_ONLY", "Subscribe over WebSocket (graphql-transport-ws).")
    return context


def _cursor(after: strawberry.ID | None) -> int | None:
    if after is None:
        return None
    try:
        value = int(str(after))
    except ValueError:
        value = -1
    if value < 0:
        raise PublicError("INVALID_CURSOR", f"{after!r} is not an event id")
    return value


def _check_jurisdiction(code: str | None) -> None:
    if code is not None and level_of_code(code) is None:
        raise PublicError("UNKNOWN_JURISDICTION", f"no jurisdiction {code!r}")


async def _follow(
    context: LiveContext,
    stream: Stream[Any, Any],
    selection: CaseSelection | WhistleSelection,
    after: int | None,
    wrap: Callable[[Any], T],
) -> AsyncGenerator[T, None]:
    outlet = OUTLET.get()
    deliveries: AsyncIterator[Delivery[Any, Any]] = stream.follow(
        selection.matches,
        selection.replay,
        after=after,
        limit=context.settings.ws_max_queued_events,
        share=selection.key,
        direct=LiveSender(context, outlet, wrap) if outlet is not None else None,
    )
    try:
        async for delivery in deliveries:
            context.use(delivery)
            yield wrap(delivery.row)
            context.release()
            del delivery
    except SubscriberTooSlowError as error:
        resume = None if error.last_id is None else str(error.last_id)
        raise PublicError(
            "SUBSCRIBER_TOO_SLOW",
            "Events came faster than this subscription took them; subscribe again with"
            f" after: {resume!r} to carry on where it stopped.",
            after=resume,
        ) from error


def _check_signed_in(context: LiveContext) -> None:
    if context.actor.is_anonymous:
        raise PublicError(
            "UNAUTHENTICATED", "Subscriptions need a token: send it in connectionParams."
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="A case timeline's events as they are committed, oldest first. Filters"
        " combine; only cases you may see. `after` (an event id) replays what you missed first."
    )
    async def case_events(
        self,
        info: Info,
        case_number: str | None = None,
        jurisdiction_code: Annotated[
            str | None,
            strawberry.argument(description="Any level; descendants and footprints crossing in."),
        ] = None,
        department_code: Annotated[
            str | None, strawberry.argument(description="Cases dispatched to this department.")
        ] = None,
        after: strawberry.ID | None = None,
    ) -> AsyncGenerator[CaseEvent, None]:
        context = _live(info)
        cursor = _cursor(after)
        _check_signed_in(context)
        if not may_read_cases(context.actor):
            raise PublicError("FORBIDDEN", "Your role does not read individual cases.")
        _check_jurisdiction(jurisdiction_code)
        if case_number is not None and not await context.check(visible_case(info, case_number)):
            raise PublicError("NOT_FOUND", f"no case {case_number!r}")
        selection = CaseSelection(context.actor, case_number, jurisdiction_code, department_code)
        stream = context.feed.cases
        return _follow(
            context,
            stream,
            selection,
            cursor,
            lambda row: CaseEvent(row=row),
        )

    @strawberry.subscription(
        description="A whistle timeline's events as they are committed, oldest first, each"
        " with the summons concerned when one party changed. Filters combine; only whistles"
        " you may see. `after` (an event id) replays what you missed first."
    )
    async def whistle_events(
        self,
        info: Info,
        whistle_number: str | None = None,
        jurisdiction_code: Annotated[
            str | None,
            strawberry.argument(description="The caller or a partner lies within it (any level)."),
        ] = None,
        department_code: Annotated[
            str | None, strawberry.argument(description="Whistles summoning this department.")
        ] = None,
        after: strawberry.ID | None = None,
    ) -> AsyncGenerator[WhistleEvent, None]:
        context = _live(info)
        cursor = _cursor(after)
        _check_signed_in(context)
        if not may_read_whistles(context.actor):
            raise PublicError("FORBIDDEN", "Your role does not read individual whistles.")
        _check_jurisdiction(jurisdiction_code)
        if whistle_number is not None and not await context.check(
            visible_whistle(info, whistle_number)
        ):
            raise PublicError("NOT_FOUND", f"no whistle {whistle_number!r}")
        selection = WhistleSelection(
            context.actor, whistle_number, jurisdiction_code, department_code
        )
        stream = context.feed.whistles
        return _follow(
            context,
            stream,
            selection,
            cursor,
            lambda row: WhistleEvent(row=row),
        )
