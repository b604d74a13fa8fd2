"""The audit log, read by the city platform: who did what to which target, and how it ended."""

from __future__ import annotations

import strawberry

from hub.audit import queries as audit
from hub.auth.policy import PermissionDeniedError, may_read_audit
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
        async with info.context.sessionmaker() as session:
            page = await audit.page_entries(
                session=session,
                operation=operation,
                actor_sub=actor_sub,
                target=target,
                page=request,
            )
        return connection_from_page(page, lambda row: AuditEntry(row=row))
