"""Running a mutation: one transaction, domain errors as data, an audit entry either way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit import service as audit
from hub.db import transaction, utcnow
from hub.errors import ConflictError, DomainError
from schema.context import Info
from schema.core.errors import UserError

T = TypeVar("T")

# A transaction that lost a race on a unique key is run once more: it then sees the winner's row.
ATTEMPTS = 2

Work = Callable[[AsyncSession, dt.datetime], Awaitable[T]]


async def run_mutation(
    info: Info,
    operation: str,
    target: str | None,
    work: Work[T],
    *,
    target_of: Callable[[T], str] | None = None,
) -> tuple[T | None, list[UserError]]:
    """Run ``work`` in its own transaction; a DomainError rolls it back and becomes an error.

    The audit entry is written in the same transaction on success, and in a fresh one after a
    refusal, so every attempt is on record and a refused write leaves nothing else behind. A
    transaction that lost a race (ConflictError) left nothing and is run again.
    """
    context = info.context
    now = utcnow()
    try:
        for attempt in range(ATTEMPTS):
            try:
                async with transaction(context.sessionmaker) as session:
                    result = await work(session, now)
                    audit.record(
                        session=session,
                        actor=context.actor,
                        operation=operation,
                        target=target_of(result) if target_of else target,
                        outcome="OK",
                        at=now,
                    )
                break
            except ConflictError:
                if attempt + 1 == ATTEMPTS:
                    raise
    except DomainError as error:
        async with transaction(context.sessionmaker) as session:
            audit.record(
                session=session,
                actor=context.actor,
                operation=operation,
                target=target,
                outcome=error.code,
                at=now,
                detail={"message": error.message},
            )
        return None, [UserError(code=error.code, message=error.message, field=error.field)]
    return result, []
