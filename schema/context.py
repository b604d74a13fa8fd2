"""The per-request context: who is asking, the database, the geography and the loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from strawberry.types import Info as _Info

from hub.db import reading
from schema.core.context import RequestContext
from schema.loaders import Loaders

if TYPE_CHECKING:
    from hub.events.feed import EventFeed


@dataclass
class Context(RequestContext):
    feed: EventFeed = field(kw_only=True)  # the process's live events (where they stand)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        # One DataLoader cache per request (never shared between requests); each batch is one
        # read, in autocommit.
        self.loaders = Loaders(reading(self.sessionmaker))


Info = _Info[Context, None]
