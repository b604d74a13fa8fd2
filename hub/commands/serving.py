"""``hub serve``, and the settings a hub reachable from other machines refuses to start with."""

from __future__ import annotations

import ipaddress
import logging
import logging.config
import os
import tempfile
from typing import Annotated, Any

import typer
import uvicorn

from hub.commands.options import Host, Port, console
from hub.config import DEMO_JWT_SECRET, Settings, get_settings
from hub.events.frames import PROTOCOL as WEBSOCKET_PROTOCOL
from hub.http.slowclients import BoundedH11Protocol
from hub.observability.logs import logging_config
from hub.observability.metrics import MULTIPROCESS_DIR


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the hub (GraphQL at /graphql); workers share the port, and events through Redis."""
    settings = get_settings()
    problem = unsafe_start(host, settings)
    if problem:
        console.print(f"[red]hub serve refuses to listen on {host}:[/] {problem}")
        raise typer.Exit(2)
    if workers > 1 and not os.environ.get(MULTIPROCESS_DIR):
        # The workers share their metrics through files (prometheus-client's multi-process mode).
        os.environ[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix="hub-metrics-")
    log_config = logging_config(settings)
    if workers > 1 and not settings.redis_url:
        # Said through the hub's own log configuration, so a JSON log stays JSON lines.
        logging.config.dictConfig(log_config)
        logging.getLogger("hub.cli").warning(
            "without HUB_REDIS_URL each worker hears the others' events only when it"
            " polls the database (HUB_EVENTS_POLL_SECONDS)"
        )
    uvicorn.run(
        "hub.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A worker builds its spatial index at start-up, holding the GIL for seconds: the
        # supervisor must not take that for a hung process.
        timeout_worker_healthcheck=60,
        log_config=log_config,
        log_level=settings.log_level,
        **protocols(),
    )


def protocols() -> dict[str, Any]:
    """uvicorn's protocol settings for the hub (``hub serve``, and the benchmarks' in-process
    servers)."""
    return {
        # No WebSocket-level pings: the hub pings each socket in graphql-transport-ws itself
        # (HUB_WS_PING_SECONDS) and closes it without a pong, so uvicorn's timers per socket
        # would only double the traffic.
        "ws_ping_interval": None,
        # Events are small JSON: compressing each costs CPU and a zlib context per socket.
        "ws_per_message_deflate": False,
        "ws": WEBSOCKET_PROTOCOL,  # writes frames encoded once per fan-out
        "http": BoundedH11Protocol,  # deadlines for a request's headers and body
    }


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to a public interface


def unsafe_start(host: str, settings: Settings) -> str | None:
    """Why a hub reachable from other machines must not start with these settings, if so."""
    if is_loopback(host):
        return None  # the embedded demo, on this machine only
    verifies_with_secret = not (settings.jwt_public_key or settings.jwks_url)
    if verifies_with_secret and settings.jwt_secret == DEMO_JWT_SECRET:
        return (
            "HUB_JWT_SECRET is the demo's public default, so anyone could sign tokens; "
            "set HUB_JWT_SECRET to a random secret of at least 32 bytes "
            "(or verify RS256 tokens with HUB_JWT_PUBLIC_KEY / HUB_JWKS_URL)"
        )
    if not settings.pii_key:
        return (
            "HUB_PII_KEY is not set, so reporters' contacts would be encrypted with a key "
            "derived from the token secret; set HUB_PII_KEY (make one with `hub pii key`)"
        )
    return None
