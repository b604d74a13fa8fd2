"""The audit log, read by the city platform: who did what to which target, and how it ended."""

from __future__ import annotations

import datetime as dt

import strawberry

from hub.audit.models import AuditEntry as AuditRow
from hub.auth.actors import Actor as ActorRecord
from schema.auth.types import Actor
from schema.core.rows import from_row


@strawberry.type(description="One mutation attempt, as the append-only audit log holds it.")
class AuditEntry:
    row: strawberry.Private[AuditRow]

    at = from_row("at", dt.datetime)

    @strawberry.field
    def actor(self) -> Actor:
        return Actor(record=ActorRecord.from_record(self.row.actor))

    operation = from_row("operation", str, description="The mutation, e.g. dispatchCase.")
    target = from_row(
        "target",
        str | None,
        description="What it acted on (a case or whistle number, a summons id).",
    )

    outcome = from_row("outcome", str, description="OK, or the error code it was refused with.")
