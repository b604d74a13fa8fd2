"""A tiny strawberry schema and Starlette app that exercise every branch of the endpoint.

Kept apart from the hub's real schema so the HTTP tests pin the transport's behaviour and do not
break when the domain schema changes.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from strawberry.types import Info

from hub.http import GraphQLHTTPEndpoint, RequestRejected

GOOD_TOKEN = "Bearer good-token"
CHINESE = "吹哨报到，接诉即办"

_counter = itertools.count(1)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello, {name}!"

    @strawberry.field
    def chinese(self) -> str:
        return CHINESE

    @strawberry.field
    def whoami(self, info: Info[dict[str, Any], None]) -> str | None:
        user: str | None = info.context["user"]
        return user

    @strawberry.field
    def echo_id(self, id: strawberry.ID) -> strawberry.ID:
        return id

    @strawberry.field
    def boom(self) -> str | None:
        raise ValueError("boom 爆炸")


@strawberry.type
class Mutation:
    @strawberry.mutation
    def increment(self) -> int:
        return next(_counter)


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        yield 1


schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)


async def context_factory(request: Request) -> dict[str, Any]:
    """No ``Authorization`` is anonymous; only ``GOOD_TOKEN`` is a valid one."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        return {"user": None}
    if authorization != GOOD_TOKEN:
        raise RequestRejected(401, "无效的令牌 (invalid token)", {"WWW-Authenticate": "Bearer"})
    return {"user": "tester"}


def build_app(**endpoint_options: Any) -> Starlette:
    """The hub's mounting recipe, with endpoint options overridable per test."""
    endpoint = GraphQLHTTPEndpoint(schema, context_factory, **endpoint_options)
    return Starlette(routes=[Route("/graphql", endpoint, methods=["GET", "POST"])])
