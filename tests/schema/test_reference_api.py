"""The read API over Beijing's reference data, through the real app over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hub.config import Settings
from hub.geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from tests.conftest import GraphQLClient, quiet_hub

LOCATE = """
query($point: GeoPointInput!) {
  locate(point: $point) {
    point { lat lng }
    grid { code name boundarySynthetic boundary }
    community { code level }
    subdistrict { code name level }
    district { code name }
  }
}"""

TIANANMEN = {"lat": 39.9087, "lng": 116.3975}


async def test_locate_tiananmen_answers_grid_community_street_and_district(
    gql: GraphQLClient,
) -> None:
    data = await gql.execute(LOCATE, {"point": TIANANMEN})
    found = data["locate"]
    assert found["district"]["code"] in {"110101", "110102"}
    assert found["district"]["name"] in {"东城区", "西城区"}
    grid_code = found["grid"]["code"]
    assert len(grid_code) == 15
    assert found["community"]["code"] == grid_code[:12]
    assert found["community"]["level"] == "COMMUNITY"
    assert found["subdistrict"]["code"] == grid_code[:9]
    assert found["subdistrict"]["level"] == "SUBDISTRICT"
    assert found["district"]["code"] == grid_code[:6]
    assert found["grid"]["boundarySynthetic"] is True
    assert found["grid"]["boundary"]["type"] in {"Polygon", "MultiPolygon"}


@pytest.mark.parametrize("crs", ["GCJ02", "BD09"])
async def test_locate_converts_chinese_map_coordinates(gql: GraphQLClient, crs: str) -> None:
    # given Tiananmen as Amap (GCJ-02) or Baidu (BD-09) would report it
    convert = wgs84_to_gcj02 if crs == "GCJ02" else wgs84_to_bd09
    lng, lat = convert(TIANANMEN["lng"], TIANANMEN["lat"])
    shifted = await gql.execute(LOCATE, {"point": {"lat": lat, "lng": lng, "crs": crs}})
    plain = await gql.execute(LOCATE, {"point": TIANANMEN})
    # then it lands in the same grid, and the answer's point is WGS84 again
    assert shifted["locate"]["grid"]["code"] == plain["locate"]["grid"]["code"]
    assert shifted["locate"]["point"]["lat"] == pytest.approx(TIANANMEN["lat"], abs=1e-6)
    assert shifted["locate"]["point"]["lng"] == pytest.approx(TIANANMEN["lng"], abs=1e-6)


@pytest.mark.parametrize(
    "point",
    [{"lat": 31.23, "lng": 121.47}, {"lat": 0.0, "lng": 0.0}, {"lat": 95.0, "lng": 116.4}],
)
async def test_points_outside_the_city_get_a_clear_error(
    gql: GraphQLClient, point: dict[str, float]
) -> None:
    response = await gql.post(LOCATE, {"point": point})
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "OUTSIDE_CITY"
    assert "outside" in error["message"] or "valid" in error["message"]


AREA = """
query($area: GeoJSON!) {
  locateArea(area: $area) { crossesBoundary subdistricts { code } districts { code } }
}"""


async def test_footprint_across_the_xicheng_fengtai_boundary_touches_both(
    gql: GraphQLClient,
) -> None:
    # given the Guangwai (Xicheng) / Taipingqiao (Fengtai) building's surroundings
    area = {
        "type": "Polygon",
        "coordinates": [
            [
                [116.32, 39.865],
                [116.345, 39.865],
                [116.345, 39.89],
                [116.32, 39.89],
                [116.32, 39.865],
            ]
        ],
    }
    found = (await gql.execute(AREA, {"area": area}))["locateArea"]
    districts = {d["code"] for d in found["districts"]}
    assert {"110102", "110106"} <= districts
    assert found["crossesBoundary"] is True
    codes = [s["code"] for s in found["subdistricts"]]
    assert codes == sorted(codes)
    assert all(code[:6] in districts for code in codes)


async def test_invalid_footprint_is_refused_with_its_reason(gql: GraphQLClient) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[116.3, 39.9], [116.4, 40.0], [116.4, 39.9], [116.3, 40.0], [116.3, 39.9]]
        ],
    }
    body = (await gql.post(AREA, {"area": bowtie})).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_GEOMETRY"
    assert "Self-intersection" in body["errors"][0]["message"]


async def test_xicheng_lists_its_15_street_offices(gql: GraphQLClient) -> None:
    data = await gql.execute(
        '{ jurisdiction(code: "110102") { name level parent { code } '
        "ancestors { code } children { code name level parent { code } } } }"
    )
    xicheng = data["jurisdiction"]
    assert xicheng["name"] == "西城区"
    assert xicheng["level"] == "DISTRICT"
    assert xicheng["parent"] == {"code": "110000"}
    assert xicheng["ancestors"] == [{"code": "110000"}]
    streets = xicheng["children"]
    assert len(streets) == 15
    assert {
        "code": "110102020",
        "name": "广安门外街道",
        "level": "SUBDISTRICT",
        "parent": {"code": "110102"},
    } in streets


DISTRICTS = """
query($first: Int!) {
  jurisdictions(level: DISTRICT, first: $first) {
    totalCount
    edges { node {
      code name
      children { code name kind }
      departments(first: 30) { totalCount edges { node { code kind level isFallback } } }
    } }
  }
}"""


async def test_districts_with_streets_and_departments_cost_constant_statements(
    settings: Settings,
) -> None:
    with quiet_hub(settings) as (url, counter):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            gql = GraphQLClient(client)
            await gql.execute(DISTRICTS, {"first": 1})  # warm-up: the feed's first look

            async def statements_for(first: int) -> tuple[int, dict[str, Any]]:
                before = counter.count
                data = await gql.execute(DISTRICTS, {"first": first})
                return counter.count - before, data

            one, _ = await statements_for(1)
            sixteen, data = await statements_for(16)
    assert one == sixteen, f"1 district: {one} statements, 16 districts: {sixteen}"
    assert sixteen <= 4
    districts = [edge["node"] for edge in data["jurisdictions"]["edges"]]
    assert data["jurisdictions"]["totalCount"] == 16 == len(districts)
    assert sum(len(d["children"]) for d in districts) == 349
    for district in districts:
        departments = district["departments"]
        assert departments["totalCount"] == 18
        kinds = {edge["node"]["kind"] for edge in departments["edges"]}
        assert len(kinds) == 18
        assert {edge["node"]["code"] for edge in departments["edges"]} >= {
            f"{district['code']}.URBAN_MANAGEMENT"
        }
        assert sum(edge["node"]["isFallback"] for edge in departments["edges"]) == 1


async def test_jurisdictions_page_through_all_street_offices(gql: GraphQLClient) -> None:
    query = """query($after: String) {
      jurisdictions(level: SUBDISTRICT, first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { code } } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gql.execute(query, {"after": after}))["jurisdictions"]
        assert page["totalCount"] == 349
        seen += [edge["node"]["code"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 349 == len(set(seen))
    assert seen == sorted(seen)


async def test_jurisdictions_search_by_name_and_parent(gql: GraphQLClient) -> None:
    data = await gql.execute(
        '{ jurisdictions(search: "鲁谷") { edges { node { code name level } } } '
        'communities: jurisdictions(parentCode: "110101001", first: 100) { totalCount } }'
    )
    names = {edge["node"]["name"] for edge in data["jurisdictions"]["edges"]}
    assert "鲁谷街道" in names
    assert data["communities"]["totalCount"] > 0


@pytest.mark.parametrize("first", [0, 101, -1])
async def test_page_size_outside_1_to_100_is_refused(gql: GraphQLClient, first: int) -> None:
    body = (
        await gql.post("query($f: Int!) { jurisdictions(first: $f) { totalCount } }", {"f": first})
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


async def test_a_forged_cursor_is_refused(gql: GraphQLClient) -> None:
    body = (await gql.post('{ jurisdictions(after: "not-a-cursor") { totalCount } }')).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_grids_of_a_community_and_a_grid_by_code(gql: GraphQLClient) -> None:
    data = await gql.execute(
        '{ jurisdiction(code: "110101001") { grids(first: 5) { totalCount '
        "pageInfo { hasNextPage } edges { node { code community { code } } } } } }"
    )
    grids = data["jurisdiction"]["grids"]
    assert grids["totalCount"] >= 1
    first_code = grids["edges"][0]["node"]["code"]
    assert first_code.startswith("110101001")
    assert grids["edges"][0]["node"]["community"]["code"] == first_code[:12]
    grid = await gql.execute(f'{{ grid(code: "{first_code}") {{ code name boundarySynthetic }} }}')
    assert grid["grid"]["code"] == first_code
    assert (await gql.execute('{ grid(code: "999999999999999") { code } }'))["grid"] is None


async def test_node_and_nodes_resolve_every_entity_by_global_id(gql: GraphQLClient) -> None:
    data = await gql.execute(
        '{ jurisdiction(code: "110102") { id } department(code: "110102.URBAN_MANAGEMENT") '
        '{ id } category(code: "HOUSE_LEAK") { id } '
        "locate(point: {lat: 39.9087, lng: 116.3975}) { grid { id code } } }"
    )
    ids = [
        data["jurisdiction"]["id"],
        data["department"]["id"],
        data["category"]["id"],
        data["locate"]["grid"]["id"],
    ]
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
      ... on Jurisdiction { code } ... on Department { code } ... on Category { code }
      ... on Grid { code } } }"""
    nodes = (await gql.execute(query, {"ids": [*ids, "bm9wZTox", "%%%"]}))["nodes"]
    assert [n["__typename"] for n in nodes[:4]] == [
        "Jurisdiction",
        "Department",
        "Category",
        "Grid",
    ]
    assert [n["code"] for n in nodes[:3]] == ["110102", "110102.URBAN_MANAGEMENT", "HOUSE_LEAK"]
    assert nodes[3]["code"] == data["locate"]["grid"]["code"]
    assert nodes[4:] == [None, None]
    single = await gql.execute(f'{{ node(id: "{ids[0]}") {{ id }} }}')
    assert single["node"]["id"] == ids[0]


async def test_departments_answering_for_a_category_within_a_district(gql: GraphQLClient) -> None:
    data = await gql.execute(
        '{ departments(jurisdictionCode: "110102", categoryCode: "ILLEGAL_CONSTRUCTION", '
        "first: 100) { totalCount edges { node { code kind level jurisdiction { code } "
        "categories { code } } } } }"
    )
    found = [edge["node"] for edge in data["departments"]["edges"]]
    codes = {d["code"] for d in found}
    assert {
        "110102.URBAN_MANAGEMENT",
        "110102.PLANNING_NATURAL_RESOURCES",
        "110102020.URBAN_MANAGEMENT",
    } <= codes
    assert "110102.HEALTH" not in codes
    assert all(d["jurisdiction"]["code"].startswith("110102") for d in found)
    assert all("ILLEGAL_CONSTRUCTION" in {c["code"] for c in d["categories"]} for d in found)
    # every street office of Xicheng brings its enforcement team
    assert sum(d["level"] == "SUBDISTRICT" for d in found) == 15


async def test_category_tree_holds_the_contract_codes_with_their_matrix(
    gql: GraphQLClient,
) -> None:
    data = await gql.execute(
        "{ categories { code children { code name departmentKinds parent { code } } "
        "departmentKinds } }"
    )
    leaves = {c["code"]: c for root in data["categories"] for c in [root, *root["children"]]}
    for code in (
        "ILLEGAL_CONSTRUCTION",
        "HOUSE_LEAK",
        "TRAFFIC_CONGESTION",
        "ILLEGAL_PARKING",
        "PARKING_LOCK",
        "NOISE",
        "GARBAGE",
        "STREET_VENDOR",
        "SEWER_BLOCKAGE",
        "ROAD_DAMAGE",
        "GAS_SAFETY",
        "FIRE_HAZARD",
        "UNFINISHED_BUILDING",
        "POWER_OUTAGE",
        "WATER_OUTAGE",
        "PROPERTY_MANAGEMENT",
        "OTHER",
    ):
        assert code in leaves, code
        assert leaves[code]["departmentKinds"], code
    assert leaves["HOUSE_LEAK"]["name"] == "房屋漏雨"
    assert leaves["HOUSE_LEAK"]["departmentKinds"] == ["HOUSING_CONSTRUCTION"]
    assert leaves["UNFINISHED_BUILDING"]["parent"] == {"code": "CONSTRUCTION"}
