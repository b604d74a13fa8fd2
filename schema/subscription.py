"""The root Subscription: case and whistle timelines, live, over GraphQL over WebSocket.

Each operation on a socket runs with a context of its own (``LiveContext.for_operation``), and
each delivered event is resolved with DataLoaders shared by every subscriber receiving that
event in this process -- a socket lives for hours, so the loaders of a request would serve stale
rows, and 10,000 subscribers must not ask the database 10,000 times for the same case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy import Select

from hub.auth.policy import may_read_cases, may_read_whistles
from hub.events.feed import EventFeed
from hub.events.sources import CaseFacts, CaseSelection, WhistleFacts, WhistleSelection
from hub.events.stream import Delivery, Stream, SubscriberTooSlowError
from hub.geo.models import level_of_code
from schema.context import Context, Info
from schema.errors import PublicError
from schema.loaders import Loaders
from schema.query import visible_case
from schema.types.cases import CaseEvent
from schema.types.whistles import WhistleEvent
from schema.whistles_query import visible_whistle

__all__ = ["LiveContext", "Subscription"]

T = TypeVar("T")


@dataclass
class LiveContext(Context):
    """A WebSocket's context: the process's event feed and what the socket said on opening."""

    feed: EventFeed = field(kw_only=True)
    handshake_authorization: str | None = field(default=None, kw_only=True)
    connection_params: dict[str, object] | None = field(default=None, kw_only=True)
    socket_key: str | None = field(default=None, kw_only=True)
    client_address: str = field(default="unknown", kw_only=True)

    def for_operation(self) -> LiveContext:
        """A copy for one operation: same actor and feed, loaders of its own."""
        return dataclasses.replace(self)

    def use(self, delivery: Delivery[Any, Any]) -> None:
        """Resolve the next event with the loaders its batch shares, primed with its facts."""
        memo = delivery.batch.memo
        loaders = memo.get("loaders")
        if loaders is None:
            loaders = memo["loaders"] = Loaders(self.sessionmaker)
        facts = delivery.facts
        if isinstance(facts, CaseFacts):
            key = facts.case.id
            loaders.case_by_id.prime(key, facts.case)
            loaders.case_crossed.prime(key, facts.crossed)
            loaders.case_dispatches.prime(key, facts.dispatches)
        elif isinstance(facts, WhistleFacts):
            key = facts.whistle.id
            loaders.whistle_by_id.prime(key, facts.whistle)
            loaders.whistle_summons.prime(key, facts.summons)
            for summons in facts.summons:
                loaders.summons_by_id.prime(summons.id, summons)
        self.loaders = loaders


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
    accepts: Callable[[Any], bool],
    replay: Callable[[int, int], Select[Any]],
    after: int | None,
    wrap: Callable[[Any], T],
) -> AsyncGenerator[T, None]:
    deliveries: AsyncIterator[Delivery[Any, Any]] = stream.follow(
        accepts, replay, after=after, limit=context.settings.ws_max_queued_events
    )
    try:
        async for delivery in deliveries:
            context.use(delivery)
            yield wrap(delivery.row)
    except SubscriberTooSlowError as error:
        resume = None if error.last_id is None else str(error.last_id)
        raise PublicError(
            "SUBSCRIBER_TOO_SLOW",
            "Events came faster than this subscription took them; subscribe again with"
            f" after: {resume!r} to carry on where it stopped.",
            after=resume,
        ) from error


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
        if not may_read_cases(context.actor):
            raise PublicError("FORBIDDEN", "Your role does not read individual cases.")
        _check_jurisdiction(jurisdiction_code)
        if case_number is not None and await visible_case(info, case_number) is None:
            raise PublicError("NOT_FOUND", f"no case {case_number!r}")
        selection = CaseSelection(context.actor, case_number, jurisdiction_code, department_code)
        stream = context.feed.cases
        return _follow(
            context,
            stream,
            selection.matches,
            selection.replay,
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
        if not may_read_whistles(context.actor):
            raise PublicError("FORBIDDEN", "Your role does not read individual whistles.")
        _check_jurisdiction(jurisdiction_code)
        if whistle_number is not None and await visible_whistle(info, whistle_number) is None:
            raise PublicError("NOT_FOUND", f"no whistle {whistle_number!r}")
        selection = WhistleSelection(
            context.actor, whistle_number, jurisdiction_code, department_code
        )
        stream = context.feed.whistles
        return _follow(
            context,
            stream,
            selection.matches,
            selection.replay,
            cursor,
            lambda row: WhistleEvent(row=row),
        )
