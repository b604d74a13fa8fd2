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
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

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
from hub.auth.actors import ANONYMOUS, Actor
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
from hub.http.ratelimit import (
    MemoryRateLimiter,
    RateLimiter,
    RateLimitMiddleware,
    RedisRateLimiter,
    bucket_key,
)
from hub.observability import metrics
from hub.observability.tracing import Tracing
from hub.open311.views import Open311
from hub.reference import ReferenceData
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
    reference: ReferenceData = field(default_factory=ReferenceData)

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
        await self.reference.load(self.sessionmaker)
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

    async def healthz(self, _: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(self, _: Request) -> JSONResponse:
        """Ready when the database answers, the geography is loaded and Redis (if any) answers."""
        report = {
            "database": await self.database_status(),
            "geography": self.geo.loaded,
            "redis": await self.redis_status(),
        }
        ready = report["database"] == "ok" and report["geography"] and report["redis"] != "down"
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", **report}, 200 if ready else 503
        )


class Credentials:
    """Who a request is: its bearer token verified once, for the rate limiter and the context."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def authentication(self, request: Request) -> Authentication:
        outcome = getattr(request.state, "authentication", None)
        if outcome is None:
            try:
                outcome = await authenticate_async(
                    self.hub.settings, request.headers.get("authorization")
                )
            except InvalidTokenError as error:
                outcome = error
            request.state.authentication = outcome
        if isinstance(outcome, InvalidTokenError):
            raise outcome
        return outcome

    async def actor(self, request: Request) -> Actor:
        """The request's actor; a token the hub cannot verify is a 401 (503 without keys)."""
        try:
            return (await self.authentication(request)).actor
        except SigningKeysUnavailableError as error:
            raise RequestRejected(503, str(error), {"Retry-After": "30"}) from error
        except InvalidTokenError as error:
            raise RequestRejected(
                401, f"invalid token: {error}", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            ) from error

    async def bucket(self, scope: Scope) -> tuple[str, int]:
        """A verified token's own rate-limit bucket; otherwise the client address's."""
        settings = self.hub.settings
        try:
            token_id = (await self.authentication(Request(scope))).token_id
        except InvalidTokenError:
            token_id = None
        client = scope.get("client")
        key = bucket_key(token_id, client[0] if client else "unknown")
        if token_id:
            return key, settings.rate_limit_per_minute
        return key, settings.rate_limit_anonymous_per_minute


class RefusalAudit:
    """Requests refused before any resolver ran are attempts too, if they were (or may have
    been) mutations: on record under their code, as the resolvers' own refusals are."""

    def __init__(self, hub: Hub, credentials: Credentials, parse_options: Mapping[str, Any]):
        from schema.core.refused import Throttle

        self.hub = hub
        self.credentials = credentials
        self.parse_options = parse_options
        self.rate_limited_on_record = Throttle(60.0)

    async def _record(self, actor: Actor, query: str | None, code: str, message: str) -> None:
        from schema.core.refused import audit_refused_request

        await audit_refused_request(
            self.hub.sessionmaker, actor, query, code, message, self.parse_options
        )

    async def refused(self, context: object, rejection: RequestRejected) -> None:
        """Refused by the HTTP layer: bad JSON, nesting, NUL, an oversized body, a mutation
        over GET, the request deadline."""
        actor = getattr(context, "actor", None)
        if isinstance(actor, Actor):
            code = rejection.code or REFUSAL_CODES.get(
                rejection.status_code, ErrorCode.INVALID_REQUEST
            )
            await self._record(actor, rejection.query, code, rejection.message)

    async def unauthenticated(self, request: Request, rejection: RequestRejected) -> None:
        """Sent with a token the hub refuses (401), by nobody the hub knows: on record as the
        anonymous actor (the rate limit bounds how many)."""
        from schema.core.refused import query_of

        if request.method == "POST":
            query = await query_of(request.receive, self.hub.settings.max_body_bytes)
        else:
            query = request.query_params.get("query")
        await self._record(ANONYMOUS, query, ErrorCode.UNAUTHENTICATED, rejection.message)

    async def rate_limited(self, scope: Scope, receive: Receive, key: str) -> None:
        """Over the rate limit: on record once a minute per bucket (its body is read only
        then, to tell a mutation from a query)."""
        from schema.core.refused import attempted_mutations, query_of

        if scope.get("method") != "POST" or not self.rate_limited_on_record.due(key):
            return
        query = await query_of(receive, self.hub.settings.max_body_bytes)
        if query is None or attempted_mutations(query, self.parse_options) is None:
            return
        self.rate_limited_on_record.first(key)
        try:
            actor = (await self.credentials.authentication(Request(scope))).actor
        except Exception:  # an invalid token is its own refusal; the attempt is still noted
            actor = ANONYMOUS
        await self._record(
            actor,
            query,
            "RATE_LIMITED",
            _RATE_LIMITED_NOTE,
        )

    async def socket_rate_limited(self, context: object, query: str, key: str) -> None:
        """A socket's ``subscribe`` over the limit: as over HTTP, a mutation attempt is on
        record once a minute per bucket."""
        from schema.core.refused import attempted_mutations

        actor = getattr(context, "actor", None)
        if not isinstance(actor, Actor) or not self.rate_limited_on_record.due(key):
            return
        if attempted_mutations(query, self.parse_options) is None:
            return
        self.rate_limited_on_record.first(key)
        await self._record(actor, query, "RATE_LIMITED", _RATE_LIMITED_NOTE)


_RATE_LIMITED_NOTE = (
    "over the rate limit; further refusals of this client within a minute go unrecorded"
)


def create_app(settings: Settings | None = None) -> Starlette:
    # The schema is imported here, not at the top: the command line (``cli``) then starts
    # without building it, which a `hub sync` or `hub token` has no use for.
    from schema import build_schema
    from schema.context import Context
    from schema.core.limits import QueryLimits
    from schema.live.context import LiveContext
    from schema.live.websocket import GraphQLWebSocket

    hub = Hub.create(settings or get_settings())
    settings = hub.settings
    credentials = Credentials(hub)
    schema = build_schema(settings)
    parse_options = QueryLimits.from_settings(settings).parse_options()
    audit = RefusalAudit(hub, credentials, parse_options)

    async def build_context(request: Request) -> Context:
        return Context(
            actor=await credentials.actor(request),
            settings=settings,
            sessionmaker=hub.sessionmaker,
            geo=hub.geo,
            reference=hub.reference,
            feed=hub.events,
        )

    def live() -> LiveContext:
        """A WebSocket's context: anonymous until its connection_init names a token."""
        return LiveContext(
            actor=ANONYMOUS,
            settings=settings,
            sessionmaker=hub.sessionmaker,
            geo=hub.geo,
            reference=hub.reference,
            feed=hub.events,
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
        on_refused=audit.refused,
        on_unauthenticated=audit.unauthenticated,
    )
    limiter: RateLimiter = (
        RedisRateLimiter(settings.redis_url, settings.rate_limit_prefix)
        if settings.redis_url
        else MemoryRateLimiter()
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await limiter.aclose()
            await hub.stop()

    sockets = GraphQLWebSocket(
        schema,
        settings=settings,
        new_context=live,
        limiter=limiter,
        on_rate_limited=audit.socket_rate_limited,
    )
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", sockets),
            graphiql_assets(),
            Route("/healthz", hub.healthz, methods=["GET"]),
            Route("/readyz", hub.readyz, methods=["GET"]),
            Route("/metrics", metrics.metrics_endpoint, methods=["GET"]),
            *Open311(hub.sessionmaker, hub.geo, settings).routes(),
            *board_routes(),
        ],
        middleware=[
            # Outermost, so that a request's span covers all the hub does with it.
            *([Middleware(_Traced, tracing=hub.tracing)] if hub.tracing is not None else []),
            *browser_middleware(settings, sockets={"/graphql": sockets}),
            Middleware(
                RateLimitMiddleware,
                limiter=limiter,
                identify=credentials.bucket,
                on_refused=audit.rate_limited,
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
