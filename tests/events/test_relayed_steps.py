"""caseEvents carries the centre's steps a department system relays (the hotline's 退单 and its
ruling) exactly as it carries the API's: the same types, in order, by the same kinds of actor."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.testdata.hotline import HotlineExport
from hub.auth.actors import Role
from tests.adapters.support import hub
from tests.adapters.test_hotline_centre import HOUSING_NAME, _row
from tests.events.client import connect
from tests.events.conftest import LiveHub, top_event_id

pytestmark = pytest.mark.usefixtures("clean")

CASE_EVENTS = """
subscription($after: ID, $jurisdiction: String) {
  caseEvents(after: $after, jurisdictionCode: $jurisdiction) {
    type note actor { sub role department { code } } case { externalRefs { id } }
  }
}"""


async def test_an_exports_return_and_its_ruling_reach_subscribers(
    live: LiveHub, tmp_path: Path
) -> None:
    url = live.settings.database_url
    after = await top_event_id(live.settings, "case_event")
    district = live.token(Role.DISTRICT_PLATFORM, jurisdiction="110107", sub="platform-110107")
    returned = HotlineExport(
        rows=[
            _row(
                "RET-LIVE",
                status="已退单",
                return_reason="职能不符",
                returned_at="2026-11-16 11:00:00",
                updated_at="2026-11-16 11:00:00",
            )
        ]
    )
    sent_on = HotlineExport(
        rows=[
            _row(
                "RET-LIVE",
                status="已派单",
                handler=HOUSING_NAME,
                updated_at="2026-11-16 14:00:00",
            )
        ]
    )
    async with connect(live.url, district) as socket:
        watching = await socket.subscribe(CASE_EVENTS, after=str(after), jurisdiction="110107")
        # when the hotline's export shows the unit's return, then the order sent on to housing
        for name, export in (("returned", returned), ("sent_on", sent_on)):
            path = export.write_jsonl(tmp_path / f"{name}.jsonl")
            done = hub("sync", "hotline-12345", "--source", str(path), url=url)
            assert done.returncode == 0, done.stderr + done.stdout
        events = await watching.events(5, "caseEvents")
    # then the district sees each step once, in order, as reviewReturn's own would read
    assert [(e["type"], e["actor"]["role"]) for e in events] == [
        ("REPORTED", "HOTLINE"),
        ("DISPATCHED", "HOTLINE"),
        ("RETURNED", "DEPARTMENT"),
        ("RETURN_APPROVED", "HOTLINE"),
        ("DISPATCHED", "HOTLINE"),
    ]
    assert events[2]["note"] == "职能不符"
    assert events[2]["actor"]["department"] == {"code": "110107.URBAN_MANAGEMENT"}
    assert all(e["case"]["externalRefs"] == [{"id": "RET-LIVE"}] for e in events)
