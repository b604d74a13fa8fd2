"""Reading the audit log: newest first, narrowed by operation, actor or target."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.models import AuditEntry
from hub.pagination import Page, PageRequest, fetch_page


async def page_entries(
    *,
    session: AsyncSession,
    operation: str | None,
    actor_sub: str | None,
    target: str | None,
    page: PageRequest,
) -> Page[AuditEntry]:
    query = select(AuditEntry)
    if operation:
        query = query.where(AuditEntry.operation == operation)
    if actor_sub:
        query = query.where(AuditEntry.actor_sub == actor_sub)
    if target:
        query = query.where(AuditEntry.target == target)
    return await fetch_page(
        session,
        query,
        entity=AuditEntry,
        order=AuditEntry.id,
        page=page,
        descending=True,
    )
