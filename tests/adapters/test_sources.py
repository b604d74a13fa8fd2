"""Open311, grid GIS, department roster and digital urban management, each end to end."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.testdata.others import (
    make_grid_collection,
    make_urban_export,
    open311_requests,
    write_department_files,
)
from tests.adapters.conftest import COMMUNITY
from tests.adapters.open311_server import LIMIT, MAX_SPAN, Open311Data, open311_app
from tests.adapters.support import cases_by_status, counts, hub, runs, scalar
from tests.conftest import GraphQLClient, HubServer
from tests.support.server import serve_in_thread


@pytest.fixture
def open311_data() -> Open311Data:
    now = dt.datetime.now(dt.UTC)
    return Open311Data(open311_requests(2_300, now=now))


@pytest.fixture
def open311(open311_data: Open311Data) -> Iterator[str]:
    with serve_in_thread(open311_app(open311_data)) as url:
        yield f"{url}/open311/v2"


@pytest.mark.usefixtures("clean")
async def test_open311_reads_in_windows_within_the_spec_and_then_only_changes(
    gql: GraphQLClient, hub_server: HubServer, open311: str, open311_data: Open311Data
) -> None:
    url = hub_server.settings.database_url
    args = ("sync", "open311", "--source", open311, "--set", "initial_days=240")
    # when a first sync reads 240 days of requests
    first = hub(*args, url=url)
    assert first.returncode == 0, first.stderr + first.stdout
    # then it asked within the spec's limits, split full answers, and took every request in
    assert all(end - start <= MAX_SPAN for start, end, _ in open311_data.calls)
    assert any(found > LIMIT for _, _, found in open311_data.calls), "no window was ever full"
    [run] = await runs(gql, hub_server, "open311")
    good = len(open311_data.requests) - 3
    assert (run["created"], run["rejected"]) == (good, 3)
    assert run["read"] == run["created"] + run["unchanged"] + run["rejected"]
    assert any("井盖丢失" in note for note in run["notes"])  # a service with no hub category
    statuses = Counter(r["status"] for r in open311_data.requests[3:])
    found = await cases_by_status(gql, hub_server, "OPEN311")
    assert found == {"RECEIVED": statuses["open"], "RESOLVED": statuses["closed"]}
    # given ten requests closed since, and five new ones
    now = dt.datetime.now(dt.UTC)
    changed = [r for r in open311_data.requests[3:] if r["status"] == "open"][:10]
    for request in changed:
        request.update(status="closed", updated_datetime=now.isoformat(), status_notes="已修复")
    fresh = open311_requests(5, now=now + dt.timedelta(days=1), seed=99)
    for number, request in enumerate(fresh):
        request.update(
            service_request_id=f"SR-NEW-{number}", updated_datetime=now.isoformat(), status="open"
        )
        request["lat"], request["long"] = 39.9087, 116.3975
    open311_data.requests.extend(fresh)
    # when synced again, then only what changed since the cursor is read
    second = hub(*args, url=url)
    assert second.returncode == 0, second.stderr
    latest = (await runs(gql, hub_server, "open311"))[0]
    assert counts(latest) == (15, 5, 10, 0, 0)
    found = await cases_by_status(gql, hub_server, "OPEN311")
    assert found["RESOLVED"] == statuses["closed"] + 10


@pytest.mark.usefixtures("reference_rows")
async def test_grids_in_gcj02_are_converted_repaired_or_refused(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    path = tmp_path / "grids.geojson"
    collection = make_grid_collection(COMMUNITY)
    path.write_text(json.dumps(collection, ensure_ascii=False))
    result = hub("sync", "grids-geojson", "--source", str(path), url=url)
    assert result.returncode == 0, result.stderr
    [run] = await runs(gql, hub_server, "grids-geojson")
    assert counts(run) == (9, 5, 0, 0, 4)
    reasons = {q["sourceId"]: q["reason"] for q in run["quarantined"]["nodes"]}
    assert "cannot be repaired safely" in reasons[f"{COMMUNITY}906"]
    assert "no community" in reasons[f"{COMMUNITY[:9]}999906"]
    assert "15 digits" in reasons["12345"]
    assert "Polygon or MultiPolygon" in reasons[f"{COMMUNITY}907"]
    assert any(note.startswith(f"grid {COMMUNITY}905: repaired") for note in run["notes"])
    data = await gql.execute(
        "query($c: String!) { grid(code: $c) { "
        "name boundarySynthetic boundary community { code } } }",
        {"c": f"{COMMUNITY}901"},
    )
    grid = data["grid"]
    assert (grid["name"], grid["boundarySynthetic"]) == ("试点网格1", False)
    assert grid["community"]["code"] == COMMUNITY
    # GCJ-02 came in, WGS84 is stored: the first corner is the one the generator drew
    corner = grid["boundary"]["coordinates"][0][0]
    assert corner == [pytest.approx(116.3340, abs=1e-6), pytest.approx(39.8850, abs=1e-6)]
    # read again from the start: nothing changes; a renamed grid is updated
    collection["features"][0]["properties"]["name"] = "试点网格一"
    path.write_text(json.dumps(collection, ensure_ascii=False))
    assert hub("sync", "grids-geojson", "--source", str(path), url=url).returncode == 0
    latest = (await runs(gql, hub_server, "grids-geojson"))[0]
    assert counts(latest) == (9, 0, 1, 4, 4)


@pytest.mark.usefixtures("reference_rows")
async def test_a_roster_in_gb18030_adds_departments_and_responsibilities(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    folder = write_department_files(tmp_path / "roster")
    result = hub("sync", "departments-csv", "--source", str(folder), url=url)
    assert result.returncode == 0, result.stderr
    [run] = await runs(gql, hub_server, "departments-csv")
    assert counts(run) == (9, 5, 0, 0, 4)
    reasons = " | ".join(q["reason"] for q in run["quarantined"]["nodes"])
    for expected in ("MAYOR_OFFICE", "no jurisdiction '110199'", "does not fit", "NO_SUCH"):
        assert expected in reasons
    data = await gql.execute(
        """{ department(code: "110102020.PILOT_PROPERTY") { name kind level isFallback
               jurisdiction { code } }
             departments(jurisdictionCode: "110102020", categoryCode: "TREE_CARE", first: 5) {
               nodes { code } } }"""
    )
    assert data["department"] == {
        "name": "广安门外街道物业管理办",
        "kind": "HOUSING_CONSTRUCTION",
        "level": "SUBDISTRICT",
        "isFallback": False,
        "jurisdiction": {"code": "110102020"},
    }
    codes = {node["code"] for node in data["departments"]["nodes"]}
    assert "110102020.URBAN_MANAGEMENT" in codes  # answers for TREE_CARE now, from the list
    # the same files again from the start change nothing; a renamed department is updated
    write_department_files(folder, name_suffix="（新）")
    assert hub("sync", "departments-csv", "--source", str(folder), url=url).returncode == 0
    latest = (await runs(gql, hub_server, "departments-csv"))[0]
    assert counts(latest) == (9, 0, 2, 3, 4)


@pytest.mark.usefixtures("clean")
async def test_urban_management_reports_become_patrol_cases_once(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    export = make_urban_export(60)
    path = export.write(tmp_path / "events.jsonl")
    result = hub("sync", "urban-management", "--source", str(path), url=url)
    assert result.returncode == 0, result.stderr
    [run] = await runs(gql, hub_server, "urban-management")
    read, created, _, _, rejected = counts(run)
    assert (read, created, rejected) == (len(export.rows), len(export.events), export.bad)
    assert await cases_by_status(gql, hub_server, "GRID_PATROL") == Counter(export.events.values())
    reasons = {q["sourceId"]: q["reason"] for q in run["quarantined"]["nodes"]}
    assert "outside Beijing" in reasons["UM-BAD-PLACE"]
    assert "component_code must be 16 digits" in reasons["UM-BAD-COMPONENT"]
    categories = await scalar(
        url, "SELECT count(DISTINCT category_code) FROM \"case\" WHERE source = 'GRID_PATROL'"
    )
    assert categories >= 4
    again = hub("sync", "urban-management", "--source", str(path), "--restart", url=url)
    assert again.returncode == 0
    latest = (await runs(gql, hub_server, "urban-management"))[0]
    assert counts(latest) == (len(export.rows), 0, 0, len(export.rows) - export.bad, export.bad)


@pytest.mark.usefixtures("clean")
async def test_a_field_too_long_for_its_column_is_quarantined_with_a_code(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path
) -> None:
    """The bulk path writes no ORM rows: it checks the declared lengths itself, the same on
    SQLite (which would store anything) and PostgreSQL."""
    url = hub_server.settings.database_url
    export = make_urban_export(3)
    good = [row for row in export.rows if not row["event_id"].startswith("UM-BAD")]
    long = dict(good[0], event_id="UM-LONG", reported_by="监督员" * 7_000)
    path = tmp_path / "events.jsonl"
    path.write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in [*good, long]), "utf-8"
    )
    result = hub("sync", "urban-management", "--source", str(path), url=url)
    assert result.returncode == 0, result.stderr
    [run] = await runs(gql, hub_server, "urban-management")
    assert run["rejected"] == 1
    assert run["created"] == len({row["event_id"] for row in good})
    [quarantined] = run["quarantined"]["nodes"]
    assert quarantined["sourceId"] == "UM-LONG"
    code, _, message = quarantined["reason"].partition(": ")
    assert code in ("TOO_LONG", "INVALID_INPUT")
    assert "description" in message
    stored = await scalar(
        url, "SELECT count(*) FROM case_external_ref WHERE external_id = 'UM-LONG'"
    )
    assert stored == 0
