"""Hostile input through HTTP: every refusal is clear, nothing is a 5xx, data stays unchanged."""

from __future__ import annotations

import pytest

from hub.auth.actors import Role
from tests.cases.factories import REPORT, mutate
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

SITE = {"lat": 39.900, "lng": 116.235}
NASTY = [
    '\'; DROP TABLE "case"; --',
    "<script>alert('x')</script>",
    "100% _done_ \\ back\\slash",
    "Robert'); DELETE FROM audit_log WHERE ('1'='1",
    "{{7*7}} ${jndi:ldap://x} ../../etc/passwd",
    "漏雨\u202e\u200b emoji 🏚️",
]
COUNT = "{ cases(first: 1) { totalCount } }"


async def total(gql: GraphQLClient, token: str) -> int:
    return int((await gql.execute(COUNT, token=token))["cases"]["totalCount"])


@pytest.mark.parametrize("text", NASTY)
async def test_meta_characters_in_every_text_field_are_kept_verbatim(
    gql: GraphQLClient, hub_server: HubServer, text: str
) -> None:
    token = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    before = await total(gql, token)
    payload = await mutate(
        gql,
        REPORT,
        token,
        description=text,
        categoryCode="OTHER",
        source="CITIZEN_APP",
        location=SITE,
        address=f"鲁谷街道 {text}",
        reporterContact=text,
        externalRef={"system": text, "id": text},
    )
    assert payload["errors"] == []
    case = payload["case"]
    assert case["address"] == f"鲁谷街道 {text}"
    assert case["reporterContact"] == text
    assert case["externalRefs"] == [{"system": text, "id": text}]
    stored = await gql.execute(
        "query($n: String!) { case(number: $n) { description } }",
        {"n": case["number"]},
        token=token,
    )
    assert stored["case"]["description"] == text
    assert await total(gql, token) == before + 1


async def test_like_wildcards_match_only_themselves(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    token = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    await mutate(
        gql,
        REPORT,
        token,
        description="普通诉求",
        categoryCode="OTHER",
        source="CITIZEN_APP",
        location=SITE,
    )
    data = await gql.execute(
        '{ a: cases(filter: {text: "%"}) { totalCount } b: cases(filter: {text: "_"}) '
        '{ totalCount } c: jurisdictions(search: "%") { totalCount } '
        'd: jurisdictions(search: "_") { totalCount } '
        'e: hotspots(text: "%", minCases: 1) { totalHotspots } }',
        token=token,
    )
    assert data == {
        "a": {"totalCount": 0},
        "b": {"totalCount": 0},
        "c": {"totalCount": 0},
        "d": {"totalCount": 0},
        "e": {"totalHotspots": 0},
    }


@pytest.mark.parametrize(
    "variables",
    [
        {
            "input": {
                "description": "a\u0000b",
                "categoryCode": "OTHER",
                "source": "CITIZEN_APP",
                "location": SITE,
            }
        },
        {
            "input": {
                "description": "ok",
                "categoryCode": "OTHER",
                "source": "CITIZEN_APP",
                "location": SITE,
                "address": "x\u0000",
            }
        },
    ],
)
async def test_nul_characters_are_refused_before_anything_runs(
    gql: GraphQLClient, hub_server: HubServer, variables: dict[str, object]
) -> None:
    token = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    before = await total(gql, token)
    response = await gql.http.post(
        "/graphql",
        json={"query": REPORT, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["errors"][0]["message"]
    assert await total(gql, token) == before


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (REPORT, {"input": {"description": 5, "categoryCode": "OTHER", "source": "CITIZEN_APP"}}),
        (REPORT, {"input": {"description": "x", "categoryCode": "OTHER", "source": "NOPE"}}),
        (
            "query($p: GeoPointInput!) { locate(point: $p) { grid { code } } }",
            {"p": {"lat": "north", "lng": 116.4}},
        ),
        (
            "query($p: GeoPointInput!) { locate(point: $p) { grid { code } } }",
            {"p": {"lat": 39.9, "lng": 116.4, "crs": "MARS"}},
        ),
        ('{ jurisdictions(first: "ten") { totalCount } }', {}),
    ],
)
async def test_wrong_types_are_request_errors(
    gql: GraphQLClient, hub_server: HubServer, query: str, variables: dict[str, object]
) -> None:
    token = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    before = await total(gql, token)
    response = await gql.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]
    assert "data" not in response.json()
    assert await total(gql, token) == before


async def test_oversized_and_unknown_inputs_are_coded_refusals(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    token = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    before = await total(gql, token)
    for fields, code in (
        ({"description": "漏" * 20_001}, "INVALID_INPUT"),
        ({"address": "x" * 501}, "INVALID_INPUT"),
        ({"categoryCode": "'; DROP TABLE category; --"}, "UNKNOWN_CATEGORY"),
        ({"location": {"lat": float("1e308"), "lng": 116.4}}, "OUTSIDE_CITY"),
    ):
        intake = {
            "description": "x",
            "categoryCode": "OTHER",
            "source": "CITIZEN_APP",
            "location": SITE,
            **fields,
        }
        payload = await mutate(gql, REPORT, token, **intake)
        assert payload["errors"][0]["code"] == code, fields
    assert await total(gql, token) == before
    odd = await gql.execute(
        '{ jurisdiction(code: "\'; DROP TABLE grid; --") { code } '
        'grid(code: "%") { code } department(code: "%") { code } }'
    )
    assert odd == {"jurisdiction": None, "grid": None, "department": None}


AUDIT = """query($op: String) { auditLog(operation: $op, first: 10) { totalCount
  edges { node { operation target outcome actor { sub role } } } } }"""


async def test_every_mutation_attempt_is_audited_for_the_city_platform(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    city = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000", sub="auditor")
    street = hub_server.token(Role.STREET_OFFICE, jurisdiction="110107011", sub="lugu")
    made = await mutate(
        gql,
        REPORT,
        street,
        description="井盖缺失",
        categoryCode="ROAD_DAMAGE",
        source="GRID_PATROL",
        location=SITE,
    )
    refused = await mutate(
        gql,
        REPORT,
        street,
        description="x",
        categoryCode="NOPE",
        source="GRID_PATROL",
        location=SITE,
    )
    assert refused["errors"][0]["code"] == "UNKNOWN_CATEGORY"
    log = (await gql.execute(AUDIT, {"op": "reportCase"}, token=city))["auditLog"]
    assert log["totalCount"] == 2
    newest, oldest = (edge["node"] for edge in log["edges"])
    assert newest == {
        "operation": "reportCase",
        "target": None,
        "outcome": "UNKNOWN_CATEGORY",
        "actor": {"sub": "lugu", "role": "STREET_OFFICE"},
    }
    assert oldest["target"] == made["case"]["number"]
    assert oldest["outcome"] == "OK"
    for token in (street, hub_server.token(Role.OBSERVER, jurisdiction="110000")):
        body = (await gql.post(AUDIT, {"op": None}, token=token)).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
