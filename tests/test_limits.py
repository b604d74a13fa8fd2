"""Limits no query can break, over HTTP against the real app: a hostile battery.

Every hostile request gets a 4xx or a clear, coded GraphQL error -- never a 5xx, never a hang.
Rejected documents are request errors: 400 under ``application/graphql-response+json``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import strawberry
from graphql import get_introspection_query
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Route

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from hub.db import create_engine
from hub.departments import service as departments_service
from hub.http import GraphQLHTTPEndpoint
from schema.core.limits import QueryLimits
from schema.core.parsing import count_tokens
from tests.conftest import GraphQLClient, HubServer
from tests.events.client import connect
from tests.support.server import serve_in_thread

GRAPHQL_RESPONSE = "application/graphql-response+json"
LIMITS = QueryLimits.from_settings(Settings())


async def post(
    client: httpx.AsyncClient, body: object, *, accept: str = GRAPHQL_RESPONSE
) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={"Accept": accept})


def codes(response: httpx.Response) -> list[str | None]:
    return [error.get("extensions", {}).get("code") for error in response.json()["errors"]]


def assert_refused(response: httpx.Response, code: str) -> dict[str, Any]:
    """A request error (400, graphql-response+json, no ``data``) carrying ``code``."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body: dict[str, Any] = response.json()
    assert "data" not in body
    assert code in codes(response), body
    error: dict[str, Any] = next(
        error for error in body["errors"] if error["extensions"]["code"] == code
    )
    return error


def nested(levels: int) -> str:
    """``jurisdiction`` then ``parent`` fields until the operation is ``levels`` fields deep."""
    return (
        '{ jurisdiction(code: "110102001") { '
        + "parent { " * (levels - 2)
        + "code"
        + " }" * (levels - 2)
        + " } }"
    )


def fragment_bomb(levels: int, *, nested: bool) -> str:
    """Each fragment spreads the next one twice: 2**levels expansions of the last one.

    ``nested`` spreads it inside two aliased ``parent`` fields (each level doubles the work
    of execution too), otherwise side by side.
    """
    if nested:
        body = "a: parent {{ ...F{next} }} b: parent {{ ...F{next} }}"
    else:
        body = "...F{next} ...F{next}"
    fragments = [
        f"fragment F{i} on Jurisdiction {{ {body.format(next=i + 1)} }}" for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Jurisdiction {{ code }}")
    return '{ jurisdiction(code: "110102001") { ...F0 } } ' + " ".join(fragments)


EXPENSIVE = """{ jurisdictions(first: 100) { edges { node {
    grids(first: 100) { edges { node { code name } } } } } } }"""


@pytest.fixture
async def client(hub_server: HubServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=hub_server.url, timeout=30) as http:
        yield http


# -- the limits themselves ----------------------------------------------------------------------


async def test_a_query_one_level_too_deep_is_refused(client: httpx.AsyncClient) -> None:
    ok = await post(client, {"query": nested(LIMITS.max_depth)})
    assert ok.status_code == 200, ok.text
    assert "errors" not in ok.json()
    error = assert_refused(
        await post(client, {"query": nested(LIMITS.max_depth + 1)}), "QUERY_TOO_DEEP"
    )
    assert error["extensions"]["limit"] == LIMITS.max_depth
    assert f"more than {LIMITS.max_depth} levels" in error["message"]


async def test_a_very_deep_query_is_refused_without_a_crash(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": nested(300)})
    assert_refused(response, "QUERY_TOO_DEEP")


async def test_aliases_beyond_the_limit_are_refused(client: httpx.AsyncClient) -> None:
    def aliased(count: int) -> str:
        return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"

    ok = await post(client, {"query": aliased(LIMITS.max_aliases)})
    assert ok.status_code == 200
    assert len(ok.json()["data"]) == LIMITS.max_aliases
    error = assert_refused(
        await post(client, {"query": aliased(LIMITS.max_aliases + 1)}), "TOO_MANY_ALIASES"
    )
    assert error["extensions"] == {
        "code": "TOO_MANY_ALIASES",
        "limit": LIMITS.max_aliases,
        "value": LIMITS.max_aliases + 1,
    }


async def test_an_alias_bomb_is_stopped_by_the_token_limit(client: httpx.AsyncClient) -> None:
    bomb = "{ " + " ".join(f"a{i}: __typename" for i in range(1, 501)) + " }"
    assert count_tokens(bomb) > LIMITS.max_tokens
    assert_refused(await post(client, {"query": bomb}), "TOO_MANY_TOKENS")


async def test_aliases_hidden_in_fragments_are_counted(client: httpx.AsyncClient) -> None:
    # 8 aliases in a fragment spread 4 times: 32 aliases, though the text has only 8
    query = (
        '{ a: jurisdiction(code: "110102") { ...F } b: jurisdiction(code: "110105") { ...F } '
        'c: jurisdiction(code: "110106") { ...F } d: jurisdiction(code: "110107") { ...F } } '
        "fragment F on Jurisdiction { " + " ".join(f"x{i}: code" for i in range(8)) + " }"
    )
    error = assert_refused(await post(client, {"query": query}), "TOO_MANY_ALIASES")
    assert error["extensions"]["value"] == 4 + 4 * 8


async def test_a_directive_flood_is_refused(client: httpx.AsyncClient) -> None:
    flood = "{ " + " ".join(["... @include(if: true) { __typename }"] * 60) + " }"
    assert count_tokens(flood) <= LIMITS.max_tokens
    error = assert_refused(await post(client, {"query": flood}), "TOO_MANY_DIRECTIVES")
    assert error["extensions"]["value"] == 60


async def test_an_expensive_nested_connection_query_is_refused_for_cost(
    client: httpx.AsyncClient,
) -> None:
    error = assert_refused(await post(client, {"query": EXPENSIVE}), "QUERY_TOO_COMPLEX")
    # 1 + 1 + 100 x (node + grids + edges + 100 x (node + code + name))
    assert error["extensions"]["value"] == 2 + 100 * (3 + 100 * 3)
    assert error["extensions"]["limit"] == LIMITS.max_cost
    assert "first" in error["message"]


async def test_page_sizes_passed_as_variables_count_too(client: httpx.AsyncClient) -> None:
    query = """query($outer: Int!, $inner: Int = 100) { jurisdictions(first: $outer) {
        nodes { grids(first: $inner) { nodes { code } } } } }"""
    assert_refused(
        await post(client, {"query": query, "variables": {"outer": 100}}), "QUERY_TOO_COMPLEX"
    )
    small = await post(client, {"query": query, "variables": {"outer": 2, "inner": 3}})
    assert small.status_code == 200, small.text
    assert len(small.json()["data"]["jurisdictions"]["nodes"]) == 2


async def test_a_text_that_passed_once_is_judged_again_by_its_new_variables(
    client: httpx.AsyncClient,
) -> None:
    query = """query($outer: Int!, $inner: Int = 100) { jurisdictions(first: $outer) {
        nodes { grids(first: $inner) { nodes { code } } } } } # asked again"""
    for _ in range(2):
        small = await post(client, {"query": query, "variables": {"outer": 2, "inner": 3}})
        assert small.status_code == 200, small.text
    # the same text, valid as a document, is still refused for what these variables would cost
    assert_refused(
        await post(client, {"query": query, "variables": {"outer": 100}}), "QUERY_TOO_COMPLEX"
    )
    # and a text that failed validation fails again, with the same error
    wrong = "{ jurisdictions(first: 2) { nodes { nosuchfield } } }"
    first = await post(client, {"query": wrong})
    again = await post(client, {"query": wrong})
    assert first.json() == again.json()
    assert first.status_code == again.status_code == 400


async def test_a_realistic_nested_query_fits_the_limits(client: httpx.AsyncClient) -> None:
    query = """{ jurisdictions(level: DISTRICT, first: 16) { totalCount edges { node {
        code name children { code name }
        departments(first: 30) { totalCount nodes { code name } } } } } }"""
    response = await post(client, {"query": query})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["jurisdictions"]["totalCount"] == 16


LIST_VIEW = """query($first: Int!) { cases(first: $first, filter: {jurisdictionCode: "110102"}) {
    pageInfo { hasNextPage endCursor } edges { cursor node {
      number title status priority reportedAt respondBy resolveBy address
      category { code name } subdistrict { code name } district { code name }
      dispatches { status dispatchedAt department { code name } }
      events(last: 5) { type at note actor { sub role } } } } } }"""


async def test_a_list_views_page_of_50_cases_fits_while_a_page_of_pages_does_not(
    client: httpx.AsyncClient, hub_server: HubServer
) -> None:
    token = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    headers = {"Accept": GRAPHQL_RESPONSE, "Authorization": f"Bearer {token}"}
    # a case's dispatches and latest events are priced by what a case holds, not as long lists
    for first in (20, 50):
        body = {"query": LIST_VIEW, "variables": {"first": first}}
        response = await client.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text
    # while every district's 100 cases with their whole timelines is still too much
    huge = """{ jurisdictions(first: 100) { nodes { cases(first: 100) { nodes {
        number events { type at } } } } } }"""
    response = await client.post("/graphql", json={"query": huge}, headers=headers)
    error = assert_refused(response, "QUERY_TOO_COMPLEX")
    assert error["extensions"]["value"] > LIMITS.max_cost


BOARD_ROWS = """query($after: String) { whistles(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor } nodes {
      number kind scope status reason openedAt reportBy overdue caller { name }
      cases { location { lat lng } footprint } summons { status } } } }"""


async def test_the_boards_page_of_100_whistle_rows_fits_while_100_whole_whistles_do_not(
    client: httpx.AsyncClient, hub_server: HubServer
) -> None:
    token = hub_server.token(Role.CITY_PLATFORM, jurisdiction="110000")
    headers = {"Accept": GRAPHQL_RESPONSE, "Authorization": f"Bearer {token}"}
    # a whistle's cases and summons are priced by what a whistle holds (a few of each)
    body = {"query": BOARD_ROWS, "variables": {"after": None}}
    response = await client.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    # while each whistle's panel (every party by name, the timeline) is not for 100 at once
    panels = """{ whistles(first: 100) { nodes { number
        cases { number title category { name } }
        summons { status reportBy department { code name } partner { code name } }
        events { type at note actor { sub role } } } } }"""
    response = await client.post("/graphql", json={"query": panels}, headers=headers)
    error = assert_refused(response, "QUERY_TOO_COMPLEX")
    assert error["extensions"]["value"] > LIMITS.max_cost


async def test_fragment_bombs_are_measured_once_per_fragment_and_refused(
    client: httpx.AsyncClient,
) -> None:
    flat = await post(client, {"query": fragment_bomb(40, nested=False)})
    assert assert_refused(flat, "QUERY_TOO_COMPLEX")["extensions"]["value"] >= 2**40
    deep = await post(client, {"query": fragment_bomb(40, nested=True)})
    assert_refused(deep, "QUERY_TOO_DEEP")
    assert_refused(deep, "TOO_MANY_ALIASES")


async def test_a_fragment_cycle_is_a_validation_error(client: httpx.AsyncClient) -> None:
    query = (
        '{ jurisdiction(code: "110102") { ...A } } '
        "fragment A on Jurisdiction { parent { ...B } } "
        "fragment B on Jurisdiction { parent { ...A } }"
    )
    response = await post(client, {"query": query})
    assert response.status_code == 400
    assert any("Cannot spread fragment" in error["message"] for error in response.json()["errors"])


async def test_a_token_flood_is_refused_before_parsing(client: httpx.AsyncClient) -> None:
    flood = "{" + " a" * 5000 + " }"
    error = assert_refused(await post(client, {"query": flood}), "TOO_MANY_TOKENS")
    assert error["extensions"]["limit"] == LIMITS.max_tokens


async def test_a_comment_flood_within_the_length_limit_is_harmless(
    client: httpx.AsyncClient,
) -> None:
    padded = "#\n" * (LIMITS.max_query_length // 2 - 20) + "{ __typename }"
    response = await post(client, {"query": padded})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_huge_string_in_the_query_is_refused(client: httpx.AsyncClient) -> None:
    query = '{ jurisdiction(code: "' + "1" * 100_000 + '") { name } }'
    error = assert_refused(await post(client, {"query": query}), "QUERY_TOO_LARGE")
    assert error["extensions"] == {
        "code": "QUERY_TOO_LARGE",
        "limit": LIMITS.max_query_length,
        "value": len(query),
    }


async def test_huge_strings_in_variables_are_bounded_by_the_body_limit(
    client: httpx.AsyncClient, hub_server: HubServer
) -> None:
    query = "query($code: String!) { jurisdiction(code: $code) { name } }"
    within = await post(client, {"query": query, "variables": {"code": "1" * 500_000}})
    assert within.status_code == 200
    assert within.json() == {"data": {"jurisdiction": None}}
    beyond = "1" * (hub_server.settings.max_body_bytes + 1)
    too_big = await post(client, {"query": query, "variables": {"code": beyond}})
    assert too_big.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }"',
        b'{"query": NaN}',
        b"\xff\xfe{}",
        b"[]",
        b'[{"query": "{ __typename }"}]',
        b'"{ __typename }"',
        b'{"query": ["{ __typename }"]}',
        b'{"query": "{ __typename }", "variables": "x"}',
        b"",
    ],
    ids=[
        "truncated",
        "nan",
        "not-utf8",
        "empty-batch",
        "batch-when-off",
        "not-an-object",
        "query-not-a-string",
        "variables-not-a-map",
        "empty",
    ],
)
async def test_malformed_json_is_a_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


async def test_introspection_is_served_within_the_limits(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": get_introspection_query(descriptions=True)})
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_nested_introspection_is_refused(client: httpx.AsyncClient) -> None:
    query = (
        "{ __schema { types { fields { type { fields { type { fields { type { fields { name }"
        " } } } } } } } } }"
    )
    assert_refused(await post(client, {"query": query}), "INTROSPECTION_TOO_DEEP")


async def test_field_suggestions_are_on_by_default(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": '{ jurisdictoin(code: "110102") { name } }'})
    assert response.status_code == 400
    assert "Did you mean 'jurisdiction'" in response.json()["errors"][0]["message"]


# -- settings that turn things off or on ------------------------------------------------------


@pytest.fixture
def locked_down(settings: Settings) -> Iterator[str]:
    """The hub with introspection off (which also hides field suggestions)."""
    app = create_app(settings.model_copy(update={"introspection": False}))
    with serve_in_thread(app) as url:
        yield url


async def test_introspection_off_refuses_schema_queries_and_hides_suggestions(
    locked_down: str,
) -> None:
    async with httpx.AsyncClient(base_url=locked_down) as client:
        refused = await post(client, {"query": get_introspection_query()})
        assert_refused(refused, "INTROSPECTION_DISABLED")
        typed = await post(client, {"query": '{ __type(name: "Query") { name } }'})
        assert_refused(typed, "INTROSPECTION_DISABLED")
        typo = await post(client, {"query": '{ jurisdictoin(code: "110102") { nmae } }'})
        assert typo.status_code == 400
        messages = [error["message"] for error in typo.json()["errors"]]
        assert messages == ["Cannot query field 'jurisdictoin' on type 'Query'."]
        enum = await post(client, {"query": "{ jurisdictions(level: DISTRCT) { totalCount } }"})
        assert enum.status_code == 400
        assert "Did you mean" not in enum.text
        still = await post(client, {"query": "{ __typename }"})
        assert still.json() == {"data": {"__typename": "Query"}}


async def test_suggestions_can_be_hidden_with_introspection_on(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"field_suggestions": False}))
    token = mint(settings, role=Role.CITY_PLATFORM, jurisdiction="110000")
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            typo = await post(client, {"query": '{ jurisdictoin(code: "110102") { name } }'})
            intro = await post(client, {"query": "{ __schema { queryType { name } } }"})
        # and over the WebSocket too: a subscription's validation errors spell nothing out
        async with connect(url, token) as socket:
            misspelt = await (await socket.subscribe("subscription { caseEvnts { type } }")).ended()
    assert typo.status_code == 400
    assert "Did you mean" not in typo.text
    assert intro.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert misspelt.kind == "error"
    assert [error["message"] for error in misspelt.payload] == [
        "Cannot query field 'caseEvnts' on type 'Subscription'."
    ]


async def test_limits_follow_the_settings(settings: Settings) -> None:
    strict = settings.model_copy(
        update={"max_query_depth": 2, "max_cost": 1, "max_tokens": 20, "max_aliases": 0}
    )
    with serve_in_thread(create_app(strict)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            deep = await post(
                client, {"query": '{ jurisdiction(code: "110102") { parent { code } } }'}
            )
            costly = await post(client, {"query": "{ jurisdictions { totalCount } }"})
            aliased = await post(client, {"query": "{ a: __typename }"})
            wordy = await post(client, {"query": "{ " + "__typename " * 20 + "}"})
    assert_refused(deep, "QUERY_TOO_DEEP")
    assert_refused(costly, "QUERY_TOO_COMPLEX")
    assert_refused(aliased, "TOO_MANY_ALIASES")
    assert_refused(wordy, "TOO_MANY_TOKENS")


async def test_batching_is_off_by_default_and_capped_when_on(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"batching": True, "max_batch_size": 2}))
    entry = {"query": "{ __typename }"}
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            two = await post(client, [entry, entry])
            three = await post(client, [entry, entry, entry])
    assert two.status_code == 200
    assert two.json() == [{"data": {"__typename": "Query"}}] * 2
    assert three.status_code == 400
    assert "at most 2" in three.json()["errors"][0]["message"]


# -- the request time limit ---------------------------------------------------------------------


class Stalls:
    """A resolver that never finishes unless cancelled, and says when it was cancelled."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.cancelled = threading.Event()

    async def wait_forever(self) -> str:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return "unreachable"


def stalling_app(stalls: Stalls, timeout_seconds: float) -> Starlette:
    @strawberry.type
    class Query:
        @strawberry.field
        async def slow(self) -> str:
            return await stalls.wait_forever()

        @strawberry.field
        def fast(self) -> str:
            return "fast"

    async def no_context(_: object) -> None:
        return None

    endpoint = GraphQLHTTPEndpoint(
        strawberry.Schema(query=Query), no_context, timeout_seconds=timeout_seconds
    )
    return Starlette(routes=[Route("/graphql", endpoint, methods=["GET", "POST"])])


async def test_an_operation_past_its_deadline_is_cancelled_with_a_timeout_error() -> None:
    stalls = Stalls()
    with serve_in_thread(stalling_app(stalls, timeout_seconds=0.2)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            slow = await post(client, {"query": "{ fast slow }"})
            fast = await post(client, {"query": "{ fast }"})
    assert slow.status_code == 200
    assert slow.json() == {
        "data": None,
        "errors": [
            {
                "message": "The operation took longer than 0.2 s and was cancelled.",
                "extensions": {"code": "TIMEOUT", "timeoutSeconds": 0.2},
            }
        ],
    }
    assert stalls.started.is_set()
    assert stalls.cancelled.wait(10), "the stalled resolver was not cancelled"
    assert fast.json() == {"data": {"fast": "fast"}}


async def test_the_hub_applies_its_request_timeout_setting(settings: Settings) -> None:
    # a deadline that has passed before the first database round trip returns
    app = create_app(settings.model_copy(update={"request_timeout_seconds": 1e-9}))
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            response = await post(
                client, {"query": "{ jurisdictions(first: 3) { nodes { code } } }"}
            )
    assert response.status_code == 200
    assert codes(response) == ["TIMEOUT"]
    assert response.json()["data"] is None


@pytest.mark.usefixtures("clean")
async def test_a_mutation_cut_short_by_the_deadline_is_on_record(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"request_timeout_seconds": 1e-9}))
    token = mint(settings, role=Role.HOTLINE, jurisdiction="110000")
    report = """mutation { reportCase(input: {description: "井盖缺失", categoryCode: "GARBAGE",
        source: HOTLINE_12345, location: {lat: 39.9087, lng: 116.3975}}) { case { number } } }"""
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            response = await client.post(
                "/graphql", json={"query": report}, headers={"Authorization": f"Bearer {token}"}
            )
    assert codes(response) == ["TIMEOUT"]
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT operation, outcome, actor_role FROM audit_log ORDER BY id")
            )
            entries = [tuple(row) for row in rows]
    finally:
        await engine.dispose()
    assert entries == [("reportCase", "TIMEOUT", "HOTLINE")]


# -- masked faults --------------------------------------------------------------------------------


async def test_an_unexpected_fault_is_masked_with_a_correlation_id_that_the_log_carries(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(**_: object) -> None:
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")

    monkeypatch.setattr(departments_service, "page_departments", broken)
    with caplog.at_level(logging.ERROR, logger="hub.graphql"):
        response = await gql.post('{ departments(jurisdictionCode: "110102") { totalCount } }')
    assert response.status_code == 200
    body = response.json()
    assert "hunter2" not in response.text
    (error,) = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["path"] == ["departments"]
    assert error["extensions"]["code"] == "INTERNAL"
    correlation_id = error["extensions"]["correlationId"]
    assert re.fullmatch(r"[0-9a-f]{32}", correlation_id)
    (record,) = [r for r in caplog.records if r.name == "hub.graphql"]
    assert correlation_id in record.getMessage()
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


async def test_coded_refusals_and_graphql_errors_are_not_masked(gql: GraphQLClient) -> None:
    page = await gql.post("{ jurisdictions(first: 1000) { totalCount } }")
    assert [e["extensions"]["code"] for e in page.json()["errors"]] == ["INVALID_PAGE_SIZE"]
    variables = await gql.post("query($n: Int!) { jurisdictions(first: $n) { totalCount } }")
    assert "Variable '$n'" in json.dumps(variables.json())
