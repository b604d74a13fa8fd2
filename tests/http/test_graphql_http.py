"""GraphQL over HTTP compliance of ``hub.http.GraphQLHTTPEndpoint``.

The reference ``graphql-http`` audit suite runs in node against a real uvicorn server; the focused
tests pin the behaviour the audits do not reach (413, 415, 406, 401, GraphiQL, batching, Chinese
text) and the distinction between the two response media types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from hub.http import GraphQLHTTPEndpoint
from hub.http.negotiation import choose_response_type
from tests.http.toy import CHINESE, GOOD_TOKEN, build_app, context_factory, schema
from tests.support.audit import graphql_http_audit_failures
from tests.support.server import serve_in_thread

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
PATH = "/graphql"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(build_app()) as url:
        yield url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        yield http


def asgi_client(**endpoint_options: Any) -> httpx.AsyncClient:
    """An in-process client for endpoint variants that need no real socket."""
    transport = httpx.ASGITransport(app=build_app(**endpoint_options))
    return httpx.AsyncClient(transport=transport, base_url="http://toy")


async def post(
    client: httpx.AsyncClient, body: object, accept: str = GRAPHQL_RESPONSE, **headers: str
) -> httpx.Response:
    return await client.post(PATH, json=body, headers={"accept": accept, **headers})


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


def test_graphql_http_audits_must_and_should_pass(base_url: str) -> None:
    failures = graphql_http_audit_failures(f"{base_url}{PATH}")
    assert not failures, "graphql-http audits failed:\n" + "\n".join(failures)


async def test_query_over_post_and_get(client: httpx.AsyncClient) -> None:
    posted = await post(client, {"query": "{ hello }"})
    fetched = await client.get(PATH, params={"query": '{ hello(name: "GET") }'})
    assert posted.status_code == 200
    assert posted.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert posted.json() == {"data": {"hello": "Hello, world!"}}
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == f"{JSON}; charset=utf-8"
    assert fetched.json() == {"data": {"hello": "Hello, GET!"}}


async def test_get_decodes_json_variables(client: httpx.AsyncClient) -> None:
    params = {"query": "query Q($n: String!) { hello(name: $n) }", "variables": '{"n": "变量"}'}
    response = await client.get(PATH, params=params)
    assert response.json() == {"data": {"hello": "Hello, 变量!"}}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param("{", None, id="syntax"),
        pytest.param("{ nosuchfield }", None, id="validation"),
        pytest.param("query Q($n: String!) { hello(name: $n) }", {}, id="variable-coercion"),
        pytest.param("query Q($i: ID!) { echoId(id: $i) }", {"i": [1]}, id="bad-variable-type"),
        pytest.param("", None, id="empty-document"),
    ],
)
async def test_request_errors_are_400_or_200_by_media_type(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None
) -> None:
    body = {"query": query, "variables": variables}
    modern = await post(client, body, accept=GRAPHQL_RESPONSE)
    legacy = await post(client, body, accept=JSON)
    assert (modern.status_code, media_type(modern)) == (400, GRAPHQL_RESPONSE)
    assert (legacy.status_code, media_type(legacy)) == (200, JSON)
    for response in (modern, legacy):
        assert "data" not in response.json()
        assert response.json()["errors"][0]["message"]


async def test_syntax_error_reports_location(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ hello"})
    error = response.json()["errors"][0]
    assert error["message"].startswith("Syntax Error")
    assert error["locations"] == [{"line": 1, "column": 8}]


@pytest.mark.parametrize(
    ("operation_name", "message"),
    [
        ("Missing", 'Unknown operation named "Missing".'),
        (None, "The document contains several operations"),
    ],
)
async def test_unknown_or_ambiguous_operation_is_a_request_error(
    client: httpx.AsyncClient, operation_name: str | None, message: str
) -> None:
    body = {"query": "query A { hello } query B { chinese }", "operationName": operation_name}
    response = await post(client, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith(message)


async def test_document_without_operation_is_a_request_error(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "fragment F on Query { hello }"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": "The document contains no operation to run."}]
    }


async def test_operation_name_selects_the_operation(client: httpx.AsyncClient) -> None:
    body = {"query": "query A { hello } query B { chinese }", "operationName": "B"}
    assert (await post(client, body)).json() == {"data": {"chinese": CHINESE}}


async def test_mutation_over_get_is_405(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH, params={"query": "mutation { increment }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "data" not in response.json()
    assert (await post(client, {"query": "mutation { increment }"})).status_code == 200


async def test_get_checks_the_selected_operation(client: httpx.AsyncClient) -> None:
    query = "query A { hello } mutation B { increment }"
    as_query = await client.get(PATH, params={"query": query, "operationName": "A"})
    as_mutation = await client.get(PATH, params={"query": query, "operationName": "B"})
    assert as_query.json() == {"data": {"hello": "Hello, world!"}}
    assert as_mutation.status_code == 405


async def test_subscription_over_http_is_a_request_error(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "subscription { ticks }"})
    assert response.status_code == 400
    assert "WebSocket" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"query": "{ hello }"}'),
        ("application/x-www-form-urlencoded", "query=%7B+hello+%7D"),
        ("application/json; charset=latin-1", '{"query": "{ hello }"}'),
    ],
)
async def test_unsupported_content_type_is_415(
    client: httpx.AsyncClient, content_type: str, body: str
) -> None:
    response = await client.post(PATH, content=body, headers={"content-type": content_type})
    assert response.status_code == 415
    assert response.json()["errors"][0]["message"]


async def test_json_content_type_with_utf8_charset_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    headers = {"content-type": "application/json; charset=UTF-8"}
    response = await client.post(PATH, content='{"query": "{ chinese }"}', headers=headers)
    assert response.json() == {"data": {"chinese": CHINESE}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{ "not a JSON', "not valid JSON"),
        (b"", "body is empty"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"query": NaN}', "not valid JSON"),
        (b'"{ hello }"', "must be a JSON object"),
        (b'{"notquery": "{ hello }"}', '"query" parameter is missing'),
        (b'{"query": 1}', '"query" parameter must be a string'),
        (b'{"query": "{ hello }", "variables": "x"}', '"variables" parameter must be a map'),
        (b'{"query": "{ hello }", "extensions": []}', '"extensions" parameter must be a map'),
        (b'{"query": "{ hello }", "operationName": 0}', '"operationName" parameter must be'),
        (b'[{"query": "{ hello }"}]', "Batched requests"),
    ],
)
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_malformed_requests_are_400_for_both_media_types(
    client: httpx.AsyncClient, content: bytes, message: str, accept: str
) -> None:
    headers = {"content-type": JSON, "accept": accept}
    response = await client.post(PATH, content=content, headers=headers)
    assert (response.status_code, media_type(response)) == (400, accept)
    assert message in response.json()["errors"][0]["message"]


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    padding = " " * 1_048_576
    response = await client.post(
        PATH, content=f'{{"query": "{{ hello }}"}}{padding}', headers={"content-type": JSON}
    )
    assert response.status_code == 413
    assert "larger than 1048576 bytes" in response.json()["errors"][0]["message"]


async def test_chunked_body_over_the_limit_is_413() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 16

    async with asgi_client(max_body_bytes=64) as http:
        response = await http.post(PATH, content=chunks(), headers={"content-type": JSON})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
        (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
        (f"{JSON}, */*;q=0.1", JSON),
        (f"{GRAPHQL_RESPONSE}; charset=utf-8", GRAPHQL_RESPONSE),
        (BROWSER_ACCEPT, JSON),
        ("image/png", None),
        (f"{JSON};q=0, image/png", None),
        ("text/*", None),
        ("garbage", JSON),
    ],
)
def test_choose_response_type(accept: str | None, expected: str | None) -> None:
    assert choose_response_type(accept) == expected


async def test_unacceptable_accept_is_406(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ hello }"}, accept="image/png")
    assert response.status_code == 406
    assert media_type(response) == JSON
    assert "image/png" in response.json()["errors"][0]["message"]


async def test_field_error_keeps_data_and_status_200(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ hello boom }"})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"hello": "Hello, world!", "boom": None}
    assert body["errors"] == [
        {"message": "boom 爆炸", "locations": [{"line": 1, "column": 9}], "path": ["boom"]}
    ]


async def test_chinese_text_is_not_escaped(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ chinese }"})
    assert CHINESE.encode("utf-8") in response.content
    assert b"\\u" not in response.content


async def test_browser_get_renders_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH, headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "graphiql" in response.text.lower()


async def test_graphiql_can_be_disabled() -> None:
    async with asgi_client(graphiql=False) as http:
        response = await http.get(PATH, headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == 'The "query" parameter is missing.'


async def test_rejected_context_is_401_with_headers(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ whoami }"}, authorization="Bearer forged")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"errors": [{"message": "无效的令牌 (invalid token)"}]}


async def test_context_reaches_resolvers(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ whoami }"}, authorization=GOOD_TOKEN)
    assert response.json() == {"data": {"whoami": "tester"}}


async def test_batching_when_enabled() -> None:
    batch = [{"query": "{ hello }"}, {"query": "{"}, {"notquery": 1}]
    async with asgi_client(allow_batching=True) as http:
        response = await post(http, batch)
        empty = await post(http, [])
    assert response.status_code == 200
    first, second, third = response.json()
    assert first == {"data": {"hello": "Hello, world!"}}
    assert second["errors"][0]["message"].startswith("Syntax Error")
    assert third == {"errors": [{"message": 'The "query" parameter is missing.'}]}
    assert empty.status_code == 400


async def test_endpoint_is_a_plain_asgi_app() -> None:
    """Mounted without a ``Route`` the endpoint still refuses other methods itself."""
    endpoint = GraphQLHTTPEndpoint(schema, context_factory)
    transport = httpx.ASGITransport(app=endpoint)
    async with httpx.AsyncClient(transport=transport, base_url="http://toy") as http:
        ok = await post(http, {"query": "{ hello }"})
        put = await http.put("/", json={"query": "{ hello }"})
    assert ok.json() == {"data": {"hello": "Hello, world!"}}
    assert put.status_code == 405
    assert put.headers["allow"] == "GET, POST"
