"""Where the live feeds stand: the cursors a client subscribes after, so that it loads a list
and follows it without missing what is committed in between.

A subscription without ``after`` starts when the hub registers it, which a client cannot see:
a list read before that moment and an event committed between the two would leave the list
stale. A client that takes these cursors first, then loads, then subscribes with them misses
nothing: every event at or below a cursor is committed (its effect is in anything read after
it), and the subscription replays everything above it. Events it already has come at most once
more, with the ids it has seen.
"""

from __future__ import annotations

import strawberry

from hub.errors import UnauthenticatedError
from schema.context import Info


@strawberry.type(
    description="The newest settled event of each live feed: pass it as `after` to"
    " `whistleEvents` / `caseEvents` to follow on from what you read after taking it."
)
class EventCursors:
    whistle_events: strawberry.ID = strawberry.field(description="For `whistleEvents(after:)`.")
    case_events: strawberry.ID = strawberry.field(description="For `caseEvents(after:)`.")


@strawberry.type
class LiveQuery:
    @strawberry.field(
        description="Where the live feeds stand. Take them, then load your lists, then"
        " subscribe with `after:` them: nothing committed in between is missed."
    )
    def event_cursors(self, info: Info) -> EventCursors:
        context = info.context
        if context.actor.is_anonymous:
            raise UnauthenticatedError("Event cursors need a token, as subscriptions do.")
        feed = context.feed
        return EventCursors(
            whistle_events=strawberry.ID(str(feed.whistles.safe)),
            case_events=strawberry.ID(str(feed.cases.safe)),
        )
