"""The 12345 hotline adapter end to end: a messy export through `hub sync`, read back by API."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from adapters.fields import parse_time
from adapters.testdata.hotline import HotlineExport, make_hotline_export
from tests.adapters.support import cases_by_status, city, counts, hub, runs, scalar
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

ORDERS = 160

CASE = """
query($number: String!) {
  case(number: $number) {
    status location { lat lng } subdistrict { code } reporterContact category { code }
    dispatches { department { code isFallback } note status }
    feedback { resolved satisfied } reopenCount
    events { type actor { sub role } }
    externalRefs { system id }
  }
}"""

CASE_BY_ORDER = """
query($text: String!) { cases(filter: {text: $text}, first: 1) { nodes { number } } }"""


@pytest.fixture(scope="module")
def export() -> HotlineExport:
    return make_hotline_export(ORDERS, seed=2026)


def _final(export: HotlineExport) -> Counter[str]:
    return Counter(export.final_status.values())


async def _case_of_order(url: str, order_no: str) -> str:
    number: str = await scalar(
        url,
        'SELECT c.number FROM "case" c JOIN case_external_ref r ON r.case_id = c.id '
        "WHERE r.system = 'hotline-12345' AND r.external_id = :order",
        order=order_no,
    )
    return number


@pytest.mark.parametrize("form", ["jsonl-utf8", "csv-gb18030"])
async def test_a_messy_export_goes_in_once_and_only_once(
    gql: GraphQLClient, hub_server: HubServer, export: HotlineExport, tmp_path: Path, form: str
) -> None:
    url = hub_server.settings.database_url
    if form == "jsonl-utf8":
        path = export.write_jsonl(tmp_path / "orders.jsonl")
    else:
        path = export.write_csv(tmp_path / "orders.csv", encoding="gb18030")
    # when the export is synced
    first = hub("sync", "hotline-12345", "--source", str(path), "--set", "batch_size=50", url=url)
    assert first.returncode == 0, first.stderr + first.stdout
    # then every good order is a case at the status the hotline gives, and the bad rows wait
    [run] = await runs(gql, hub_server, "hotline-12345")
    assert run["status"] == "SUCCEEDED"
    read, created, updated, unchanged, rejected = counts(run)
    assert (read, created, rejected) == (export.records, export.orders, export.bad)
    assert updated + unchanged == export.records - export.orders - export.bad
    assert run["quarantined"]["totalCount"] == export.bad
    assert await cases_by_status(gql, hub_server, "HOTLINE_12345") == _final(export)
    reasons = {q["sourceId"]: q["reason"] for q in run["quarantined"]["nodes"]}
    assert "received_at is not a time" in reasons["BAD-DATE"]
    assert "已回访 without visit_resolved" in reasons["BAD-VISIT"]
    assert "no usable coordinates" in reasons["BAD-PLACE"]
    anonymous = [q["reason"] for q in run["quarantined"]["nodes"] if q["sourceId"] is None]
    assert any("not JSON" in r or "fields, the header" in r for r in anonymous), anonymous
    assert any("order_no is missing" in r for r in anonymous), anonymous
    assert {q["raw"].get("order_no") for q in run["quarantined"]["nodes"]} >= {"BAD-STATUS"}
    assert any("→ OTHER" in note for note in run["notes"])
    # when the same export is synced again, the cursor says it is all in: nothing is read
    again = hub("sync", "hotline-12345", "--source", str(path), url=url)
    assert again.returncode == 0, again.stderr
    # and when it is read from the start regardless, nothing changes either
    restart = hub("sync", "hotline-12345", "--source", str(path), "--restart", url=url)
    assert restart.returncode == 0, restart.stderr
    latest, second, _ = await runs(gql, hub_server, "hotline-12345")
    assert counts(second) == (0, 0, 0, 0, 0)
    good = export.records - export.bad
    assert counts(latest) == (export.records, 0, 0, good, export.bad)
    assert await cases_by_status(gql, hub_server, "HOTLINE_12345") == _final(export)


async def test_orders_are_placed_routed_and_moved_like_api_cases(
    gql: GraphQLClient, hub_server: HubServer, export: HotlineExport, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    path = export.write_jsonl(tmp_path / "orders.jsonl")
    assert hub("sync", "hotline-12345", "--source", str(path), url=url).returncode == 0
    token = city(hub_server)

    async def case(order_no: str) -> dict[str, object]:
        number = await _case_of_order(url, order_no)
        data = await gql.execute(CASE, {"number": number}, token=token)
        found: dict[str, object] = data["case"]
        return found

    # a swapped point is put back and converted from GCJ-02: the case sits on the true spot
    swapped = await case(export.swapped[0])
    lng, lat = export.points[export.swapped[0]]
    assert swapped["location"] == {
        "lat": pytest.approx(lat, abs=1e-6),
        "lng": pytest.approx(lng, abs=1e-6),
    }
    # zero coordinates: placed by the street the order names
    zero = await case(export.zero[0])
    assert zero["location"] is None
    assert zero["subdistrict"] == {"code": export.by_address[export.zero[0]]}
    # two units named with 、 are a dual dispatch; an unknown unit goes to the fallback
    dual = next(o for o in export.dual if export.final_status[o] != "RECEIVED")
    assert len((await case(dual))["dispatches"]) == 2  # type: ignore[arg-type]
    unknown = next(o for o in export.unknown_handler if export.final_status[o] != "RECEIVED")
    [dispatch] = (await case(unknown))["dispatches"]  # type: ignore[misc]
    assert dispatch["department"]["isFallback"] is True
    assert "某某物业服务有限公司" in dispatch["note"]
    # a return call saying "not solved" reopens the case, as the API's recordFeedback does
    reopened = next(
        o for o, s in export.final_status.items() if s == "DISPATCHED" and o in _visited(export)
    )
    found = await case(reopened)
    assert found["reopenCount"] == 1
    assert found["feedback"]["resolved"] is False  # type: ignore[index]
    types = [e["type"] for e in found["events"]]  # type: ignore[attr-defined]
    assert types[0] == "REPORTED"
    assert types[-2:] == ["FEEDBACK_RECORDED", "REOPENED"]
    actor = found["events"][0]["actor"]  # type: ignore[index]
    assert actor == {"sub": "adapter:hotline-12345", "role": "HOTLINE"}
    assert found["externalRefs"] == [{"system": "hotline-12345", "id": reopened}]
    assert str(found["reporterContact"]).startswith("13")


def _visited(export: HotlineExport) -> set[str]:
    return {row["order_no"] for row in export.rows if row["status"] == "已回访"}


async def test_an_older_version_never_overwrites_a_newer_one(
    gql: GraphQLClient, hub_server: HubServer, export: HotlineExport, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    path = export.write_jsonl(tmp_path / "orders.jsonl")
    assert hub("sync", "hotline-12345", "--source", str(path), url=url).returncode == 0
    before = await cases_by_status(gql, hub_server, "HOTLINE_12345")
    # given a later export holding only stale versions (older update times, earlier statuses)
    advanced = [
        r
        for r in export.rows
        if r["status"] in ("已办结", "已回访") and r["order_no"] in export.final_status
    ][:30]
    stale = [dict(r, status="已派单", updated_at="2026-01-01 08:00:00") for r in advanced]
    older = HotlineExport(rows=stale)
    older_path = older.write_jsonl(tmp_path / "older.jsonl")
    # when it is synced, then every row is read and none changes anything
    result = hub("sync", "hotline-12345", "--source", str(older_path), url=url)
    assert result.returncode == 0, result.stderr
    latest = (await runs(gql, hub_server, "hotline-12345"))[0]
    assert counts(latest) == (len(stale), 0, 0, len(stale), 0)
    assert await cases_by_status(gql, hub_server, "HOTLINE_12345") == before


async def test_a_run_killed_half_way_ends_exact_when_repeated(
    gql: GraphQLClient, hub_server: HubServer, export: HotlineExport, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    path = export.write_csv(tmp_path / "orders.csv")
    args = ("sync", "hotline-12345", "--source", str(path), "--set", "batch_size=40")
    # when the process dies abruptly after two committed batches
    killed = hub(*args, url=url, env={"HUB_SYNC_CRASH_AFTER": "2"})
    assert killed.returncode == 1
    halfway = await scalar(url, "SELECT count(*) FROM case_external_ref")
    assert 0 < halfway < export.orders
    # and the same sync is run again
    again = hub(*args, url=url)
    assert again.returncode == 0, again.stderr
    # then the hub holds exactly the export: no order lost, none twice, no bad row twice
    assert await scalar(url, "SELECT count(*) FROM case_external_ref") == export.orders
    assert await scalar(url, 'SELECT count(*) FROM "case"') == export.orders
    open_entries = "SELECT count(*) FROM adapter_quarantine WHERE resolved_at IS NULL"
    assert await scalar(url, open_entries) == export.bad
    assert await cases_by_status(gql, hub_server, "HOTLINE_12345") == _final(export)
    finished, dead = await runs(gql, hub_server, "hotline-12345")
    assert (dead["status"], finished["status"]) == ("ABANDONED", "SUCCEEDED")
    assert dead["read"] == 80  # two batches of 40 were in when it died
    assert finished["read"] == export.records - 80


async def test_quarantined_orders_go_in_once_the_cause_is_fixed(
    gql: GraphQLClient, hub_server: HubServer, export: HotlineExport, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    path = export.write_jsonl(tmp_path / "orders.jsonl")
    # given orders for units the roster does not know are quarantined, by policy
    strict = ("--set", "unknown_handler=quarantine")
    assert hub("sync", "hotline-12345", "--source", str(path), *strict, url=url).returncode == 0
    [run] = await runs(gql, hub_server, "hotline-12345")
    unknown = {o for o in export.unknown_handler if export.final_status[o] != "RECEIVED"}
    refused = {q["sourceId"] for q in run["quarantined"]["nodes"]} - {None}
    assert unknown <= refused
    listed = hub("quarantine", "--adapter", "hotline-12345", url=url)
    assert listed.returncode == 0
    assert "handler not in the roster" in listed.stdout
    # when the cause is fixed (the policy changed) and the quarantine retried
    retried = hub("quarantine", "--adapter", "hotline-12345", "--retry", url=url)
    assert retried.returncode == 0, retried.stderr
    # then those orders are in, and only the truly bad rows are still waiting
    retry_run = (await runs(gql, hub_server, "hotline-12345"))[0]
    assert retry_run["source"] == "quarantine"
    taken = retry_run["created"] + retry_run["updated"]
    assert taken == len({o for o in refused if o in export.final_status})
    open_entries = "SELECT count(*) FROM adapter_quarantine WHERE resolved_at IS NULL"
    assert await scalar(url, open_entries) == export.bad
    assert await scalar(url, "SELECT count(*) FROM case_external_ref") == export.orders


async def test_a_source_that_cannot_be_read_fails_the_run_with_the_reason(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path
) -> None:
    missing = tmp_path / "not-delivered.jsonl"
    result = hub(
        "sync", "hotline-12345", "--source", str(missing), url=hub_server.settings.database_url
    )
    assert result.returncode == 1
    [run] = await runs(gql, hub_server, "hotline-12345")
    assert run["status"] == "FAILED"
    assert run["error"] == f"no such file: {missing}"
    assert run["finishedAt"] is not None


SIGNED = """
query($number: String!) {
  case(number: $number) {
    dispatches { department { code } role signedAt }
    events { type at actor { sub role department { code } } }
  }
}"""


async def test_an_order_signed_for_carries_the_units_sign_step(
    gql: GraphQLClient, hub_server: HubServer, export: HotlineExport, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    path = export.write_csv(tmp_path / "orders.csv", encoding="gb18030")
    # given orders the export says were signed for (签收) by their lead unit, and some not
    signed = [o for o in export.signed if export.final_status[o] in ("DISPATCHED", "CLOSED")]
    unsigned = next(
        o for o, s in export.final_status.items() if s == "DISPATCHED" and o not in export.signed
    )
    # when the export is synced
    assert hub("sync", "hotline-12345", "--source", str(path), url=url).returncode == 0
    token = city(hub_server)
    for order in [*signed[:3], unsigned]:
        data = await gql.execute(SIGNED, {"number": await _case_of_order(url, order)}, token=token)
        lead = next(d for d in data["case"]["dispatches"] if d["role"] == "LEAD")
        steps = [e for e in data["case"]["events"] if e["type"] == "SIGNED"]
        if order == unsigned:
            # then an order sent without a sign time has no sign step of its own
            assert (lead["signedAt"], steps) == (None, [])
            continue
        # then the lead unit signed, at the time the hotline gives, as the unit itself
        [step] = steps
        assert step["actor"] == {
            "sub": "adapter:hotline-12345",
            "role": "DEPARTMENT",
            "department": {"code": lead["department"]["code"]},
        }
        sent = parse_time(export.signed[order], "signed_at")
        assert sent is not None
        assert dt.datetime.fromisoformat(step["at"]) == sent
        assert lead["signedAt"] == step["at"]
        types = [e["type"] for e in data["case"]["events"]]
        assert types.index("DISPATCHED") < types.index("SIGNED")
