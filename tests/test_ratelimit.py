"""Rate limits per token (or per client address) over the real server, in process and in Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis.asyncio as redis

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from hub.http.ratelimit import MemoryRateLimiter
from tests.support.databases import closed_port, redis_test_url
from tests.support.server import serve_in_thread

QUERY = {"query": "{ __typename }"}


class FrozenClock:
    """Time stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Limited:
    url: str
    settings: Settings
    clock: FrozenClock


def low_limits(settings: Settings, **update: Any) -> Settings:
    return settings.model_copy(
        update={"rate_limit_per_minute": 3, "rate_limit_anonymous_per_minute": 2, **update}
    )


@pytest.fixture
def limited(settings: Settings) -> Iterator[Limited]:
    """The hub with 3 requests a minute per token, 2 per address, on a frozen clock."""
    app = create_app(low_limits(settings))
    clock = FrozenClock()
    limiter = app.state.rate_limiter
    assert isinstance(limiter, MemoryRateLimiter)
    limiter.clock = clock
    with serve_in_thread(app) as url:
        yield Limited(url, app.state.hub.settings, clock)


async def ask(url: str, token: str | None = None, **headers: str) -> httpx.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=url) as client:
        return await client.post("/graphql", json=QUERY, headers=headers)


def assert_limited(response: httpx.Response, retry_after: int, limit: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == str(retry_after)
    assert response.headers["ratelimit-remaining"] == "0"
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
    assert f"at most {limit} requests per 60 s" in error["message"]


async def test_an_address_without_a_token_gets_its_limit_then_429(limited: Limited) -> None:
    first, second = await ask(limited.url), await ask(limited.url)
    assert [first.status_code, second.status_code] == [200, 200]
    assert first.headers["ratelimit-limit"] == "2"
    assert [first.headers["ratelimit-remaining"], second.headers["ratelimit-remaining"]] == [
        "1",
        "0",
    ]
    third = await ask(limited.url)
    # two a minute: the next one is allowed 30 s after the first
    assert_limited(third, retry_after=30, limit=2)
    assert third.headers["content-type"].startswith("application/json")


async def test_the_429_body_follows_the_accept_header(limited: Limited) -> None:
    for _ in range(2):
        await ask(limited.url)
    response = await ask(limited.url, Accept="application/graphql-response+json")
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/graphql-response+json")


async def test_the_bucket_refills_with_time(limited: Limited) -> None:
    for _ in range(2):
        assert (await ask(limited.url)).status_code == 200
    assert (await ask(limited.url)).status_code == 429
    limited.clock.now += 29.9
    assert (await ask(limited.url)).status_code == 429
    limited.clock.now += 0.1
    allowed = await ask(limited.url)
    assert allowed.status_code == 200
    assert allowed.headers["ratelimit-remaining"] == "0"
    limited.clock.now += 60
    assert (await ask(limited.url)).headers["ratelimit-remaining"] == "1"


async def test_each_token_has_its_own_bucket(limited: Limited) -> None:
    alice = mint(limited.settings, role=Role.OBSERVER, sub="alice")
    bob = mint(limited.settings, role=Role.OBSERVER, sub="bob")
    for _ in range(3):
        assert (await ask(limited.url, alice)).status_code == 200
    assert_limited(await ask(limited.url, alice), retry_after=20, limit=3)
    # neither another token nor anonymous requests from the same address are affected
    assert (await ask(limited.url, bob)).status_code == 200
    assert (await ask(limited.url)).status_code == 200


async def test_bad_tokens_count_against_the_address(limited: Limited) -> None:
    # a fresh garbage token per request must not buy a fresh bucket
    statuses = [(await ask(limited.url, f"garbage-{i}")).status_code for i in range(3)]
    assert statuses == [401, 401, 429]
    assert (await ask(limited.url)).status_code == 429


async def test_health_checks_are_not_limited(limited: Limited) -> None:
    async with httpx.AsyncClient(base_url=limited.url) as client:
        statuses = [(await client.get("/healthz")).status_code for _ in range(5)]
    assert statuses == [200] * 5


async def test_a_limit_of_zero_turns_limiting_off(settings: Settings) -> None:
    app = create_app(low_limits(settings, rate_limit_anonymous_per_minute=0))
    with serve_in_thread(app) as url:
        responses = [await ask(url) for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert "ratelimit-limit" not in responses[0].headers


# -- shared through Redis ------------------------------------------------------------------------


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    prefix = f"hub-test:{uuid.uuid4().hex}:ratelimit:"
    yield prefix
    client = redis.from_url(redis_test_url())
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_processes_share_the_limit_through_redis(
    settings: Settings, redis_prefix: str
) -> None:
    shared = low_limits(settings, redis_url=redis_test_url(), rate_limit_prefix=redis_prefix)
    token = mint(shared, role=Role.OBSERVER, sub="carol")
    # two hub processes behind one load balancer
    with serve_in_thread(create_app(shared)) as one, serve_in_thread(create_app(shared)) as two:
        statuses = [
            (await ask(one, token)).status_code,
            (await ask(two, token)).status_code,
            (await ask(one, token)).status_code,
        ]
        over = await ask(two, token)
        anonymous = [(await ask(url)).status_code for url in (one, two, one)]
    assert statuses == [200, 200, 200]
    assert over.status_code == 429
    assert 0 < int(over.headers["retry-after"]) <= 20
    assert over.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert anonymous == [200, 200, 429]
    client = redis.from_url(redis_test_url())
    try:
        keys = sorted([key.decode() async for key in client.scan_iter(match=f"{redis_prefix}*")])
        ttls = [await client.pttl(key) for key in keys]
    finally:
        await client.aclose()
    assert [key.removeprefix(redis_prefix).split(":")[0] for key in keys] == ["ip", "token"]
    assert all(0 < ttl <= 60_000 for ttl in ttls), ttls


async def test_an_unreachable_redis_lets_requests_through(settings: Settings) -> None:
    down = low_limits(settings, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    with serve_in_thread(create_app(down)) as url:
        statuses = [(await ask(url)).status_code for _ in range(4)]
    assert statuses == [200] * 4
