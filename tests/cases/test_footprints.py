"""A footprint lies within its reporter's area (or spills over its border) and is a site's size."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cases.factories import REPORT, Actors, mutate, ok
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU_STREET = "110107011"  # 鲁谷街道, Shijingshan
LUGU = {"lat": 39.900, "lng": 116.235}
AUDIT = """query { auditLog(operation: "reportCase", first: 20) {
  edges { node { outcome actor { sub } } } } }"""


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


CITY = box(115.5, 39.5, 117.3, 40.9)  # all of Beijing's 349 street offices
# About 170 m by 220 m: 62 % in Lugu, the rest over its eastern border in the next street.
ON_THE_BORDER = box(116.244, 39.899, 116.246, 39.901)
# The same size, a little further east: 8 % in Lugu.
NEXT_DOOR = box(116.246, 39.899, 116.248, 39.901)
# About 850 m by 1,100 m: a site larger than a street block, inside Lugu.
LARGE_SITE = box(116.23, 39.895, 116.24, 39.905)


def intake(footprint: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": "违建围挡占道",
        "categoryCode": "ILLEGAL_CONSTRUCTION",
        "source": "STREET_CHIEF",
        "location": LUGU,
        "footprint": footprint,
    }


async def count_cases(gql: GraphQLClient, token: str) -> int:
    data = await gql.execute("{ cases(first: 1) { totalCount } }", token=token)
    return int(data["cases"]["totalCount"])


@pytest.mark.parametrize(
    ("footprint", "code"),
    [
        (CITY, "FOOTPRINT_TOO_LARGE"),
        (LARGE_SITE, "FOOTPRINT_TOO_LARGE"),
        (NEXT_DOOR, "OUTSIDE_SCOPE"),
    ],
    ids=["city-wide", "larger-than-a-block", "next-door"],
)
async def test_a_street_office_cannot_outline_beyond_its_street_or_a_block(
    gql: GraphQLClient, hub_server: HubServer, footprint: dict[str, Any], code: str
) -> None:
    actors = Actors(hub_server)
    street = Actors.street(hub_server, LUGU_STREET)
    before = await count_cases(gql, actors.city)
    payload = await mutate(gql, REPORT, street, **intake(footprint))
    assert payload["case"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == (code, "footprint")
    assert await count_cases(gql, actors.city) == before
    audit = await gql.execute(AUDIT, token=actors.city)
    [entry] = [edge["node"] for edge in audit["auditLog"]["edges"]]
    assert entry == {"outcome": code, "actor": {"sub": f"street-{LUGU_STREET}"}}


async def test_a_footprint_may_spill_over_the_border_of_its_reporters_street(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    street = Actors.street(hub_server, LUGU_STREET)
    case = await ok(gql, REPORT, street, **intake(ON_THE_BORDER))
    crossed = [j["code"] for j in case["jurisdictionsCrossed"]]
    assert crossed == sorted([LUGU_STREET, "110107004"])
    assert case["crossesBoundary"] is True


@pytest.mark.parametrize("who", ["city", "hotline"])
async def test_the_city_platform_and_the_hotline_may_outline_a_large_site(
    gql: GraphQLClient, hub_server: HubServer, who: str
) -> None:
    token = getattr(Actors(hub_server), who)
    case = await ok(gql, REPORT, token, **intake(LARGE_SITE))
    assert case["subdistrict"]["code"] == LUGU_STREET
