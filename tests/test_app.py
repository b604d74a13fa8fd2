"""The hub app as a client meets it: spec-compliant HTTP, health, identity."""

from __future__ import annotations

import datetime as dt

import httpx
import jwt
import pytest

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from tests.conftest import GraphQLClient, HubServer
from tests.support.audit import graphql_http_audit_failures
from tests.support.databases import closed_port, redis_test_url
from tests.support.server import serve_in_thread

ME = "{ me { sub role jurisdiction { code name } department { code name } } }"


def test_hub_passes_the_graphql_over_http_audits(hub_server: HubServer) -> None:
    failures = graphql_http_audit_failures(f"{hub_server.url}/graphql")
    assert not failures, "graphql-http audits failed:\n" + "\n".join(failures)


async def test_health_and_readiness(gql: GraphQLClient) -> None:
    health = await gql.http.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = await gql.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "geography": True, "redis": "none"}


@pytest.mark.parametrize(
    ("redis_url", "status", "redis"),
    [(redis_test_url(), 200, "ok"), (f"redis://127.0.0.1:{closed_port()}/0", 503, "down")],
    ids=["redis-up", "redis-unreachable"],
)
def test_readiness_reports_redis_when_configured(
    settings: Settings, redis_url: str, status: int, redis: str
) -> None:
    app = create_app(settings.model_copy(update={"redis_url": redis_url}))
    with serve_in_thread(app) as url:
        ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == status
    assert ready.json()["redis"] == redis
    assert ready.json()["database"] == "ok"


async def test_graphiql_in_a_browser(gql: GraphQLClient) -> None:
    page = await gql.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_without_a_token_me_is_null_and_reference_data_is_public(
    gql: GraphQLClient,
) -> None:
    data = await gql.execute('{ me { sub } jurisdiction(code: "110000") { name } }')
    assert data["me"] is None
    assert data["jurisdiction"]["name"] == "北京市"


async def test_a_token_becomes_the_actor(gql: GraphQLClient, hub_server: HubServer) -> None:
    token = hub_server.token(
        Role.DEPARTMENT,
        jurisdiction="110102",
        department="110102.URBAN_MANAGEMENT",
        sub="officer-7",
    )
    me = (await gql.execute(ME, token=token))["me"]
    assert me == {
        "sub": "officer-7",
        "role": "DEPARTMENT",
        "jurisdiction": {"code": "110102", "name": "西城区"},
        "department": {"code": "110102.URBAN_MANAGEMENT", "name": "西城区城市管理综合行政执法局"},
    }


def _forged(hub_server: HubServer) -> str:
    return mint(
        hub_server.settings.model_copy(update={"jwt_secret": "x" * 40}), role=Role.CITY_PLATFORM
    )


def _expired(hub_server: HubServer) -> str:
    return mint(hub_server.settings, role=Role.CITY_PLATFORM, ttl=dt.timedelta(seconds=-120))


def _wrong_audience(hub_server: HubServer) -> str:
    settings = hub_server.settings
    return jwt.encode(
        {
            "sub": "x",
            "role": "CITY_PLATFORM",
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
            "aud": "someone-else",
            "iss": settings.jwt_issuer,
        },
        settings.jwt_secret,
        algorithm="HS256",
    )


def _unknown_role(hub_server: HubServer) -> str:
    settings = hub_server.settings
    return jwt.encode(
        {
            "sub": "x",
            "role": "MAYOR",
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
            "aud": settings.jwt_audience,
            "iss": settings.jwt_issuer,
        },
        settings.jwt_secret,
        algorithm="HS256",
    )


@pytest.mark.parametrize(
    "make_header",
    [
        lambda s: f"Bearer {_forged(s)}",
        lambda s: f"Bearer {_expired(s)}",
        lambda s: f"Bearer {_wrong_audience(s)}",
        lambda s: f"Bearer {_unknown_role(s)}",
        lambda s: "Bearer not.a.jwt",
        lambda s: f"Basic {_expired(s)}",
        lambda s: f"Bearer {mint(s.settings, role=Role.OBSERVER)[:-3]}abc",
    ],
    ids=[
        "forged",
        "expired",
        "wrong-audience",
        "unknown-role",
        "garbage",
        "not-bearer",
        "tampered",
    ],
)
async def test_bad_tokens_are_refused_with_401(hub_server: HubServer, make_header: object) -> None:
    header = make_header(hub_server)  # type: ignore[operator]
    async with httpx.AsyncClient(base_url=hub_server.url) as client:
        response = await client.post(
            "/graphql", json={"query": "{ me { sub } }"}, headers={"Authorization": header}
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "invalid token" in response.json()["errors"][0]["message"]
