"""The Open311 GeoReport v2 server, over HTTP, against the spec's own JSON schemas."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from hub.db import create_engine, create_sessionmaker, transaction, utcnow
from hub.open311 import keys as open311_keys
from tests.adapters.support import execute, hub, scalar
from tests.cases.factories import DISPATCH, RESOLVE, RESPOND, Actors
from tests.conftest import GraphQLClient, HubServer
from tests.open311.conftest import validate

V2 = "/open311/v2"
TIANANMEN = {"lat": "39.9087", "long": "116.3975"}
PHONE = "13812345678"


@pytest.fixture(scope="module")
async def keys(hub_server: HubServer) -> AsyncIterator[dict[str, str]]:
    """A city-wide key and a Chaoyang one (the CLI's own test is below)."""
    url = hub_server.settings.database_url
    engine = create_engine(url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            issued = {
                name: await open311_keys.create(
                    session=session, name=name, jurisdiction_code=code, now=utcnow()
                )
                for name, code in (("city-app", "110000"), ("chaoyang-app", "110105"))
            }
    finally:
        await engine.dispose()
    yield issued
    await execute(
        url,
        "DELETE FROM open311_key",
        "DELETE FROM audit_log",
        "DELETE FROM case_event",
        "DELETE FROM case_external_ref",
        "DELETE FROM case_jurisdiction",
        'DELETE FROM "case"',
        "DELETE FROM number_sequence",
    )


@pytest.fixture
async def http(hub_server: HubServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=hub_server.url + V2, timeout=30) as client:
        yield client


async def file(http: httpx.AsyncClient, key: str, **fields: str) -> httpx.Response:
    return await http.post("/requests.json", data={"api_key": key, **fields})


def xml(response: httpx.Response) -> ElementTree.Element:
    assert response.headers["content-type"].startswith("text/xml")
    return ElementTree.fromstring(response.content)


def refused(response: httpx.Response, status: int) -> str:
    """The spec's error list, with the HTTP status as its code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert len(body) == 1
    assert body[0]["code"] == status
    description: str = body[0]["description"]
    return description


async def test_discovery_names_the_endpoint_and_both_formats(http: httpx.AsyncClient) -> None:
    body = (await http.get("/discovery.json")).json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert {"changeset", "contact"} <= set(body)
    root = xml(await http.get("/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == endpoint["formats"]


async def test_services_are_the_category_leaves_with_attributes_where_needed(
    http: httpx.AsyncClient,
) -> None:
    services = (await http.get("/services.json")).json()
    validate(services, "services.json")
    by_code = {service["service_code"]: service for service in services}
    assert by_code["GARBAGE"]["group"] == "市容环境"
    assert "CITY_APPEARANCE" not in by_code  # a group is not a service
    assert by_code["FIRE_HAZARD"]["metadata"] is True
    assert by_code["GARBAGE"]["metadata"] is False

    fire = (await http.get("/services/FIRE_HAZARD.json")).json()
    validate(fire, "service-definition.json")
    (urgency,) = fire["attributes"]
    assert urgency["required"] is True
    assert [v["key"] for v in urgency["values"]] == ["ROUTINE", "URGENT", "EMERGENCY"]
    garbage = (await http.get("/services/GARBAGE.json")).json()
    validate(garbage, "service-definition.json")
    assert garbage["attributes"] == []

    root = xml(await http.get("/services.xml"))
    assert [s.findtext("service_code") for s in root.iter("service")] == list(by_code)
    definition = xml(await http.get("/services/FIRE_HAZARD.xml"))
    assert [v.findtext("key") for v in definition.iter("value")] == [
        "ROUTINE",
        "URGENT",
        "EMERGENCY",
    ]
    assert "NOWHERE" in refused(await http.get("/services/NOWHERE.json"), 404)
    assert refused(await http.get("/services.yaml"), 404)


async def test_a_request_filed_and_followed(http: httpx.AsyncClient, keys: dict[str, str]) -> None:
    key = keys["city-app"]
    posted = await file(
        http,
        key,
        service_code="GARBAGE",
        description="胡同口垃圾堆放三天无人清运",
        phone=PHONE,
        **TIANANMEN,
    )
    assert posted.status_code == 200, posted.text
    created = posted.json()
    validate(created, "swagger.json#RequestResponse")
    number, token = created[0]["service_request_id"], created[0]["token"]

    listed = await http.get("/requests.json", params={"api_key": key})
    validate(listed.json(), "requests.json")
    (request,) = [r for r in listed.json() if r["service_request_id"] == number]
    assert request["status"] == "open"
    assert request["status_notes"].startswith("RECEIVED")
    assert request["service_code"] == "GARBAGE"
    assert request["agency_responsible"]  # the street office it lies in
    assert request["lat"] == pytest.approx(39.9087, abs=1e-6)

    one = await http.get(f"/requests/{number}.json", params={"api_key": key})
    validate(one.json(), "requests.json")
    assert one.json() == [request]
    by_token = await http.get(f"/tokens/{token}.json", params={"api_key": key})
    validate(by_token.json(), "swagger.json#TokenResponse")
    assert by_token.json() == [{"service_request_id": number, "token": token}]

    as_xml = xml(await http.get(f"/requests/{number}.xml", params={"api_key": key}))
    assert as_xml.tag == "service_requests"
    assert as_xml.findtext("request/service_request_id") == number
    assert as_xml.findtext("request/status") == "open"
    for response in (posted, listed, one, by_token):
        assert PHONE not in response.text


async def test_requests_filters(http: httpx.AsyncClient, keys: dict[str, str]) -> None:
    key = keys["city-app"]
    fire = await file(
        http, key, service_code="FIRE_HAZARD", **{"attribute[priority]": "EMERGENCY"}, **TIANANMEN
    )
    number = fire.json()[0]["service_request_id"]

    async def ids(**params: str) -> list[str]:
        response = await http.get("/requests.json", params={"api_key": key, **params})
        assert response.status_code == 200, response.text
        validate(response.json(), "requests.json")
        return [r["service_request_id"] for r in response.json()]

    assert await ids(service_request_id=number) == [number]
    assert number in await ids(service_code="FIRE_HAZARD,GARBAGE")
    assert number not in await ids(service_code="GARBAGE")
    assert number in await ids(status="open")
    assert number not in await ids(status="closed")
    now = dt.datetime.now(dt.UTC)
    assert number in await ids(start_date=(now - dt.timedelta(hours=1)).isoformat())
    old = {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-02-01T00:00:00Z"}
    assert await ids(**old) == []
    assert "90 days" in refused(
        await http.get(
            "/requests.json",
            params={
                "api_key": key,
                "start_date": "2020-01-01T00:00:00Z",
                "end_date": "2020-06-01T00:00:00Z",
            },
        ),
        400,
    )
    assert "start_date" in refused(
        await http.get("/requests.json", params={"api_key": key, "start_date": "yesterday"}), 400
    )
    assert "status" in refused(
        await http.get("/requests.json", params={"api_key": key, "status": "pending"}), 400
    )


async def test_reading_needs_a_key_and_shows_only_what_it_may_see(
    http: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    posted = await file(http, keys["city-app"], service_code="GARBAGE", **TIANANMEN)
    number = posted.json()[0]["service_request_id"]
    assert refused(await http.get("/requests.json"), 403)
    assert refused(await http.get("/requests.json", params={"api_key": "o311_forged"}), 403)
    errors = xml(await http.get(f"/requests/{number}.xml"))
    assert errors.tag == "errors"
    assert errors.findtext("error/code") == "403"
    chaoyang = {"api_key": keys["chaoyang-app"]}
    listed = await http.get("/requests.json", params=chaoyang)
    assert number not in [r["service_request_id"] for r in listed.json()]
    refused(await http.get(f"/requests/{number}.json", params=chaoyang), 404)


async def test_bad_filings_are_refused_and_change_nothing(
    http: httpx.AsyncClient, keys: dict[str, str], hub_server: HubServer
) -> None:
    url = hub_server.settings.database_url
    before = await scalar(url, 'SELECT count(*) FROM "case"')
    key = keys["city-app"]
    assert refused(await file(http, "o311_not-a-key", service_code="GARBAGE", **TIANANMEN), 403)
    assert refused(await http.post("/requests.json", data={"service_code": "GARBAGE"}), 403)
    assert "location" in refused(await file(http, key, service_code="GARBAGE"), 400)
    assert "priority" in refused(
        await file(http, key, service_code="FIRE_HAZARD", **TIANANMEN), 400
    )
    assert "NOWHERE" in refused(await file(http, key, service_code="NOWHERE", **TIANANMEN), 400)
    assert refused(await file(http, key, service_code="GARBAGE", lat="31.23", long="121.47"), 400)
    assert refused(await file(http, key, service_code="GARBAGE", lat="north", long="1"), 400)
    assert refused(
        await file(http, key, service_code="GARBAGE", description="x" * 4001, **TIANANMEN), 400
    )
    too_big = await http.post("/requests.json", content=b"a=" + b"x" * 70_000)
    assert refused(too_big, 400)
    assert await scalar(url, 'SELECT count(*) FROM "case"') == before


async def test_a_revoked_key_is_refused(http: httpx.AsyncClient, hub_server: HubServer) -> None:
    url = hub_server.settings.database_url
    created = hub("open311-key", "create", "--name", "short-lived", url=url)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert (await http.get("/requests.json", params={"api_key": key})).status_code == 200
    revoked = hub("open311-key", "revoke", key, url=url)
    assert revoked.returncode == 0, revoked.stderr
    assert refused(await http.get("/requests.json", params={"api_key": key}), 403)


def _summary(found: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    return {r["service_request_id"]: (r["service_code"], r["status"]) for r in found}


async def test_round_trip_through_the_hubs_own_open311_adapter(
    http: httpx.AsyncClient, keys: dict[str, str], hub_server: HubServer, gql: GraphQLClient
) -> None:
    """``hub sync open311`` pulls the hub's own Open311 server: every request comes back as a
    case with the same service, place and status, keyed by the request's id."""
    key = keys["city-app"]
    numbers = []
    for fields in ({"service_code": "GARBAGE"}, {"service_code": "ILLEGAL_CONSTRUCTION"}):
        posted = await file(http, key, description="往返测试", **fields, **TIANANMEN)
        numbers.append(posted.json()[0]["service_request_id"])
    closed = numbers[1]
    await _resolve(gql, hub_server, closed)
    served = _summary((await http.get("/requests.json", params={"api_key": key})).json())
    assert served[closed] == ("ILLEGAL_CONSTRUCTION", "closed")

    source = f"{hub_server.url}{V2}"
    result = hub(
        "sync",
        "open311",
        "--source",
        source,
        "--set",
        f"api_key={key}",
        "--set",
        "initial_days=1",
        url=hub_server.settings.database_url,
    )
    assert result.returncode == 0, result.stderr + result.stdout

    city = Actors(hub_server).city
    copies = (await gql.execute(COPIES, token=city))["cases"]["nodes"]
    by_origin = {
        ref["id"]: copy
        for copy in copies
        for ref in copy["externalRefs"]
        if ref["system"] == "open311"
    }
    assert set(by_origin) == set(served)
    for number, (code, status) in served.items():
        original = (await gql.execute(ONE, {"number": number}, token=city))["case"]
        copy = by_origin[number]
        assert copy["category"]["code"] == code
        assert copy["subdistrict"]["code"] == original["subdistrict"]["code"]
        assert copy["status"] == ("RESOLVED" if status == "closed" else "RECEIVED")


COPIES = """{ cases(filter: {source: OPEN311}, first: 100) { nodes {
  number status category { code } subdistrict { code } externalRefs { system id } } } }"""
ONE = """query($number: String!) { case(number: $number) { status subdistrict { code } } }"""


async def _resolve(gql: GraphQLClient, server: HubServer, number: str) -> None:
    actors = Actors(server)
    case = (await gql.execute(ONE, {"number": number}, token=actors.city))["case"]
    department = f"{case['subdistrict']['code']}.URBAN_MANAGEMENT"
    steps = [
        (DISPATCH, {"caseNumber": number, "departmentCodes": [department]}, actors.city),
        (RESPOND, {"caseNumber": number}, Actors.department(server, department)),
        (RESOLVE, {"caseNumber": number}, Actors.department(server, department)),
    ]
    for mutation, data, token in steps:
        done = await gql.execute(mutation, {"input": data}, token=token)
        assert not next(iter(done.values()))["errors"]
