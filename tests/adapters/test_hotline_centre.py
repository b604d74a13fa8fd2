"""The 12345 centre's steps relayed by the hotline adapter: 签收, 退单 and its ruling, 延期 and
its review, through the hub's own steps, read back through the API as the API's steps read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from adapters.fields import parse_time
from adapters.testdata.hotline import FIELDS, HotlineExport, make_hotline_export
from hub.departments.models import DepartmentKind
from hub.departments.reference import KIND_NAMES
from tests.adapters.support import city, hub, runs, scalar
from tests.conftest import GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

ORDERS = 160
UM, HOUSING = "110107.URBAN_MANAGEMENT", "110107.HOUSING_CONSTRUCTION"
UM_NAME = f"石景山区{KIND_NAMES[DepartmentKind.URBAN_MANAGEMENT][1]}"
HOUSING_NAME = f"石景山区{KIND_NAMES[DepartmentKind.HOUSING_CONSTRUCTION][1]}"

ORDER = """
query($number: String!) {
  case(number: $number) {
    status resolveBy
    dispatches { department { code } role status }
    returns { department { code } reason note decision decidedBy { role }
              redispatchedTo { code } }
    extensions { until reason decision requestedBy { role department { code } } }
    events { type at actor { sub role department { code } } }
  }
}"""


async def _order(gql: GraphQLClient, server: HubServer, order_no: str) -> dict[str, Any]:
    number = await scalar(
        server.settings.database_url,
        'SELECT c.number FROM "case" c JOIN case_external_ref r ON r.case_id = c.id '
        "WHERE r.system = 'hotline-12345' AND r.external_id = :order",
        order=order_no,
    )
    data = await gql.execute(ORDER, {"number": number}, token=city(server))
    found: dict[str, Any] = data["case"]
    return found


def _types(case: dict[str, Any]) -> list[str]:
    return [event["type"] for event in case["events"]]


def _row(order_no: str, **fields: str) -> dict[str, str]:
    row = {name: "" for name in FIELDS}
    row.update(
        order_no=order_no,
        received_at="2026-11-16 09:00:00",
        channel="电话",
        category="城乡建设/违法建设",
        content="市民反映：楼顶私搭乱建",
        address="鲁谷街道某某小区3号楼",
        district="石景山区",
        street="鲁谷街道",
        caller_phone="13900001111",
        handler=UM_NAME,
    )
    row.update(fields)
    return row


@pytest.mark.parametrize("bulk", ["true", "false"])
async def test_returns_and_extensions_in_an_export_take_the_centres_steps(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path, bulk: str
) -> None:
    url = hub_server.settings.database_url
    # given an export where one unit returned an order, another the same, and one asked for time
    first = HotlineExport(
        rows=[
            _row(
                "RET-A",
                status="已退单",
                signed_at="2026-11-16 10:00:00",
                return_reason="属地不符，应由属地街道办理",
                returned_at="2026-11-16 11:00:00",
                updated_at="2026-11-16 11:00:00",
            ),
            _row(
                "RET-B",
                status="已退单",
                return_reason="职能交叉",
                return_note="需住建、城管联合处置",
                returned_at="2026-11-16 11:00:00",
                updated_at="2026-11-16 11:00:00",
            ),
            _row(
                "EXT-C",
                status="已响应",
                responded_at="2026-11-16 10:00:00",
                extension_until="2026-11-28 18:00:00",
                extension_reason="需协调产权单位",
                extension_requested_at="2026-11-16 12:00:00",
                extension_status="申请中",
                updated_at="2026-11-16 12:00:00",
            ),
        ]
    )
    sync = ("sync", "hotline-12345", "--set", f"bulk={bulk}", "--source")
    done = hub(*sync, str(first.write_jsonl(tmp_path / "first.jsonl")), url=url)
    assert done.returncode == 0, done.stderr + done.stdout
    # then each unit's return awaits the centre's ruling, with its standard reason
    a = await _order(gql, hub_server, "RET-A")
    assert _types(a) == ["REPORTED", "DISPATCHED", "SIGNED", "RETURNED"]
    returned = a["events"][-1]
    assert returned["actor"] == {
        "sub": "adapter:hotline-12345",
        "role": "DEPARTMENT",
        "department": {"code": UM},
    }
    assert dt.datetime.fromisoformat(returned["at"]) == parse_time("2026-11-16 11:00", "at")
    assert [(d["department"]["code"], d["status"]) for d in a["dispatches"]] == [(UM, "RETURNED")]
    assert [(r["reason"], r["note"], r["decision"]) for r in a["returns"]] == [
        ("NOT_OUR_AREA", "属地不符，应由属地街道办理", "PENDING")
    ]
    b = await _order(gql, hub_server, "RET-B")
    assert [(r["reason"], r["note"]) for r in b["returns"]] == [
        ("SHARED_DUTY", "需住建、城管联合处置")
    ]
    c = await _order(gql, hub_server, "EXT-C")
    assert _types(c) == ["REPORTED", "DISPATCHED", "RESPONDED", "EXTENSION_REQUESTED"]
    [asked] = c["extensions"]
    assert (asked["reason"], asked["decision"]) == ("需协调产权单位", "PENDING")
    assert asked["requestedBy"] == {"role": "DEPARTMENT", "department": {"code": UM}}
    # when a later export shows A sent on to housing, B still with its unit, C's time granted
    later = HotlineExport(
        rows=[
            _row(
                "RET-A",
                status="已派单",
                handler=HOUSING_NAME,
                updated_at="2026-11-16 14:00:00",
            ),
            _row(
                "RET-B",
                status="已响应",
                responded_at="2026-11-16 15:00:00",
                updated_at="2026-11-16 15:00:00",
            ),
            _row(
                "EXT-C",
                status="已响应",
                responded_at="2026-11-16 10:00:00",
                extension_until="2026-11-28 18:00:00",
                extension_reason="需协调产权单位",
                extension_requested_at="2026-11-16 12:00:00",
                extension_status="已批准",
                extension_decided_at="2026-11-16 13:00:00",
                updated_at="2026-11-16 13:00:00",
            ),
        ]
    )
    done = hub(*sync, str(later.write_jsonl(tmp_path / "later.jsonl")), url=url)
    assert done.returncode == 0, done.stderr + done.stdout
    # then A's return was accepted and the order re-dispatched to housing at once (转派)
    a = await _order(gql, hub_server, "RET-A")
    assert _types(a)[4:] == ["RETURN_APPROVED", "DISPATCHED"]
    assert {d["department"]["code"]: (d["role"], d["status"]) for d in a["dispatches"]} == {
        UM: ("LEAD", "WITHDRAWN"),
        HOUSING: ("LEAD", "DISPATCHED"),
    }
    [ruling] = a["returns"]
    assert (ruling["decision"], ruling["redispatchedTo"]) == ("APPROVED", [{"code": HOUSING}])
    assert ruling["decidedBy"] == {"role": "HOTLINE"}
    # B's was ruled down (审定): the unit keeps it and answers
    b = await _order(gql, hub_server, "RET-B")
    assert _types(b)[3:] == ["RETURN_REJECTED", "RESPONDED"]
    assert b["returns"][0]["decision"] == "REJECTED"
    # C's new deadline is what the hub judges it by
    c = await _order(gql, hub_server, "EXT-C")
    assert _types(c)[-1] == "EXTENSION_APPROVED"
    assert c["extensions"][0]["decision"] == "APPROVED"
    until = parse_time("2026-11-28 18:00:00", "until")
    assert until is not None
    assert dt.datetime.fromisoformat(c["resolveBy"]) == until
    # and syncing the later export again changes nothing
    again = hub(*sync, str(later.write_jsonl(tmp_path / "again.jsonl")), url=url)
    assert again.returncode == 0, again.stderr
    assert _types(await _order(gql, hub_server, "RET-A")) == _types(a)


async def test_the_sample_exports_returns_and_extensions_and_their_bad_values(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    export = make_hotline_export(ORDERS, seed=2026)
    assert export.returned
    assert export.extended
    path = export.write_csv(tmp_path / "orders.csv", encoding="gb18030")
    # when the messy export is synced
    done = hub("sync", "hotline-12345", "--source", str(path), "--set", "batch_size=50", url=url)
    assert done.returncode == 0, done.stderr + done.stdout
    # and the batch holding an order the lifecycle refuses still went in together, that order
    # alone taken out of it (a fall-back to one by one is on the log)
    assert "record by record" not in done.stderr + done.stdout
    # then each returned order waits with its unit's return and the reason the hotline gave
    for order, reason in export.returned.items():
        found = await _order(gql, hub_server, order)
        assert found["status"] == "DISPATCHED"
        assert [(r["reason"], r["decision"]) for r in found["returns"]] == [(reason, "PENDING")]
        assert "RETURNED" in _types(found)
    # and each extension asked for was decided as the hotline says, by the hotline
    for order, decision in export.extended.items():
        found = await _order(gql, hub_server, order)
        assert [e["decision"] for e in found["extensions"]] == [decision]
        reviewed = {"APPROVED": "EXTENSION_APPROVED", "REJECTED": "EXTENSION_REFUSED"}
        expected = ["EXTENSION_REQUESTED"] + ([reviewed[decision]] if decision in reviewed else [])
        assert [t for t in _types(found) if t.startswith("EXTENSION")] == expected
    # and the bad values wait in the quarantine, each with its code
    [run] = await runs(gql, hub_server, "hotline-12345")
    assert run["rejected"] == export.bad
    reasons = {q["sourceId"]: q["reason"] for q in run["quarantined"]["nodes"]}
    assert reasons["BAD-RETURN"].startswith("REASON_REQUIRED: ")
    assert reasons["BAD-EXTENSION"].startswith("REJECTED: extension_until is not a time")
    assert reasons["BAD-EXTENSION-STATUS"].startswith("REJECTED: extension_status is not one")
    assert reasons["BAD-EXTENSION-LONG"].startswith("INVALID_EXTENSION: ")
    assert not any("INTERNAL" in reason for reason in reasons.values())


async def test_an_order_back_at_intake_after_its_return_was_accepted_waits_for_a_unit(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    sync = ("sync", "hotline-12345", "--source")
    returned = _row(
        "RET-D",
        status="已退单",
        return_reason="职能不符",
        returned_at="2026-11-16 11:00:00",
        updated_at="2026-11-16 11:00:00",
    )
    done = hub(
        *sync, str(HotlineExport(rows=[returned]).write_jsonl(tmp_path / "1.jsonl")), url=url
    )
    assert done.returncode == 0, done.stderr + done.stdout
    # when the centre accepts the return and the order waits for a unit again (待派单, no handler)
    back = _row("RET-D", status="待派单", handler="", updated_at="2026-11-16 13:00:00")
    done = hub(*sync, str(HotlineExport(rows=[back]).write_jsonl(tmp_path / "2.jsonl")), url=url)
    assert done.returncode == 0, done.stderr + done.stdout
    # then the hub holds it as received, the unit's dispatch withdrawn, the return accepted
    d = await _order(gql, hub_server, "RET-D")
    assert d["status"] == "RECEIVED"
    assert _types(d)[-1] == "RETURN_APPROVED"
    assert [(x["department"]["code"], x["status"]) for x in d["dispatches"]] == [(UM, "WITHDRAWN")]
    assert [(r["decision"], r["redispatchedTo"]) for r in d["returns"]] == [("APPROVED", [])]
    assert await scalar(url, "SELECT count(*) FROM adapter_quarantine") == 0
    # and when it is sent on to housing, it is dispatched there
    sent = _row("RET-D", status="已派单", handler=HOUSING_NAME, updated_at="2026-11-16 15:00:00")
    done = hub(*sync, str(HotlineExport(rows=[sent]).write_jsonl(tmp_path / "3.jsonl")), url=url)
    assert done.returncode == 0, done.stderr + done.stdout
    d = await _order(gql, hub_server, "RET-D")
    assert d["status"] == "DISPATCHED"
    assert {x["department"]["code"]: x["status"] for x in d["dispatches"]} == {
        UM: "WITHDRAWN",
        HOUSING: "DISPATCHED",
    }


async def test_an_order_back_at_intake_while_a_unit_still_holds_it_is_quarantined(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path
) -> None:
    url = hub_server.settings.database_url
    sync = ("sync", "hotline-12345", "--source")
    sent = _row("RET-E", status="已派单", updated_at="2026-11-16 11:00:00")
    done = hub(*sync, str(HotlineExport(rows=[sent]).write_jsonl(tmp_path / "1.jsonl")), url=url)
    assert done.returncode == 0, done.stderr + done.stdout
    # a newer version back at 待派单 while the unit has not returned it contradicts the hub
    back = _row("RET-E", status="待派单", handler="", updated_at="2026-11-16 13:00:00")
    hub(*sync, str(HotlineExport(rows=[back]).write_jsonl(tmp_path / "2.jsonl")), url=url)
    e = await _order(gql, hub_server, "RET-E")
    assert e["status"] == "DISPATCHED"
    reason = await scalar(url, "SELECT reason FROM adapter_quarantine")
    assert "says RECEIVED but the hub has the case DISPATCHED" in reason


CLOSED_AT = "2026-11-16 16:00:00"


@pytest.mark.parametrize("bulk", ["true", "false"])
async def test_a_centre_step_the_cases_state_cannot_take_is_quarantined_with_its_code(
    gql: GraphQLClient, hub_server: HubServer, tmp_path: Path, bulk: str
) -> None:
    url = hub_server.settings.database_url
    sync = ("sync", "hotline-12345", "--set", f"bulk={bulk}", "--source")
    # given orders the hub has closed (回访: solved) and one it has resolved
    closed = {"status": "已回访", "visit_resolved": "是", "resolved_at": "2026-11-16 12:00:00"}
    first = HotlineExport(
        rows=[
            _row(order, **closed, updated_at=CLOSED_AT)
            for order in ("SHUT-SIGN", "SHUT-RETURN", "SHUT-EXTEND")
        ]
        + [
            _row(
                "DONE-EXTEND",
                status="已办结",
                resolved_at="2026-11-16 12:00:00",
                updated_at="2026-11-16 12:00:00",
            )
        ]
    )
    done = hub(*sync, str(first.write_jsonl(tmp_path / "first.jsonl")), url=url)
    assert done.returncode == 0, done.stderr + done.stdout
    assert (await _order(gql, hub_server, "SHUT-SIGN"))["status"] == "CLOSED"
    # when a newer export relays a 签收, a 退单 and 延期s those cases can no longer take
    extension = {
        "extension_until": "2026-11-28 18:00:00",
        "extension_reason": "需协调产权单位",
        "extension_requested_at": "2026-11-16 17:00:00",
        "extension_status": "申请中",
    }
    later = "2026-11-16 18:00:00"
    relayed = HotlineExport(
        rows=[
            _row("SHUT-SIGN", status="已签收", signed_at=later, updated_at=later),
            _row(
                "SHUT-RETURN",
                status="已退单",
                return_reason="职能不符",
                returned_at=later,
                updated_at=later,
            ),
            _row("SHUT-EXTEND", **closed, **extension, updated_at=later),
            _row(
                "DONE-EXTEND",
                status="已办结",
                resolved_at="2026-11-16 12:00:00",
                **extension,
                updated_at=later,
            ),
        ]
    )
    hub(*sync, str(relayed.write_jsonl(tmp_path / "relayed.jsonl")), url=url)
    # then each is quarantined with a code, none skipped and none an internal error
    [run, _] = await runs(gql, hub_server, "hotline-12345")
    assert run["rejected"] == 4, run
    reasons = {q["sourceId"]: q["reason"] for q in run["quarantined"]["nodes"]}
    assert reasons["SHUT-SIGN"].startswith("STATUS_REGRESSION: ")
    assert reasons["SHUT-RETURN"].startswith("STATUS_REGRESSION: ")
    assert reasons["SHUT-EXTEND"].startswith("ILLEGAL_TRANSITION: ")
    assert "CLOSED" in reasons["SHUT-EXTEND"]
    assert reasons["DONE-EXTEND"].startswith("ILLEGAL_TRANSITION: ")
    assert "RESOLVED" in reasons["DONE-EXTEND"]
    # and the cases are as they were, with no event written for the refused steps
    for order in ("SHUT-SIGN", "SHUT-RETURN", "SHUT-EXTEND"):
        case = await _order(gql, hub_server, order)
        assert case["status"] == "CLOSED"
        assert _types(case)[-1] == "CLOSED"
        assert case["extensions"] == []
        assert case["returns"] == []
    done_extend = await _order(gql, hub_server, "DONE-EXTEND")
    assert done_extend["status"] == "RESOLVED"
    assert done_extend["extensions"] == []
