"""Writing the audit log: append-only, one entry per mutation attempt."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.models import AuditEntry
from hub.auth.actors import Actor

# A client names the target (a case number it typed); the log keeps what fits its columns.
SUB_LENGTH = TARGET_LENGTH = 128
OPERATION_LENGTH = 64


def record(
    *,
    session: AsyncSession,
    actor: Actor,
    operation: str,
    target: str | None,
    outcome: str,
    at: dt.datetime,
    correlation_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        actor_sub=actor.sub[:SUB_LENGTH],
        actor_role=actor.role.value if actor.role else None,
        actor=actor.as_record(),
        operation=operation[:OPERATION_LENGTH],
        target=target[:TARGET_LENGTH] if target else target,
        outcome=outcome,
        correlation_id=correlation_id,
        detail=detail,
    )
    session.add(entry)
    return entry
