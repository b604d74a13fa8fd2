"""Rate limits per token, or per client address without one, as pure ASGI middleware.

The algorithm is GCRA (the generic cell rate algorithm: a token bucket kept as one number per
key, its "theoretical arrival time").  Each request pushes the key's TAT one emission interval
(period / limit) ahead; a request that would push it more than one period ahead of now is
refused.  So a client may send ``limit`` requests at once and then ``limit`` per period, and the
wait until the next allowed request (``Retry-After``) falls out exactly.

Where the TATs live:

* ``MemoryRateLimiter`` -- a dict in the process (the embedded default; one process, one bucket);
* ``RedisRateLimiter`` -- one Redis key per bucket, updated by a Lua script that reads Redis's own
  clock, so every hub process behind the load balancer shares the bucket and their clocks do not
  matter.  Keys expire when their bucket is full again.  When Redis cannot be reached the limiter
  lets requests through (and logs): an outage of the limiter must not become an outage of the hub.

Refused requests get ``429 Too Many Requests`` with ``Retry-After`` (whole seconds) and a
GraphQL-shaped body ``{"errors": [{"message": …, "extensions": {"code": "RATE_LIMITED",
"retryAfter": n}}]}``; allowed ones carry ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` headers.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as redis
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.http.negotiation import JSON, choose_response_type

__all__ = [
    "PERIOD_SECONDS",
    "Decision",
    "Identify",
    "MemoryRateLimiter",
    "RateLimitMiddleware",
    "RateLimiter",
    "RedisRateLimiter",
    "bucket_key",
    "rate_limited_error",
]

log = logging.getLogger("hub.ratelimit")

MICROS = 1_000_000
PERIOD_SECONDS = 60.0  # a bucket's limit is per minute

Identify = Callable[[Scope], Awaitable[tuple[str, int] | None]]
"""A request's bucket key and its limit per period; ``None`` (or a limit of 0) means unlimited."""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: float  # seconds until a request would be allowed; 0 when this one was
    reset_after: float  # seconds until the bucket is full again


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, period_seconds: float) -> Decision: ...

    async def aclose(self) -> None: ...


def bucket_key(token_id: str | None, address: str) -> str:
    """A verified token's own bucket, else its client address's: one key for a request over
    HTTP and a socket's ``subscribe`` alike."""
    return f"token:{token_id}" if token_id else f"ip:{address}"


def _decide(limit: int, period: int, tat: int | None, now: int) -> tuple[Decision, int | None]:
    """One GCRA step in integer microseconds: the decision and the key's new TAT (if allowed)."""
    interval = max(1, period // limit)
    new_tat = max(tat if tat is not None else now, now) + interval
    ahead = new_tat - now
    if ahead > period:
        current = ahead - interval
        return Decision(False, limit, 0, (ahead - period) / MICROS, current / MICROS), None
    remaining = (period - ahead) // interval
    return Decision(True, limit, remaining, 0.0, ahead / MICROS), new_tat


class MemoryRateLimiter:
    """GCRA buckets in this process; ``clock`` (seconds, monotonic) is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.clock = clock
        self.max_keys = max_keys
        self._tats: dict[str, int] = {}

    async def hit(self, key: str, limit: int, period_seconds: float) -> Decision:
        now = int(self.clock() * MICROS)
        decision, new_tat = _decide(limit, int(period_seconds * MICROS), self._tats.get(key), now)
        if new_tat is not None:
            if len(self._tats) >= self.max_keys:
                self._forget_full_buckets(now)
            self._tats[key] = new_tat
        return decision

    def _forget_full_buckets(self, now: int) -> None:
        """A TAT in the past is a full bucket: the same as no entry at all."""
        for key in [key for key, tat in self._tats.items() if tat <= now]:
            del self._tats[key]
        if len(self._tats) >= self.max_keys:  # all busy: drop the oldest rather than grow
            for key in list(self._tats)[: len(self._tats) // 10 + 1]:
                del self._tats[key]

    async def aclose(self) -> None:
        self._tats.clear()


# KEYS[1] bucket; ARGV[1] period µs, ARGV[2] interval µs.  Returns {allowed, ahead µs}.  Redis's
# TIME is the clock, and the TAT is written with %.0f because Lua's tostring would round it.
_GCRA_SCRIPT = """
local period = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local ahead = new_tat - now
if ahead > period then
  return {0, ahead}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil(ahead / 1000))
return {1, ahead}
"""


class RedisRateLimiter:
    """GCRA buckets in Redis, shared by every hub process; fails open when Redis is down."""

    def __init__(
        self, url: str, prefix: str = "hub:ratelimit:", *, socket_timeout: float = 1.0
    ) -> None:
        self.prefix = prefix
        self._client = redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
        )
        self._script = self._client.register_script(_GCRA_SCRIPT)
        self._last_warning = -math.inf

    async def hit(self, key: str, limit: int, period_seconds: float) -> Decision:
        period = int(period_seconds * MICROS)
        interval = max(1, period // limit)
        try:
            allowed, ahead = await self._script(keys=[self.prefix + key], args=[period, interval])
        except (redis.RedisError, OSError) as error:
            self._warn(error)
            return Decision(True, limit, limit, 0.0, 0.0)
        ahead = int(ahead)
        if not allowed:
            current = ahead - interval
            return Decision(False, limit, 0, (ahead - period) / MICROS, current / MICROS)
        return Decision(True, limit, (period - ahead) // interval, 0.0, ahead / MICROS)

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 60:
            self._last_warning = now
            log.warning("rate limiting is off while Redis is unreachable: %s", error)

    async def aclose(self) -> None:
        await self._client.aclose()


class RateLimitMiddleware:
    """Count the requests to ``paths`` per ``identify``'d bucket; answer 429 over the limit."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        identify: Identify,
        paths: Iterable[str] = ("/graphql",),
        period_seconds: float = PERIOD_SECONDS,
        on_refused: Callable[[Scope, Receive, str], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.identify = identify
        self.paths = frozenset(paths)
        self.period_seconds = period_seconds
        self.on_refused = on_refused  # told of each refusal (its body unread) and its bucket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        identity = await self.identify(scope)
        if identity is None or identity[1] <= 0:
            await self.app(scope, receive, send)
            return
        key, limit = identity
        decision = await self.limiter.hit(key, limit, self.period_seconds)
        if not decision.allowed:
            if self.on_refused is not None:
                await self.on_refused(scope, receive, key)
            response = _too_many_requests(decision, self.period_seconds, _accept(scope))
            await response(scope, receive, send)
            return
        extra = [(name.encode(), value.encode()) for name, value in _headers(decision).items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _headers(decision: Decision) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(math.ceil(decision.reset_after)),
    }


def _accept(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return bytes(value).decode("latin-1")
    return None


def rate_limited_error(decision: Decision, period: float) -> dict[str, Any]:
    """The GraphQL error of a refused request (or a WebSocket's refused ``subscribe``)."""
    retry_after = max(1, math.ceil(decision.retry_after))
    return {
        "message": f"Rate limit exceeded: at most {decision.limit} requests per"
        f" {period:g} s; retry in {retry_after} s.",
        "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
    }


def _too_many_requests(decision: Decision, period: float, accept: str | None) -> Response:
    retry_after = max(1, math.ceil(decision.retry_after))
    body: dict[str, Any] = {"errors": [rate_limited_error(decision, period)]}
    media_type = choose_response_type(accept) or JSON
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=429,
        media_type=f"{media_type}; charset=utf-8",
        headers={"Retry-After": str(retry_after), **_headers(decision)},
    )
