"""The audit log, read by the city platform: who did what to which target, and how it ended."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from hub.audit.models import AuditEntry as AuditRow
from hub.auth.policy import PermissionDeniedError, may_read_audit
from hub.pagination import fetch_pages
from schema.audit.types import AuditEntry
from schema.context import Info
from schema.core.pages import page_request
from schema.core.relay import Connection, connection_from_page


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
            raise PermissionDeniedError("the audit log is for the city platform")
        request = page_request(info, first, after)
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
