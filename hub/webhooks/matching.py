"""Which events a webhook hears: its event types, its filters, and its owner's visibility.

The owner's visibility is judged exactly as for a subscription (``hub.events.sources``), on the
case or whistle as it is when the event is read.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from hub.auth.actors import Actor
from hub.events.sources import CaseFacts, CaseSelection, EventRow, WhistleFacts, WhistleSelection
from hub.webhooks.models import Webhook


def wants_kind(webhook: Webhook, kind: str) -> bool:
    return any(name.split(".")[0] == kind for name in webhook.event_types)


def _wants_type(webhook: Webhook, kind: str, row: EventRow) -> bool:
    name = f"{kind}.{row.type}"
    return any(fnmatchcase(name, pattern) for pattern in webhook.event_types)


def _text(found: dict[str, Any] | None, key: str) -> str | None:
    value = (found or {}).get(key)
    return str(value) if value else None


def matches(webhook: Webhook, kind: str, row: EventRow, facts: Any) -> bool:
    if not _wants_type(webhook, kind, row):
        return False
    owner = Actor.from_record(webhook.owner)
    if isinstance(facts, CaseFacts):
        f = webhook.case_filter
        return CaseSelection(
            actor=owner,
            case_number=_text(f, "caseNumber"),
            jurisdiction_code=_text(f, "jurisdictionCode"),
            department_code=_text(f, "departmentCode"),
        ).matches(facts)
    if isinstance(facts, WhistleFacts):
        f = webhook.whistle_filter
        return WhistleSelection(
            actor=owner,
            whistle_number=_text(f, "whistleNumber"),
            jurisdiction_code=_text(f, "jurisdictionCode"),
            department_code=_text(f, "departmentCode"),
        ).matches(facts)
    return False
