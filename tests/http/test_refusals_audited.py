"""Mutation attempts the HTTP layer refuses are on the audit log too, under their codes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from tests.cases.factories import Actors
from tests.conftest import GraphQLClient, HubServer
from tests.support.server import serve_in_thread

pytestmark = pytest.mark.usefixtures("clean")

REPORT = "mutation($input: ReportCaseInput!) { reportCase(input: $input) { errors { code } } }"
AUDIT = """{ auditLog(first: 50) { edges { node { operation outcome actor { sub } } } } }"""


async def audit_rows(gql: GraphQLClient, hub_server: HubServer) -> list[dict[str, Any]]:
    data = await gql.execute(AUDIT, token=Actors(hub_server).city)
    return [edge["node"] for edge in data["auditLog"]["edges"]]


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("body", "operation", "outcome"),
    [
        (
            json.dumps({"query": REPORT, "variables": {"input": {"description": nested(40)}}}),
            "reportCase",
            "JSON_TOO_DEEP",
        ),
        (
            json.dumps({"query": REPORT, "variables": {"input": {"description": "a\x00b"}}}),
            "reportCase",
            "NUL_CHARACTER",
        ),
        ('{"query": "mutation { reportCase', "graphql", "INVALID_REQUEST"),
        (json.dumps({"query": "mutation { reportCase(input: {"}), "mutation", None),
    ],
    ids=["too-deep", "nul", "bad-json", "unparsable"],
)
async def test_a_refused_mutation_request_is_audited(
    gql: GraphQLClient, hub_server: HubServer, body: str, operation: str, outcome: str | None
) -> None:
    token = Actors(hub_server).hotline
    response = await gql.http.post(
        "/graphql",
        content=body.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400)
    assert "errors" in response.json()
    [row] = await audit_rows(gql, hub_server)
    assert row["operation"] == operation
    assert row["actor"] == {"sub": "12345-agent"}
    if outcome is not None:
        assert row["outcome"] == outcome
    else:
        assert row["outcome"] not in ("OK", "INTERNAL")


async def test_a_mutation_over_get_is_audited(gql: GraphQLClient, hub_server: HubServer) -> None:
    response = await gql.http.get(
        "/graphql",
        params={"query": "mutation { reportCase(input: {}) { errors { code } } }"},
        headers={"Authorization": f"Bearer {Actors(hub_server).hotline}"},
    )
    assert response.status_code == 405
    [row] = await audit_rows(gql, hub_server)
    assert (row["operation"], row["outcome"]) == ("reportCase", "METHOD_NOT_ALLOWED")


async def test_a_refused_query_is_not_an_attempt_to_audit(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    query = "query($v: [String]) { __typename }"
    response = await gql.post(query, {"v": nested(40)}, token=Actors(hub_server).hotline)
    assert response.status_code in (200, 400)
    assert await audit_rows(gql, hub_server) == []


async def test_a_client_over_its_rate_limit_is_on_record_once_a_minute(
    gql: GraphQLClient, hub_server: HubServer, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 2}))
    token = mint(settings, role=Role.HOTLINE, jurisdiction="110000", sub="eager-agent")
    body = {"query": REPORT, "variables": {"input": {}}}
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            statuses = [
                (
                    await client.post(
                        "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
                    )
                ).status_code
                for _ in range(6)
            ]
            # a query over the limit is no attempt at a change: not on record
            reader = mint(settings, role=Role.OBSERVER, jurisdiction="110000", sub="eager-reader")
            for _ in range(4):
                await client.post(
                    "/graphql",
                    json={"query": "{ __typename }"},
                    headers={"Authorization": f"Bearer {reader}"},
                )
    assert statuses.count(429) == 4
    rows = await audit_rows(gql, hub_server)
    limited = [row for row in rows if row["outcome"] == "RATE_LIMITED"]
    assert limited == [
        {"operation": "reportCase", "outcome": "RATE_LIMITED", "actor": {"sub": "eager-agent"}}
    ]
    # the two requests let through were attempts refused by their variables: audited as such
    assert len([row for row in rows if row["outcome"] != "RATE_LIMITED"]) == 2


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_mutation_with_a_refused_token_is_audited_as_anonymous(
    gql: GraphQLClient, hub_server: HubServer, method: str
) -> None:
    headers = {"Authorization": "Bearer not-a-token"}
    if method == "POST":
        body = {"query": REPORT, "variables": {"input": {}}}
        response = await gql.http.post("/graphql", json=body, headers=headers)
    else:
        response = await gql.http.get("/graphql", params={"query": REPORT}, headers=headers)
    assert response.status_code == 401
    assert "errors" in response.json()
    [row] = await audit_rows(gql, hub_server)
    assert (row["operation"], row["outcome"]) == ("reportCase", "UNAUTHENTICATED")
    assert row["actor"] == {"sub": "anonymous"}


async def test_a_query_with_a_refused_token_is_not_on_record(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    response = await gql.post("{ __typename }", token="not-a-token")
    assert response.status_code == 401
    assert await audit_rows(gql, hub_server) == []
