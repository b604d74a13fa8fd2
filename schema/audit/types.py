"""The audit log, read by the city platform: who did what to which target, and how it ended."""

from __future__ import annotations

import datetime as dt

import strawberry

from hub.audit.models import AuditEntry as AuditRow
from hub.auth.actors import Actor as ActorRecord
from schema.auth.types import Actor


@strawberry.type(description="One mutation attempt, as the append-only audit log holds it.")
class AuditEntry:
    row: strawberry.Private[AuditRow]

    @strawberry.field
    def at(self) -> dt.datetime:
        return self.row.at

    @strawberry.field
    def actor(self) -> Actor:
        return Actor(record=ActorRecord.from_record(self.row.actor))

    @strawberry.field(description="The mutation, e.g. dispatchCase.")
    def operation(self) -> str:
        return self.row.operation

    @strawberry.field(description="What it acted on (a case or whistle number, a summons id).")
    def target(self) -> str | None:
        return self.row.target

    @strawberry.field(description="OK, or the error code it was refused with.")
    def outcome(self) -> str:
        return self.row.outcome
