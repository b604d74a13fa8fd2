"""The root Subscription: case and whistle timelines, live, over GraphQL over WebSocket.

How events reach sockets is in ``schema.live``.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
)
from functools import partial
from typing import Annotated, Any, TypeVar

import strawberry

from hub.auth.policy import PermissionDeniedError
from hub.cases.access import may_read_cases
from hub.errors import ErrorCode, NotFoundError, UnauthenticatedError, UnknownJurisdictionError
from hub.events.delivery import Delivery, SubscriberTooSlowError
from hub.events.sources import CaseSelection, WhistleSelection
from hub.events.stream import Stream
from hub.geo.models import level_of_code
from hub.pagination import InvalidCursorError
from hub.whistles.access import may_read_whistles
from schema.cases.queries import visible_case
from schema.cases.types import CaseEvent
from schema.context import Info
from schema.core.errors import PublicError
from schema.core.relay import row_id
from schema.live.context import LiveContext
from schema.live.sender import OUTLET, LiveSender
from schema.whistles.queries import visible_whistle
from schema.whistles.types import WhistleEvent

T = TypeVar("T")


def _live(info: Info) -> LiveContext:
    context = info.context
    if not isinstance(context, LiveContext):
        raise PublicError(
            ErrorCode.WEBSOCKET_ONLY, "Subscribe over WebSocket (graphql-transport-ws)."
        )
    return context


def _cursor(after: strawberry.ID | None) -> int | None:
    if after is None:
        return None
    value = row_id(str(after))
    if value is None:
        raise InvalidCursorError(f"{str(after)[:40]!r} is not an event id; pass an event's id")
    return value


def _check_jurisdiction(code: str | None) -> None:
    if code is not None and level_of_code(code) is None:
        raise UnknownJurisdictionError(f"no jurisdiction {code!r}")


def _follow(
    context: LiveContext,
    stream: Stream[Any, Any],
    selection: CaseSelection | WhistleSelection,
    after: int | None,
    wrap: Callable[[Any], T],
) -> AsyncGenerator[T, None]:
    """The subscription's events; on a socket, it ends once caught up (``Outlet.leave``)
    and its subscriber sleeps, written to directly, until ``_woken`` carries on with it."""
    outlet = OUTLET.get()
    # The operation's executor, taken from its context: each refers to the other, a cycle
    # that would leave the execution context (~5 KiB) to the collector once the task ends.
    executor, context.executor = context.executor, None
    deliveries: AsyncIterator[Delivery[Any, Any]] = stream.follow(
        selection.matches,
        selection.replay,
        after=after,
        limit=context.settings.ws_max_queued_events,
        share=selection.key,
        direct=LiveSender(outlet, wrap, executor) if outlet is not None else None,
        leave=partial(outlet.leave, stream) if outlet is not None else None,
    )
    return _events(context, deliveries, wrap)


def _woken(context: LiveContext) -> AsyncGenerator[Any, None] | None:
    """A subscription asleep, woken (``Outlet.take``): its events from where it stopped, with
    none of the checks of subscribing again (its filter judges each event as before)."""
    outlet = OUTLET.get()
    taken = outlet.take() if outlet is not None else None
    if outlet is None or taken is None:
        return None
    stream, subscriber = taken
    sender = subscriber.direct
    assert isinstance(sender, LiveSender)
    deliveries = stream.carry_on(subscriber, partial(outlet.leave, stream))
    return _events(context, deliveries, sender.wrap)


async def _events(
    context: LiveContext,
    deliveries: AsyncIterator[Delivery[Any, Any]],
    wrap: Callable[[Any], T],
) -> AsyncGenerator[T, None]:
    try:
        async for delivery in deliveries:
            context.use(delivery)
            yield wrap(delivery.row)
            context.release()
            del delivery
    except SubscriberTooSlowError as error:
        resume = None if error.last_id is None else str(error.last_id)
        raise PublicError(
            ErrorCode.SUBSCRIBER_TOO_SLOW,
            "Events came faster than this subscription took them; subscribe again with"
            f" after: {resume!r} to carry on where it stopped.",
            after=resume,
        ) from error


def _case_event(row: Any) -> CaseEvent:
    return CaseEvent(row=row)


def _whistle_event(row: Any) -> WhistleEvent:
    return WhistleEvent(row=row)


def _check_signed_in(context: LiveContext) -> None:
    if context.actor.is_anonymous:
        raise UnauthenticatedError("Subscriptions need a token: send it in connectionParams.")


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
        if (woken := _woken(context)) is not None:
            return woken
        cursor = _cursor(after)
        _check_signed_in(context)
        if not may_read_cases(context.actor):
            raise PermissionDeniedError("Your role does not read individual cases.")
        _check_jurisdiction(jurisdiction_code)
        if case_number is not None and not await context.check(visible_case(info, case_number)):
            raise NotFoundError(f"no case {case_number!r}")
        selection = CaseSelection(context.actor, case_number, jurisdiction_code, department_code)
        stream = context.feed.cases
        return _follow(
            context,
            stream,
            selection,
            cursor,
            _case_event,
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
        if (woken := _woken(context)) is not None:
            return woken
        cursor = _cursor(after)
        _check_signed_in(context)
        if not may_read_whistles(context.actor):
            raise PermissionDeniedError("Your role does not read individual whistles.")
        _check_jurisdiction(jurisdiction_code)
        if whistle_number is not None and not await context.check(
            visible_whistle(info, whistle_number)
        ):
            raise NotFoundError(f"no whistle {whistle_number!r}")
        selection = WhistleSelection(
            context.actor, whistle_number, jurisdiction_code, department_code
        )
        stream = context.feed.whistles
        return _follow(
            context,
            stream,
            selection,
            cursor,
            _whistle_event,
        )
