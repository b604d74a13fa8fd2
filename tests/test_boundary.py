"""The typed boundary: every malformed input a client can send is a coded refusal, never
INTERNAL or a 5xx, changes nothing, and a refused mutation is on the audit log."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from hub.auth.actors import Role
from tests.cases.factories import REPORT
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU = {"lat": 39.900, "lng": 116.235}
CASES = "query($f: CaseFilterInput, $a: String) { cases(filter: $f, after: $a) { totalCount } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
ACKNOWLEDGE = """mutation($i: AcknowledgeSummonsInput!) {
  acknowledgeSummons(input: $i) { errors { code } } }"""
AUDIT = "{ auditLog(first: 50) { edges { node { operation outcome } } } }"


def report(**changes: Any) -> dict[str, Any]:
    return {
        "description": "井盖缺失",
        "categoryCode": "ROAD_DAMAGE",
        "source": "CITIZEN_APP",
        "location": LUGU,
        **changes,
    }


def cursor(raw: str) -> str:
    """Base64 of ``raw``, as the hub's cursors and global ids are."""
    return base64.urlsafe_b64encode(raw.encode()).decode()


def codes(body: dict[str, Any]) -> list[str]:
    """The codes of a response's errors, or of its one mutation payload's errors."""
    if body.get("errors"):
        return [e.get("extensions", {}).get("code") for e in body["errors"]]
    payload = next(iter(body["data"].values()))
    return [e["code"] for e in payload["errors"]]


# Refused by the HTTP layer before the document is read: not an operation, so not audited.
TRANSPORT = {"LONE_SURROGATE", "JSON_TOO_DEEP"}

DT = "INVALID_DATETIME"
REFUSED = [
    pytest.param(REPORT, {"input": report(reportedAt="2026-03-15T09:30:00")}, DT, id="no offset"),
    pytest.param(REPORT, {"input": report(reportedAt="0001-01-01T00:00+14:00")}, DT, id="instant"),
    pytest.param(CASES, {"f": {"reportedFrom": "2026-03-01T00:00"}}, DT, id="naive filter"),
    pytest.param(REPORT, {"input": report(description="漏雨\ud800")}, "LONE_SURROGATE", id="half"),
    pytest.param(
        REPORT, {"input": report(externalRef={"system": "s", "id": "9" * 129})}, "TOO_LONG", id="id"
    ),
    pytest.param(
        REPORT, {"input": report(externalRef={"system": "s" * 65, "id": "1"})}, "TOO_LONG", id="sys"
    ),
    pytest.param(CASES, {"f": {"text": "拥" * 100_000}}, "SEARCH_TOO_LONG", id="long search"),
    pytest.param(CASES, {"a": cursor("[1e30]")}, "INVALID_CURSOR", id="float cursor"),
    pytest.param(CASES, {"a": cursor("[true]")}, "INVALID_CURSOR", id="boolean cursor"),
    pytest.param(CASES, {"a": cursor('["zzz"]')}, "INVALID_CURSOR", id="text cursor on ids"),
    pytest.param(CASES, {"a": cursor(f"[{'9' * 30}]")}, "INVALID_CURSOR", id="huge cursor"),
    pytest.param(CASES, {"a": cursor("[" * 5000 + "]" * 5000)}, "INVALID_CURSOR", id="nested"),
    pytest.param(
        CASES, {"f": {"x": json.loads("[" * 900 + "]" * 900)}}, "JSON_TOO_DEEP", id="deep"
    ),
]


async def post(gql: GraphQLClient, query: str, variables: dict[str, Any], token: str) -> Any:
    """POST as JSON with ASCII escapes, so that a lone surrogate travels as the client wrote it."""
    body = json.dumps({"query": query, "variables": variables})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return await gql.http.post("/graphql", content=body, headers=headers)


@pytest.mark.parametrize(("query", "variables", "code"), REFUSED)
async def test_malformed_input_is_a_coded_refusal_that_changes_nothing(
    gql: GraphQLClient, hub_server: HubServer, query: str, variables: dict[str, Any], code: str
) -> None:
    city = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000", sub="city-desk")
    before = (await gql.execute(CASES, token=city))["cases"]["totalCount"]
    response = await post(gql, query, variables, city)
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert codes(body) == [code], body
    # The message says what to send instead.
    message = (body.get("errors") or next(iter(body["data"].values()))["errors"])[0]["message"]
    assert any(word in message for word in ("send", "pass", "search with", "at most")), message
    assert (await gql.execute(CASES, token=city))["cases"]["totalCount"] == before
    if query == REPORT and code not in TRANSPORT:
        audit = await gql.execute(AUDIT, token=city)
        entries = [e["node"] for e in audit["auditLog"]["edges"]]
        assert [(e["operation"], e["outcome"]) for e in entries] == [("reportCase", code)]


async def test_deep_variables_over_get_and_odd_ids_are_refused_plainly(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    city = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    deep = "[" * 700 + "]" * 700
    response = await gql.http.get(
        "/graphql",
        params={"query": "query($v: JSON) { __typename }", "variables": f'{{"v": {deep}}}'},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "JSON_TOO_DEEP"
    for raw in ("Summons:²", "Summons:" + "9" * 23, "Case:", "Grid:١٢"):
        found = await gql.execute(
            "query($id: ID!) { node(id: $id) { id } }", {"id": cursor(raw)}, token=city
        )
        assert found["node"] is None
        refused = await gql.execute(
            ACKNOWLEDGE,
            {"i": {"summonsId": cursor(raw)}},
            token=city,
        )
        assert [e["code"] for e in refused["acknowledgeSummons"]["errors"]] == ["NOT_FOUND"]
