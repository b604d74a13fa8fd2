"""Standing connections: listed with their last run, paused, resumed or run now."""

from __future__ import annotations

import datetime as dt

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from adapters import service as runs
from hub.auth.policy import PermissionDeniedError, may_read_adapter_runs
from hub.connections import service
from hub.connections.models import StandingConnection
from hub.errors import NotFoundError
from schema.adapters.types import AdapterRun
from schema.context import Info
from schema.core.errors import UserError
from schema.core.mutations import run_mutation
from schema.core.pages import page_request
from schema.core.relay import Connection as Page
from schema.core.relay import (
    InvalidGlobalIdError,
    Node,
    connection_from_page,
    from_global_id,
    row_id,
)
from schema.core.rows import from_row


@strawberry.type(
    name="Connection",
    description="A standing connection: an adapter over a source, pulled on a schedule.",
)
class Connection(Node):
    row: strawberry.Private[StandingConnection]
    last_run_id: strawberry.Private[int | None] = None

    def node_key(self) -> int:
        return self.row.id

    adapter = from_row("adapter", str)
    source = from_row("source", str)

    @strawberry.field(description="`every 30s`, or `cron */5 * * * *` (Beijing time).")
    def schedule(self) -> str:
        return service.schedule_of(self.row).describe()

    enabled = from_row("enabled", bool)
    next_run_at = from_row(
        "next_run_at",
        dt.datetime,
        description="When it is next due (while running: the run's lease).",
    )

    failures = from_row("failures", int, description="Failures in a row; retried later each time.")
    failing = from_row("failing", bool, description="It has kept failing: someone should look.")
    last_error = from_row("last_error", str | None)

    @strawberry.field(description="Its latest run (an adapter run).")
    async def last_run(self, info: Info) -> AdapterRun | None:
        if self.last_run_id is None:
            return None
        async with info.context.sessionmaker() as session:
            found = await runs.runs_by_ids(session=session, codes=[self.last_run_id])
        row = found.get(self.last_run_id)
        return AdapterRun(row=row) if row is not None else None


@strawberry.input
class ConnectionInput:
    connection_id: strawberry.ID


@strawberry.type
class ConnectionPayload:
    connection: Connection | None
    errors: list[UserError]


def _require(info: Info) -> None:
    if not may_read_adapter_runs(info.context.actor):
        raise PermissionDeniedError("connections are for the city and district platforms")


def _key(global_id: str) -> int:
    try:
        kind, key = from_global_id(global_id)
        if kind == "Connection":
            return int(key)
    except (InvalidGlobalIdError, ValueError):
        pass
    raise NotFoundError(f"no connection {global_id!r}", field="connectionId")


async def load_connection_node(info: Info, key: str) -> Connection | None:
    """``node(id:)``: a standing connection, for the city and district platforms."""
    connection_id = row_id(key)
    if connection_id is None or not may_read_adapter_runs(info.context.actor):
        return None
    async with info.context.sessionmaker() as session:
        row = await session.get(StandingConnection, connection_id)
        if row is None:
            return None
        last = await service.last_runs(session=session, ids=[row.id])
    return Connection(row=row, last_run_id=last.get(row.id))


@strawberry.type
class ConnectionQuery:
    @strawberry.field(description="The standing connections, oldest first.")
    async def connections(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Page[Connection]:
        if not may_read_adapter_runs(info.context.actor):
            raise PermissionDeniedError("connections are for the city and district platforms")
        async with info.context.sessionmaker() as session:
            page = await service.page_connections(
                session=session, page=page_request(info, first, after)
            )
            last = await service.last_runs(session=session, ids=[row.id for _, row in page.items])
        return connection_from_page(
            page, lambda row: Connection(row=row, last_run_id=last.get(row.id))
        )


async def _change(info: Info, operation: str, input: ConnectionInput) -> ConnectionPayload:
    async def work(session: AsyncSession, now: dt.datetime) -> StandingConnection:
        _require(info)
        key = _key(input.connection_id)
        if operation == "runConnectionNow":
            return await service.run_now(session=session, connection_id=key, now=now)
        enabled = operation == "resumeConnection"
        return await service.set_enabled(
            session=session, connection_id=key, enabled=enabled, now=now
        )

    row, errors = await run_mutation(info, operation, input.connection_id, work)
    return ConnectionPayload(
        connection=Connection(row=row) if row is not None else None, errors=errors
    )


@strawberry.type
class ConnectionMutations:
    @strawberry.mutation(description="No runs until resumed.")
    async def pause_connection(self, info: Info, input: ConnectionInput) -> ConnectionPayload:
        return await _change(info, "pauseConnection", input)

    @strawberry.mutation(description="Runs again, due at once.")
    async def resume_connection(self, info: Info, input: ConnectionInput) -> ConnectionPayload:
        return await _change(info, "resumeConnection", input)

    @strawberry.mutation(
        description="Due at once; refused with CONNECTION_RUNNING while a run is in progress."
    )
    async def run_connection_now(self, info: Info, input: ConnectionInput) -> ConnectionPayload:
        return await _change(info, "runConnectionNow", input)
