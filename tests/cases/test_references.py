"""Reporting a known external reference: the case to those who may see it, nothing to others."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.cases.factories import REPORT, Actors, mutate
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU = {"lat": 39.900, "lng": 116.235}  # 鲁谷街道, Shijingshan (110107011)
TIANANMEN = {"lat": 39.9087, "lng": 116.3975}  # Dongcheng
SECRET = "地锁压住消防通道，业主张某某手机号在门卫处"
AUDIT = """query($op: String) { auditLog(operation: $op, first: 100) {
  edges { node { outcome target actor { sub } } } } }"""


def report_input(location: dict[str, float], ref_id: str) -> dict[str, Any]:
    return {
        "description": SECRET,
        "categoryCode": "PARKING_LOCK",
        "source": "HOTLINE_12345",
        "location": location,
        "address": "鲁谷路 7 号院",
        "reporterContact": "13800000000",
        "externalRef": {"system": "hotline", "id": ref_id},
    }


async def street_of(gql: GraphQLClient, point: dict[str, float]) -> str:
    found = await gql.execute(
        "query($p: GeoPointInput!) { locate(point: $p) { subdistrict { code } } }", {"p": point}
    )
    return str(found["locate"]["subdistrict"]["code"])


async def test_a_known_reference_reveals_nothing_to_a_caller_who_may_not_see_its_case(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    first = await mutate(gql, REPORT, actors.hotline, **report_input(LUGU, "12345-0001"))
    number = first["case"]["number"]
    foreign = Actors.street(hub_server, await street_of(gql, TIANANMEN))
    for token, code in ((None, "FORBIDDEN"), (foreign, "DUPLICATE_REFERENCE")):
        response = await gql.post(
            REPORT, {"input": report_input(TIANANMEN, "12345-0001")}, token=token
        )
        assert response.status_code == 200
        payload = response.json()["data"]["reportCase"]
        assert payload["case"] is None
        assert [e["code"] for e in payload["errors"]] == [code]
        for byte_of_the_case in (number, SECRET, "鲁谷路", "13800000000", "110107"):
            assert byte_of_the_case not in response.text
    again = await mutate(gql, REPORT, actors.city, **report_input(LUGU, "12345-0001"))
    assert again["case"]["number"] == number
    assert again["errors"] == []
    audit = await gql.execute(AUDIT, {"op": "reportCase"}, token=actors.city)
    outcomes = [e["node"]["outcome"] for e in audit["auditLog"]["edges"]]
    assert outcomes == ["OK", "DUPLICATE_REFERENCE", "FORBIDDEN", "OK"]


async def test_twenty_simultaneous_reports_of_one_reference_make_one_case(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    actors = Actors(hub_server)
    lugu = Actors.street(hub_server, "110107011")
    foreign = Actors.street(hub_server, await street_of(gql, TIANANMEN))
    seeing = [actors.hotline, actors.city, lugu] * 5 + [actors.hotline]
    callers = seeing + [foreign] * 4

    async def report(token: str) -> dict[str, Any]:
        response = await gql.post(REPORT, {"input": report_input(LUGU, "12345-0020")}, token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return dict(body["data"]["reportCase"])

    answers = await asyncio.gather(*(report(token) for token in callers))
    numbers = {a["case"]["number"] for a in answers[: len(seeing)] if not a["errors"]}
    assert len(numbers) == 1
    assert all(a["errors"] == [] for a in answers[: len(seeing)])
    # Outside its street either way: refused as a new report or as a reference it may not see.
    for refused in answers[len(seeing) :]:
        assert refused["case"] is None
        assert [e["code"] for e in refused["errors"]] in (["FORBIDDEN"], ["DUPLICATE_REFERENCE"])
    total = await gql.execute(
        '{ cases(filter: {categoryCode: "PARKING_LOCK", text: "消防通道"}) { totalCount } }',
        token=actors.city,
    )
    assert total["cases"]["totalCount"] == 1
    audit = await gql.execute(AUDIT, {"op": "reportCase"}, token=actors.city)
    assert len(audit["auditLog"]["edges"]) == len(callers)
    assert "INTERNAL" not in {e["node"]["outcome"] for e in audit["auditLog"]["edges"]}
