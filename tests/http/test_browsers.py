"""Browsers on other origins: CORS, the WebSocket Origin check, compression and HTTP caching."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from tests.support.server import serve_in_thread

AGENCY = "https://app.xicheng.gov.cn"
STRANGER = "https://evil.example"
DISTRICTS = "{ jurisdictions(level: DISTRICT, first: 16) { nodes { code name boundary } } }"
OUTSIDE = "{ locate(point: {lat: 31.23, lng: 121.47}) { grid { code } } }"
XICHENG = '{ jurisdiction(code: "110102") { name } }'


@pytest.fixture(scope="module")
def agency_hub(settings: Settings) -> Iterator[tuple[str, Settings]]:
    """A hub that lets one other agency's front end call it."""
    configured = settings.model_copy(update={"cors_origins": f"{AGENCY}, https://other.gov.cn"})
    with serve_in_thread(create_app(configured), startup_timeout=60) as url:
        yield url, configured


def preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(
        f"{url}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_a_front_end_on_an_allowed_origin_may_call_the_graph(
    agency_hub: tuple[str, Settings],
) -> None:
    url, settings = agency_hub
    # given a preflight from the agency's origin, then the call itself with a token
    allowed = preflight(url, AGENCY)
    token = mint(settings, role=Role.CITY_PLATFORM, jurisdiction="110000")
    call = httpx.post(
        f"{url}/graphql",
        json={"query": "{ me { role } }"},
        headers={"Origin": AGENCY, "Authorization": f"Bearer {token}"},
    )
    # then the browser is told it may send the token and read the answer and its limits
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == AGENCY
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert call.json() == {"data": {"me": {"role": "CITY_PLATFORM"}}}
    assert call.headers["access-control-allow-origin"] == AGENCY
    assert "ETag" in call.headers["access-control-expose-headers"]


def test_an_origin_not_allowed_gets_no_cors_grant(agency_hub: tuple[str, Settings]) -> None:
    url, _ = agency_hub
    refused = preflight(url, STRANGER)
    call = httpx.post(f"{url}/graphql", json={"query": XICHENG}, headers={"Origin": STRANGER})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in call.headers


async def test_a_socket_from_a_foreign_page_is_refused_at_the_handshake(
    agency_hub: tuple[str, Settings],
) -> None:
    url, _ = agency_hub
    ws_url = url.replace("http://", "ws://") + "/graphql"
    protocol = [websockets.Subprotocol("graphql-transport-ws")]
    host = url.removeprefix("http://")
    for origin in (None, AGENCY, f"http://{host}"):  # scripts, the agency, the hub's own pages
        headers = {"Origin": origin} if origin else {}
        async with websockets.connect(
            ws_url, subprotocols=protocol, origin=None, additional_headers=headers
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(
            ws_url, subprotocols=protocol, additional_headers={"Origin": STRANGER}
        ):
            pass
    assert refused.value.response.status_code == 403


def wire(url: str, query: str, encoding: str) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (before any decoding)."""
    with httpx.stream(
        "POST", f"{url}/graphql", json={"query": query}, headers={"Accept-Encoding": encoding}
    ) as response:
        return response, b"".join(response.iter_raw())


def test_large_answers_are_compressed_and_small_ones_are_not(
    agency_hub: tuple[str, Settings],
) -> None:
    url, _ = agency_hub
    plain = httpx.post(
        f"{url}/graphql", json={"query": DISTRICTS}, headers={"Accept-Encoding": "identity"}
    )
    for encoding, expected in (("br, gzip", "br"), ("gzip", "gzip")):
        response, raw = wire(url, DISTRICTS, encoding)
        assert response.headers["content-encoding"] == expected
        assert len(raw) * 3 < len(plain.content)
    small, _ = wire(url, XICHENG, "br, gzip")
    assert "content-encoding" not in plain.headers
    assert "content-encoding" not in small.headers
    assert len(plain.json()["data"]["jurisdictions"]["nodes"]) == 16


def test_public_get_queries_carry_validators_and_revalidate_to_304(
    agency_hub: tuple[str, Settings],
) -> None:
    url, settings = agency_hub
    endpoint = f"{url}/graphql"
    first = httpx.get(endpoint, params={"query": XICHENG})
    again = httpx.get(
        endpoint, params={"query": XICHENG}, headers={"If-None-Match": first.headers["etag"]}
    )
    token = mint(settings, role=Role.OBSERVER, jurisdiction="110000")
    mine = httpx.get(
        endpoint, params={"query": "{ me { role } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    failed = httpx.get(endpoint, params={"query": OUTSIDE})
    posted = httpx.post(endpoint, json={"query": XICHENG})
    assert first.json() == {"data": {"jurisdiction": {"name": "西城区"}}}
    assert first.headers["cache-control"] == "public, max-age=60"
    assert first.headers["etag"].startswith('W/"')
    assert again.status_code == 304
    assert again.content == b""
    assert mine.headers["cache-control"] == "private, no-cache"
    assert mine.headers["etag"] != first.headers["etag"]
    assert failed.json()["errors"][0]["extensions"]["code"] == "OUTSIDE_CITY"
    assert "etag" not in failed.headers
    assert "etag" not in posted.headers
