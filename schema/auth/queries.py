"""Root fields over the actor: me."""

from __future__ import annotations

import strawberry

from schema.auth.types import Actor
from schema.context import Info


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The actor behind this request; null without a token.")
    def me(self, info: Info) -> Actor | None:
        actor = info.context.actor
        return None if actor.is_anonymous else Actor(record=actor)
