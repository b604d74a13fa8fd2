"""Managing standing connections, and claiming each due run exactly once across processes.

A due run is claimed by a compare-and-set on ``next_run_at``: the process whose
``UPDATE … WHERE next_run_at = <the due time>`` changes the row runs it, and a
``connection_run`` row (unique per connection and due time) records the claim.  While it runs,
``next_run_at`` holds the claim's lease (renewed by the runner); a runner that dies leaves it
to expire, and the connection is due again then.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.connections.models import ConnectionRun, StandingConnection
from hub.connections.schedule import Schedule
from hub.errors import DomainError, ErrorCode, InvalidInputError, NotFoundError
from hub.pagination import Page, PageRequest, fetch_page

SECRET_NAME = re.compile(r"(key|secret|password|token)", re.IGNORECASE)
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
FAILING_AFTER = 3  # failures in a row before a connection is marked failing


class ConnectionRunningError(DomainError):
    """Asked to run now while a run is in progress (it would run twice at once)."""

    code = ErrorCode.CONNECTION_RUNNING


def stored_settings(options: Mapping[str, str]) -> dict[str, Any]:
    """Settings as stored: ``env:NAME`` becomes a reference; a secret must be one."""
    stored: dict[str, Any] = {}
    for name, value in options.items():
        if value.startswith("env:"):
            variable = value[4:]
            if not ENV_NAME.match(variable):
                raise InvalidInputError(f"{variable!r} is not an environment variable name")
            stored[name] = {"env": variable}
        elif SECRET_NAME.search(name):
            raise InvalidInputError(
                f"{name} looks secret: give it as env:VARIABLE, it is never stored in clear",
                field=name,
            )
        else:
            stored[name] = value
    return stored


def schedule_of(row: StandingConnection) -> Schedule:
    return Schedule(every_seconds=row.every_seconds, cron=row.cron)


async def add(
    *,
    session: AsyncSession,
    adapter: str,
    source: str,
    options: Mapping[str, str],
    schedule: Schedule,
    now: dt.datetime,
) -> StandingConnection:
    taken = await session.scalar(
        select(StandingConnection.id).where(
            StandingConnection.adapter == adapter, StandingConnection.source == source
        )
    )
    if taken is not None:
        raise InvalidInputError(f"{adapter} already has a connection to {source}")
    row = StandingConnection(
        adapter=adapter,
        source=source,
        settings=stored_settings(options),
        every_seconds=schedule.every_seconds,
        cron=schedule.cron,
        enabled=True,
        next_run_at=now,  # the first run is due at once
        failures=0,
        failing=False,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def get(*, session: AsyncSession, connection_id: int) -> StandingConnection:
    row = await session.get(StandingConnection, connection_id)
    if row is None:
        raise NotFoundError(f"no connection {connection_id}", field="connectionId")
    return row


async def set_enabled(
    *, session: AsyncSession, connection_id: int, enabled: bool, now: dt.datetime
) -> StandingConnection:
    row = await get(session=session, connection_id=connection_id)
    if enabled and not row.enabled:
        row.next_run_at = now
    row.enabled = enabled
    return row


async def run_now(
    *, session: AsyncSession, connection_id: int, now: dt.datetime
) -> StandingConnection:
    """Make it due at once; refused while a run is in progress.

    A run in progress holds its lease in ``next_run_at``: moving that to now would let another
    process claim a second run beside it. A claim whose lease has run out (its process died)
    is no longer in progress, and the connection is due already.
    """
    row = await get(session=session, connection_id=connection_id)
    latest = await session.scalar(
        select(ConnectionRun)
        .where(ConnectionRun.connection_id == row.id)
        .order_by(ConnectionRun.id.desc())
        .limit(1)
    )
    if latest is not None and latest.finished_at is None and row.next_run_at > now:
        raise ConnectionRunningError(
            f"connection {row.id} is running (claimed by {latest.claimed_by} at"
            f" {latest.claimed_at.isoformat(timespec='seconds')}); run it again once it ends",
            field="connectionId",
        )
    row.next_run_at = min(row.next_run_at, now)
    return row


async def remove(*, session: AsyncSession, connection_id: int) -> None:
    await get(session=session, connection_id=connection_id)
    await session.execute(delete(StandingConnection).where(StandingConnection.id == connection_id))


async def all_connections(*, session: AsyncSession) -> list[StandingConnection]:
    return list(await session.scalars(select(StandingConnection).order_by(StandingConnection.id)))


async def page_connections(*, session: AsyncSession, page: PageRequest) -> Page[StandingConnection]:
    return await fetch_page(
        session,
        select(StandingConnection),
        entity=StandingConnection,
        order=StandingConnection.id,
        page=page,
    )


async def last_runs(*, session: AsyncSession, ids: list[int]) -> dict[int, int]:
    """Each connection's latest adapter run id."""
    result = await session.execute(
        select(ConnectionRun.connection_id, func.max(ConnectionRun.run_id))
        .where(ConnectionRun.connection_id.in_(ids), ConnectionRun.run_id.is_not(None))
        .group_by(ConnectionRun.connection_id)
    )
    return {key: run for key, run in result if run is not None}


@dataclass(frozen=True, slots=True)
class Claim:
    connection_id: int
    due_at: dt.datetime
    lease_until: dt.datetime
    claim_id: int


async def due(
    *, session: AsyncSession, now: dt.datetime, limit: int = 20
) -> list[StandingConnection]:
    return list(
        await session.scalars(
            select(StandingConnection)
            .where(StandingConnection.enabled, StandingConnection.next_run_at <= now)
            .order_by(StandingConnection.next_run_at)
            .limit(limit)
        )
    )


async def claim(
    *, session: AsyncSession, row: StandingConnection, me: str, now: dt.datetime, lease: float
) -> Claim | None:
    """Take the due run of ``row`` if no other process has; None if one has."""
    until = now + dt.timedelta(seconds=lease)
    result = await session.execute(
        update(StandingConnection)
        .where(
            StandingConnection.id == row.id,
            StandingConnection.enabled,
            StandingConnection.next_run_at == row.next_run_at,
        )
        .values(next_run_at=until)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return None
    record = ConnectionRun(
        connection_id=row.id, due_at=row.next_run_at, claimed_by=me, claimed_at=now
    )
    session.add(record)
    await session.flush()
    return Claim(row.id, row.next_run_at, until, record.id)


async def renew(*, session: AsyncSession, claim: Claim, lease: float, now: dt.datetime) -> Claim:
    until = now + dt.timedelta(seconds=lease)
    await session.execute(
        update(StandingConnection)
        .where(
            StandingConnection.id == claim.connection_id,
            StandingConnection.next_run_at == claim.lease_until,
        )
        .values(next_run_at=until)
        .execution_options(synchronize_session=False)
    )
    return Claim(claim.connection_id, claim.due_at, until, claim.claim_id)


def backoff_seconds(failures: int, base: float, ceiling: float) -> float:
    return float(min(base * 2.0 ** (failures - 1), ceiling))


async def finish(
    *,
    session: AsyncSession,
    claim: Claim,
    run_id: int | None,
    error: str | None,
    now: dt.datetime,
    retry_base: float,
    retry_ceiling: float,
) -> None:
    """Link the run, then schedule the next: by the schedule, or later while it keeps failing."""
    await session.execute(
        update(ConnectionRun)
        .where(ConnectionRun.id == claim.claim_id)
        .values(run_id=run_id, finished_at=now)
    )
    row = await session.get(StandingConnection, claim.connection_id)
    if row is None or row.next_run_at != claim.lease_until:
        return  # removed, or made due by hand meanwhile: leave it as it is now
    following = schedule_of(row).next_after(max(claim.due_at, now))
    if following <= now:  # a slow run missed due times: the next is the next one ahead
        following = schedule_of(row).next_after(now)
    if error is None:
        row.failures, row.failing, row.last_error = 0, False, None
    else:
        row.failures += 1
        row.failing = row.failures >= FAILING_AFTER
        row.last_error = error[:2000]
        retry = now + dt.timedelta(seconds=backoff_seconds(row.failures, retry_base, retry_ceiling))
        following = max(following, retry)
    row.next_run_at = following
