"""Jurisdictions listed with their cases and whistles: what the top-level filters give, each,
in as many statements for all the districts and street offices as for one district."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hub.config import Settings
from tests.cases.factories import REPORT, Actors, ok, report_noise
from tests.conftest import GraphQLClient, HubServer, quiet_hub
from tests.whistles.factories import BLOW, garbage_whistle
from tests.whistles.factories import ok as blown

pytestmark = pytest.mark.usefixtures("clean")

AT_LUGU = {"lat": 39.900, "lng": 116.235}  # Shijingshan
AT_GUANGWAI = {"lat": 39.8802, "lng": 116.3162}  # Xicheng
ACROSS = {  # from Xicheng into Fengtai
    "type": "Polygon",
    "coordinates": [
        [[116.32, 39.865], [116.345, 39.865], [116.345, 39.89], [116.32, 39.89], [116.32, 39.865]]
    ],
}
GUANGWAI, TAIPINGQIAO = "110102020", "110106002"  # Xicheng, Fengtai
PAGE = "totalCount edges { node { number } }"
OWN = f"cases(first: 1) {{ {PAGE} }} whistles(first: 1) {{ {PAGE} }}"
DISTRICTS = f"""
query($first: Int!) {{
  jurisdictions(level: DISTRICT, first: $first) {{
    nodes {{ code {OWN} children {{ code {OWN} }} }}
  }}
}}"""
ONE = f"""
query($code: String!) {{
  cases(filter: {{jurisdictionCode: $code}}, first: 1) {{ {PAGE} }}
  whistles(filter: {{jurisdictionCode: $code}}, first: 1) {{ {PAGE} }}
}}"""


async def test_each_jurisdiction_of_a_list_has_its_own_cases_and_whistles_in_few_statements(
    settings: Settings, gql: GraphQLClient, hub_server: HubServer
) -> None:
    city = Actors(hub_server).city
    # given cases in two districts, and one whose footprint crosses from Xicheng into Fengtai
    for text in ("广场舞噪声", "施工噪声"):
        await report_noise(gql, city, AT_LUGU, text)
    await report_noise(gql, city, AT_GUANGWAI, "商户外放")
    await ok(
        gql,
        REPORT,
        city,
        description="跨界违建",
        categoryCode="ILLEGAL_CONSTRUCTION",
        source="STREET_CHIEF",
        footprint=ACROSS,
    )
    # and whistles: Lugu's own, and Guangwai's with Taipingqiao as its partner across districts
    await garbage_whistle(gql, hub_server)
    guangwai = Actors.street(hub_server, GUANGWAI)
    await blown(
        gql,
        BLOW,
        guangwai,
        callerCode=GUANGWAI,
        kind="KEY_TASK",
        caseNumbers=[(await report_noise(gql, guangwai, AT_GUANGWAI, "交界违建"))],
        departmentCodes=[f"{GUANGWAI}.URBAN_MANAGEMENT"],
        partnerCodes=[TAIPINGQIAO],
        reason="交界违建，两区联合拆除",
    )
    # when the districts and their street offices are listed with their cases and whistles
    with quiet_hub(settings) as (url, counter):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            quiet = GraphQLClient(client)
            await quiet.execute(DISTRICTS, {"first": 1}, token=city)  # the feed's first look

            async def listed(first: int) -> tuple[int, list[dict[str, Any]]]:
                before = counter.count
                data = await quiet.execute(DISTRICTS, {"first": first}, token=city)
                return counter.count - before, data["jurisdictions"]["nodes"]

            one, _ = await listed(1)
            sixteen, districts = await listed(16)
    # then 16 districts and their 349 street offices cost what one district does
    assert one == sixteen, f"1 district: {one} statements, 16 districts: {sixteen}"
    # and each has what the top-level filters give it: footprints crossing in, partners included
    jurisdictions = [*districts, *(street for d in districts for street in d["children"])]
    assert len(jurisdictions) == 16 + 349
    cases, whistles = {}, {}
    for jurisdiction in jurisdictions:
        code = jurisdiction["code"]
        if code[:6] in {"110102", "110106", "110107"}:
            expected = await gql.execute(ONE, {"code": code}, token=city)
            assert jurisdiction["cases"] == expected["cases"], code
            assert jurisdiction["whistles"] == expected["whistles"], code
        cases[code] = jurisdiction["cases"]["totalCount"]
        whistles[code] = jurisdiction["whistles"]["totalCount"]
    assert cases["110107"] == 3  # Lugu's noise twice and its garbage, paged one at a time
    assert cases["110102"] == 3  # two in Xicheng, one crossing from it
    assert cases["110106"] == 1  # the crossing one, in Fengtai too
    assert whistles["110107"] == whistles["110107011"] == 1
    assert whistles["110102"] == whistles[GUANGWAI] == 1
    assert whistles["110106"] == whistles[TAIPINGQIAO] == 1  # the partner's side
    assert sum(cases[district["code"]] for district in districts) == 3 + 3 + 1
