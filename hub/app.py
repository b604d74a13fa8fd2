"""Where the hub is put together: the ASGI application and the ``hub`` command line.

The ASGI application serves GraphQL over HTTP and WebSocket at /graphql, GraphiQL, the board,
Open311, health and readiness; the command line is the hub's own commands (``hub.commands``)
with the adapters' (``sync``, ``adapters``, ``quarantine``, ``connections``).  This is the one
module of ``hub`` that imports ``schema`` and ``adapters`` (the import contracts in
pyproject.toml hold every other module to that).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.cli import adapters_command, quarantine_command, sync_command
from adapters.standing import connections_app, run_connection
from hub import commands, sweeper
from hub.auth.actors import ANONYMOUS
from hub.auth.tokens import (
    Authentication,
    InvalidTokenError,
    SigningKeysUnavailableError,
    authenticate_async,
)
from hub.board import board_routes
from hub.config import Settings, get_settings
from hub.connections.models import StandingConnection
from hub.connections.scheduler import Scheduler
from hub.db import create_engine, create_sessionmaker
from hub.errors import ErrorCode
from hub.events.feed import EventFeed
from hub.geo.index import GeoIndex
from hub.http.browsers import browser_middleware
from hub.http.graphiql import POLICY as GRAPHIQL_POLICY
from hub.http.graphiql import graphiql_assets, graphiql_page
from hub.http.graphql_http import GraphQLHTTPEndpoint, RequestRejected
from hub.http.ratelimit import MemoryRateLimiter, RateLimiter, RateLimitMiddleware, RedisRateLimiter
from hub.observability import metrics
from hub.observability.tracing import Tracing
from hub.open311.views import Open311
from hub.sweeper import sweep_forever
from hub.webhooks.dispatcher import Dispatcher

# The audit outcome of an HTTP refusal that carries no code of its own.
REFUSAL_CODES: dict[int, str] = {
    400: ErrorCode.INVALID_REQUEST,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.BODY_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}

log = logging.getLogger("hub")

GC_THRESHOLDS = (50_000, 20, 100)  # CPython's default is (700, 10, 10); see Hub.start


@dataclass
class Hub:
    """What one hub process holds for its whole life."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    geo: GeoIndex
    events: EventFeed
    sweeper: asyncio.Task[None] | None = None
    webhooks: Dispatcher | None = None
    connections: Scheduler | None = None
    tracing: Tracing | None = None

    @classmethod
    def create(cls, settings: Settings) -> Hub:
        engine = create_engine(
            settings.database_url, echo=settings.db_echo, pool_size=settings.db_pool_size
        )
        sessionmaker = create_sessionmaker(engine)
        metrics.watch_pool(engine)
        events = EventFeed(settings, sessionmaker, dialect=engine.dialect.name)
        tracing = Tracing(settings) if settings.otlp_endpoint else None
        if tracing is not None:
            tracing.instrument_engine(engine)
        return cls(settings, engine, sessionmaker, GeoIndex(), events, tracing=tracing)

    async def start(self) -> None:
        await self.geo.load(self.sessionmaker)
        await self.events.start()
        if self.settings.webhooks_enabled:
            self.webhooks = Dispatcher(self.settings, self.sessionmaker, self.events)
            await self.webhooks.start()
        if self.settings.connections_enabled:
            self.connections = Scheduler(self.settings, self.sessionmaker, self.run_connection)
            await self.connections.start()
        # Garbage collection vs. live events: the geography is static and large, so it is
        # kept out of every collection; and a fan-out to thousands of sockets has many objects
        # in flight, which small young generations would promote into the old one, triggering
        # full collections that stop the process for seconds with 10,000 sockets open.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        if self.settings.sweep_interval_seconds > 0:
            self.sweeper = asyncio.create_task(
                sweep_forever(self.sessionmaker, interval=self.settings.sweep_interval_seconds)
            )
        if not self.geo.loaded:
            log.warning("no geography in the database: run `hub demo` to load Beijing")

    async def stop(self) -> None:
        await sweeper.stop(self.sweeper)
        if self.connections is not None:
            await self.connections.stop()
        if self.webhooks is not None:
            await self.webhooks.stop()
        await self.events.stop()
        await self.engine.dispose()
        metrics.process_ended()
        if self.tracing is not None:
            self.tracing.shutdown()

    async def run_connection(self, row: StandingConnection) -> int:
        return await run_connection(
            row, settings=self.settings, sessionmaker=self.sessionmaker, geo=self.geo
        )

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
    # The schema is imported here, not at the top: the command line (``cli``) then starts
    # without building it, which a `hub sync` or `hub token` has no use for.
    from schema import build_schema
    from schema.context import Context
    from schema.core.limits import QueryLimits
    from schema.core.refused import Throttle, attempted_mutations, audit_refused_request, query_of
    from schema.live.context import LiveContext
    from schema.live.websocket import GraphQLWebSocket

    hub = Hub.create(settings or get_settings())

    async def authentication(request: Request) -> Authentication:
        """Verify the bearer token once per request: the rate limiter and the context share it."""
        outcome = getattr(request.state, "authentication", None)
        if outcome is None:
            try:
                outcome = await authenticate_async(
                    hub.settings, request.headers.get("authorization")
                )
            except InvalidTokenError as error:
                outcome = error
            request.state.authentication = outcome
        if isinstance(outcome, InvalidTokenError):
            raise outcome
        return outcome

    async def build_context(request: Request) -> Context:
        try:
            actor = (await authentication(request)).actor
        except SigningKeysUnavailableError as error:
            raise RequestRejected(503, str(error), {"Retry-After": "30"}) from error
        except InvalidTokenError as error:
            raise RequestRejected(
                401, f"invalid token: {error}", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            ) from error
        return Context(
            actor=actor,
            settings=hub.settings,
            sessionmaker=hub.sessionmaker,
            geo=hub.geo,
            feed=hub.events,
        )

    def live() -> LiveContext:
        """A WebSocket's context: anonymous until its connection_init names a token."""
        return LiveContext(
            actor=ANONYMOUS,
            settings=hub.settings,
            sessionmaker=hub.sessionmaker,
            geo=hub.geo,
            feed=hub.events,
        )

    async def rate_limit_bucket(scope: Scope) -> tuple[str, int]:
        """A verified token's own bucket; otherwise (no token, a bad one) the client address's."""
        try:
            token_id = (await authentication(Request(scope))).token_id
        except InvalidTokenError:
            token_id = None
        if token_id is not None:
            return f"token:{token_id}", hub.settings.rate_limit_per_minute
        client = scope.get("client")
        address = client[0] if client else "unknown"
        return f"ip:{address}", hub.settings.rate_limit_anonymous_per_minute

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
            await limiter.aclose()
            await hub.stop()

    settings = hub.settings
    schema = build_schema(settings)
    parse_options = QueryLimits.from_settings(settings).parse_options()
    rate_limited_on_record = Throttle(60.0)

    async def audit_refused(context: object, rejection: RequestRejected) -> None:
        """A request the HTTP layer refused is an attempt too, if it was (or may have been) a
        mutation: bad JSON, nesting, NUL, an oversized body, a mutation over GET."""
        if isinstance(context, Context):
            code = rejection.code or REFUSAL_CODES.get(
                rejection.status_code, ErrorCode.INVALID_REQUEST
            )
            await audit_refused_request(
                hub.sessionmaker,
                context.actor,
                rejection.query,
                code,
                rejection.message,
                parse_options,
            )

    async def audit_unauthenticated(request: Request, rejection: RequestRejected) -> None:
        """A mutation sent with a token the hub refuses (401) is an attempt too, by nobody the
        hub knows: on record as the anonymous actor (the rate limit bounds how many)."""
        if request.method == "POST":
            query = await query_of(request.receive, settings.max_body_bytes)
        else:
            query = request.query_params.get("query")
        await audit_refused_request(
            hub.sessionmaker,
            ANONYMOUS,
            query,
            ErrorCode.UNAUTHENTICATED,
            rejection.message,
            parse_options,
        )

    async def audit_rate_limited(scope: Scope, receive: Receive, key: str) -> None:
        """A mutation over the rate limit: on record once a minute per bucket (its body is
        read only then, to tell a mutation from a query)."""
        if scope.get("method") != "POST" or not rate_limited_on_record.due(key):
            return
        query = await query_of(receive, settings.max_body_bytes)
        if query is None or attempted_mutations(query, parse_options) is None:
            return
        rate_limited_on_record.first(key)
        try:
            actor = (await authentication(Request(scope))).actor
        except Exception:  # an invalid token is its own refusal; the attempt is still noted
            actor = ANONYMOUS
        await audit_refused_request(
            hub.sessionmaker,
            actor,
            query,
            "RATE_LIMITED",
            "over the rate limit; further refusals of this client within a minute go unrecorded",
            parse_options,
        )

    graphql = GraphQLHTTPEndpoint(
        schema,
        build_context,
        graphiql=settings.graphiql,
        max_body_bytes=settings.max_body_bytes,
        allow_batching=settings.batching,
        max_batch_size=settings.max_batch_size,
        timeout_seconds=settings.request_timeout_seconds,
        parse_options=parse_options,
        cache_max_age=settings.reference_max_age_seconds,
        ide_html=graphiql_page(settings),
        ide_headers={"Content-Security-Policy": GRAPHIQL_POLICY},
        on_refused=audit_refused,
        on_unauthenticated=audit_unauthenticated,
    )
    limiter: RateLimiter = (
        RedisRateLimiter(settings.redis_url, settings.rate_limit_prefix)
        if settings.redis_url
        else MemoryRateLimiter()
    )
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute(
                "/graphql", GraphQLWebSocket(schema, settings=settings, new_context=live)
            ),
            graphiql_assets(),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics.metrics_endpoint, methods=["GET"]),
            *Open311(hub.sessionmaker, hub.geo, settings).routes(),
            *board_routes(),
        ],
        middleware=[
            # Outermost, so that a request's span covers all the hub does with it.
            *([Middleware(_Traced, tracing=hub.tracing)] if hub.tracing is not None else []),
            *browser_middleware(settings),
            Middleware(
                RateLimitMiddleware,
                limiter=limiter,
                identify=rate_limit_bucket,
                on_refused=audit_rate_limited,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.rate_limiter = limiter
    return app


class _Traced:
    def __init__(self, app: ASGIApp, tracing: Tracing) -> None:
        self._app = tracing.middleware(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


# The `hub` command line: the hub's own commands and the adapters'.
cli = commands.app
cli.add_typer(connections_app, name="connections")
cli.command("sync")(sync_command)
cli.command("adapters")(adapters_command)
cli.command("quarantine")(quarantine_command)
