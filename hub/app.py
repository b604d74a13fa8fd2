"""The ASGI application: GraphQL over HTTP at /graphql, GraphiQL, health and readiness."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.auth.tokens import InvalidTokenError, actor_from_authorization
from hub.config import Settings, get_settings
from hub.db import create_engine, create_sessionmaker
from hub.geo.index import GeoIndex
from hub.http.graphql_http import GraphQLHTTPEndpoint, RequestRejected
from schema import schema
from schema.context import Context

log = logging.getLogger("hub")


@dataclass
class Hub:
    """What one hub process holds for its whole life."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    geo: GeoIndex

    @classmethod
    def create(cls, settings: Settings) -> Hub:
        engine = create_engine(
            settings.database_url, echo=settings.db_echo, pool_size=settings.db_pool_size
        )
        return cls(settings, engine, create_sessionmaker(engine), GeoIndex())

    async def start(self) -> None:
        await self.geo.load(self.sessionmaker)
        if not self.geo.loaded:
            log.warning("no geography in the database: run `hub demo` to load Beijing")

    async def stop(self) -> None:
        await self.engine.dispose()

    async def database_status(self) -> str:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure to reach the database means not ready
            log.warning("readiness: database unreachable: %s", error)
            return "down"
        return "ok"

    async def redis_status(self) -> str:
        """ "ok", "down", or "none" when the hub runs with its in-process bus."""
        if not self.settings.redis_url:
            return "none"
        client = redis.from_url(self.settings.redis_url, socket_timeout=2)
        try:
            await client.ping()
        except redis.RedisError as error:
            log.warning("readiness: redis unreachable: %s", error)
            return "down"
        finally:
            await client.aclose()
        return "ok"


def create_app(settings: Settings | None = None) -> Starlette:
    hub = Hub.create(settings or get_settings())

    async def build_context(request: Request) -> Context:
        try:
            actor = actor_from_authorization(hub.settings, request.headers.get("authorization"))
        except InvalidTokenError as error:
            raise RequestRejected(
                401, f"invalid token: {error}", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            ) from error
        return Context(
            actor=actor, settings=hub.settings, sessionmaker=hub.sessionmaker, geo=hub.geo
        )

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        """Ready when the database answers, the geography is loaded and Redis (if any) answers."""
        report = {
            "database": await hub.database_status(),
            "geography": hub.geo.loaded,
            "redis": await hub.redis_status(),
        }
        ready = report["database"] == "ok" and report["geography"] and report["redis"] != "down"
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", **report}, 200 if ready else 503
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    graphql = GraphQLHTTPEndpoint(
        schema,
        build_context,
        graphiql=hub.settings.graphiql,
        max_body_bytes=hub.settings.max_body_bytes,
    )
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.hub = hub
    return app
