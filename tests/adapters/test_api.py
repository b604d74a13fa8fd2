"""Adapter runs through the API: who may see them, paging, and runs as Relay nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.testdata.hotline import make_hotline_export
from hub.auth.actors import Role
from tests.adapters.support import hub
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

RUNS = """
query($after: String) {
  adapterRuns(adapter: "hotline-12345", first: 1, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id adapter status read rejected
            quarantined(first: 3) { totalCount pageInfo { hasNextPage } nodes { sourceId } } }
  }
}"""

NODE = "query($id: ID!) { node(id: $id) { ... on AdapterRun { adapter read } } }"


@pytest.fixture
def two_runs(clean: None, hub_server: HubServer, tmp_path: Path) -> None:
    """Two syncs of one export, after ``clean`` has emptied the tables (else it empties them)."""
    path = make_hotline_export(20, seed=11).write_jsonl(tmp_path / "orders.jsonl")
    url = hub_server.settings.database_url
    for extra in ((), ("--restart",)):
        result = hub("sync", "hotline-12345", "--source", str(path), *extra, url=url)
        assert result.returncode == 0, result.stderr


@pytest.mark.usefixtures("two_runs")
async def test_platforms_page_through_runs_and_their_quarantine_and_no_one_else(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    for role, jurisdiction in ((Role.CITY_PLATFORM, "110000"), (Role.DISTRICT_PLATFORM, "110102")):
        run_id = await _pages(gql, hub_server.token(role, jurisdiction=jurisdiction))
    for refused in (None, Role.STREET_OFFICE, Role.DEPARTMENT, Role.HOTLINE, Role.OBSERVER):
        token = hub_server.token(refused, jurisdiction="110102020") if refused else None
        body = (await gql.post(RUNS, token=token)).json()
        assert body["data"] is None, refused
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        hidden = await gql.execute(NODE, {"id": run_id}, token=token)
        assert hidden["node"] is None, refused


async def _pages(gql: GraphQLClient, token: str) -> str:
    """Page through the two runs and their quarantine; the older run's id."""
    first = (await gql.execute(RUNS, token=token))["adapterRuns"]
    assert first["totalCount"] == 2
    assert first["pageInfo"]["hasNextPage"] is True
    [newest] = first["nodes"]
    assert newest["quarantined"]["totalCount"] == newest["rejected"] > 3
    assert newest["quarantined"]["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    second = (await gql.execute(RUNS, {"after": after}, token=token))["adapterRuns"]
    [older] = second["nodes"]
    assert older["id"] != newest["id"]
    assert second["pageInfo"]["hasNextPage"] is False
    node = await gql.execute(NODE, {"id": older["id"]}, token=token)
    assert node["node"] == {"adapter": "hotline-12345", "read": older["read"]}
    return str(older["id"])
