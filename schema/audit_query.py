"""The audit log, read by the city platform: who did what to which target, and how it ended."""

from __future__ import annotations

import datetime as dt

import strawberry
from sqlalchemy import select

from hub.actors import Actor as ActorRecord
from hub.audit.models import AuditEntry as AuditRow
from hub.auth.policy import may_read_audit
from hub.pagination import fetch_pages
from schema.context import Info
from schema.errors import PublicError
from schema.pages import page_request
from schema.relay import Connection, connection_from_page
from schema.types.actor import Actor


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


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit log, newest first (city platform only).")
    async def audit_log(
        self,
        info: Info,
        operation: str | None = None,
        actor_sub: str | None = None,
        target: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[AuditEntry]:
        if not may_read_audit(info.context.actor):
            raise PublicError("FORBIDDEN", "the audit log is for the city platform")
        request = page_request(first, after)
        query = select(AuditRow)
        if operation:
            query = query.where(AuditRow.operation == operation)
        if actor_sub:
            query = query.where(AuditRow.actor_sub == actor_sub)
        if target:
            query = query.where(AuditRow.target == target)
        async with info.context.sessionmaker() as session:
            pages = await fetch_pages(
                session,
                query,
                entity=AuditRow,
                partition=None,
                parents=[0],
                order=AuditRow.id,
                page=request,
                descending=True,
            )
        return connection_from_page(pages[0], lambda row: AuditEntry(row=row))
