"""Running a mutation: one transaction, domain errors as data, an audit entry either way."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit import service as audit
from hub.db import transaction, utcnow
from hub.errors import ConflictError, DomainError
from schema.core.context import AnyInfo, RequestContext
from schema.core.errors import UserError, user_error

T = TypeVar("T")
log = logging.getLogger("hub.audit")

# A transaction that lost a race on a unique key is run once more: it then sees the winner's row.
ATTEMPTS = 2

Work = Callable[[AsyncSession, dt.datetime], Awaitable[T]]


async def run_mutation(
    info: AnyInfo,
    operation: str,
    target: str | None,
    work: Work[T],
    *,
    target_of: Callable[[T], str] | None = None,
) -> tuple[T | None, list[UserError]]:
    """Run ``work`` in its own transaction; a DomainError rolls it back and becomes an error.

    The audit entry is written in the same transaction on success, and in a fresh one after a
    refusal, so every attempt is on record and a refused write leaves nothing else behind. A
    transaction that lost a race (ConflictError) left nothing and is run again. An unexpected
    fault is audited as INTERNAL with the correlation id the client is shown, then re-raised.
    """
    context: RequestContext = info.context
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
        return None, [user_error(error)]
    except Exception as error:
        await _record_fault(info, operation, target, now, error)
        raise
    return result, []


async def _record_fault(
    info: AnyInfo, operation: str, target: str | None, now: dt.datetime, error: Exception
) -> None:
    """An unexpected fault is on record too, under the id its client is shown (INTERNAL)."""
    correlation_id = uuid.uuid4().hex
    with contextlib.suppress(AttributeError):
        error.correlation_id = correlation_id  # type: ignore[attr-defined]
    context: RequestContext = info.context
    try:
        async with transaction(context.sessionmaker) as session:
            audit.record(
                session=session,
                actor=context.actor,
                operation=operation,
                target=target,
                outcome="INTERNAL",
                at=now,
                correlation_id=correlation_id,
                detail={"error": type(error).__name__},
            )
    except Exception:  # the database itself may be what failed; the fault is logged either way
        log.exception("could not audit the fault %s of %s", correlation_id, operation)
