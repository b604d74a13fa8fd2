"""What browsers need: CORS for front ends on other origins, an Origin check on the WebSocket
handshake, and compressed responses.

Starlette's ``CORSMiddleware`` answers preflights and marks responses for the configured
origins (``HUB_CORS_ORIGINS``); it does not look at WebSockets, which browsers open across
origins without asking. ``WebSocketOriginGuard`` refuses a handshake whose ``Origin`` is neither
the hub's own host nor an allowed origin (cross-site WebSocket hijacking: a page elsewhere
cannot ride a logged-in browser's socket). Clients that are not browsers send no ``Origin`` and
are let through; they authenticate with their token like everyone else.

A WebSocket lives for hours, and every ASGI layer it passes through keeps a suspended frame for
as long: ``WebSocketShortcut`` takes the GraphQL socket, after its Origin check, straight to its
app, past compression, CORS, the rate limits and the router, which pass a WebSocket through
untouched anyway (~5 KiB less per idle socket).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from brotli_asgi import BrotliMiddleware
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.config import Settings

# What the graph's clients send and may read back (rate-limit and cache headers).
ALLOWED_HEADERS = ["authorization", "content-type", "accept", "if-none-match"]
EXPOSED_HEADERS = [
    "ETag",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]


class WebSocketOriginGuard:
    """Refuse (HTTP 403) WebSocket handshakes from origins that are not allowed."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str] = ()) -> None:
        self.app = app
        self.allowed = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and not self.admits(Headers(scope=scope)):
            await send({"type": "websocket.close", "code": 1008, "reason": "origin not allowed"})
            return
        await self.app(scope, receive, send)

    def admits(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return True
        origin = origin.rstrip("/")
        return origin in self.allowed or urlsplit(origin).netloc == headers.get("host")


class WebSocketShortcut:
    """WebSockets to a path of ``sockets`` go to its app, through the Origin check only."""

    def __init__(
        self, app: ASGIApp, sockets: Mapping[str, ASGIApp], allowed_origins: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.sockets = {
            path: WebSocketOriginGuard(socket, allowed_origins) for path, socket in sockets.items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            socket = self.sockets.get(get_route_path(scope))
            if socket is not None:
                await socket(scope, receive, send)
                return
        await self.app(scope, receive, send)


def browser_middleware(
    settings: Settings, sockets: Mapping[str, ASGIApp] | None = None
) -> list[Middleware]:
    """Outermost first: the WebSocket shortcut for ``sockets`` (path: app), compression, then
    CORS, then the WebSocket Origin check."""
    origins = settings.allowed_origins
    middleware = [
        Middleware(WebSocketShortcut, sockets=sockets or {}, allowed_origins=origins),
        Middleware(
            BrotliMiddleware,
            minimum_size=settings.compress_min_bytes,
            quality=4,
            gzip_fallback=True,
        ),
    ]
    if origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=ALLOWED_HEADERS,
                expose_headers=EXPOSED_HEADERS,
                allow_credentials=True,
                max_age=600,
            )
        )
    middleware.append(Middleware(WebSocketOriginGuard, allowed_origins=origins))
    return middleware
