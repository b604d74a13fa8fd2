"""What every request's context holds, whatever the domains load: who asks, and the hub's parts.

``schema.context.Context`` adds the domains' loaders; the shared parts of the GraphQL face
(mutations, pages, audited refusals) need only this much, and so stay below the domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.auth.actors import Actor
from hub.config import Settings
from hub.reference import ReferenceData

if TYPE_CHECKING:
    from hub.geo.index import GeoIndex


@dataclass
class RequestContext:
    actor: Actor
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    geo: GeoIndex
    # The process's reference rows (empty: every look-up goes to the request's loaders).
    reference: ReferenceData = field(default_factory=ReferenceData, kw_only=True)


AnyInfo = strawberry.Info[Any, Any]
"""A resolver's ``info`` whatever its context (a ``RequestContext``, with loaders or not)."""
