"""The message a webhook receives for one event (the Standard Webhooks envelope).

``{"type": "case.DISPATCHED", "timestamp": …, "data": {…}}``: the event (id, type, time, actor,
note) with its case or whistle as it is when the event is read.  Contacts are never sent.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hub.events.sources import CaseFacts, EventRow, WhistleFacts
from hub.whistles.models import WhistleEvent


def _stamp(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def event_type(kind: str, row: EventRow) -> str:
    return f"{kind}.{row.type}"


def message_id(webhook_id: int, kind: str, event_id: int) -> str:
    """Stable per webhook and event: a redelivery carries the same ``webhook-id``."""
    return f"msg_{webhook_id}_{kind}_{event_id}"


def _case(facts: CaseFacts) -> dict[str, Any]:
    case = facts.case
    return {
        "number": case.number,
        "status": case.status.value,
        "priority": case.priority.value,
        "categoryCode": case.category_code,
        "title": case.title,
        "subdistrictCode": case.subdistrict_code,
        "districtCode": case.district_code,
        "jurisdictionsCrossed": facts.crossed,
        "dispatchedTo": facts.dispatched,
        "reportedAt": _stamp(case.reported_at),
        "respondBy": _stamp(case.respond_by),
        "resolveBy": _stamp(case.resolve_by),
    }


def _whistle(facts: WhistleFacts, row: WhistleEvent) -> dict[str, Any]:
    whistle = facts.whistle
    return {
        "number": whistle.number,
        "kind": whistle.kind.value,
        "scope": whistle.scope.value,
        "status": whistle.status.value,
        "callerCode": whistle.caller_code,
        "reportBy": _stamp(whistle.report_by),
        "summons": [
            {
                "id": summons.id,
                "departmentCode": summons.department_code,
                "partnerCode": summons.partner_code,
                "status": summons.status.value,
            }
            for summons in facts.summons
            if row.summons_id is None or summons.id == row.summons_id
        ],
    }


def body(kind: str, row: EventRow, facts: CaseFacts | WhistleFacts) -> str:
    data: dict[str, Any] = {
        "id": str(row.id),
        "type": row.type,
        "at": _stamp(row.at),
        "actor": {key: row.actor.get(key) for key in ("sub", "role")},
        "note": row.note,
    }
    if isinstance(facts, CaseFacts):
        data["case"] = _case(facts)
    elif isinstance(row, WhistleEvent):
        data["whistle"] = _whistle(facts, row)
    envelope = {"type": event_type(kind, row), "timestamp": _stamp(row.at), "data": data}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
