"""Standing connections from the adapters' side: running one, and ``hub connections …``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import UnknownAdapterError, adapter_class
from adapters.cli import _options
from adapters.contract import AdapterContext
from adapters.models import AdapterRun
from adapters.runner import sync
from hub.commands.options import console
from hub.config import Settings, get_settings
from hub.connections import service
from hub.connections.models import StandingConnection
from hub.connections.schedule import Schedule
from hub.connections.scheduler import ConnectionRunFailedError
from hub.db import create_engine, create_sessionmaker, transaction, utcnow
from hub.errors import DomainError
from hub.geo.index import GeoIndex

connections_app = typer.Typer(
    help="Standing connections: adapters pulled on a schedule by every hub process.",
    no_args_is_help=True,
)


def resolve(stored: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Stored settings with each ``{"env": NAME}`` read from the environment."""
    resolved = {}
    for name, value in stored.items():
        if isinstance(value, dict) and "env" in value:
            if value["env"] not in environ:
                raise ConnectionRunFailedError(f"{name}: ${value['env']} is not set")
            resolved[name] = environ[value["env"]]
        else:
            resolved[name] = value
    return resolved


async def run_connection(
    row: StandingConnection,
    *,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    geo: GeoIndex,
) -> int:
    """One run of the connection's adapter over its source, since its cursor."""
    try:
        cls = adapter_class(row.adapter)
        options = {**resolve(row.settings, os.environ), "source": row.source}
        adapter = cls(
            cls.settings_model(**options), AdapterContext(settings=settings, geo=geo, now=utcnow)
        )
    except (UnknownAdapterError, ValidationError) as error:
        raise ConnectionRunFailedError(str(error)) from error
    try:
        run = await sync(adapter=adapter, sessionmaker=sessionmaker)
    except Exception as error:
        raise ConnectionRunFailedError(
            str(error) or repr(error),
            await _latest_run(sessionmaker, row.adapter, adapter.source_key()),
        ) from error
    return run.id


async def _latest_run(
    sessionmaker: async_sessionmaker[AsyncSession], adapter: str, source: str
) -> int | None:
    async with sessionmaker() as session:
        found = await session.scalar(
            select(func.max(AdapterRun.id)).where(
                AdapterRun.adapter == adapter, AdapterRun.source == source
            )
        )
    return int(found) if found is not None else None


def _run(work: Any) -> Any:
    async def go() -> Any:
        engine = create_engine(get_settings().database_url)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except DomainError as error:
        console.print(f"[red]{error.code}:[/] {error.message}")
        raise typer.Exit(1) from error


@connections_app.command("add")
def add_connection(
    adapter: Annotated[str, typer.Argument(help="A registered adapter (see `hub adapters`).")],
    source: Annotated[str, typer.Option(help="Path or URL the adapter reads.")],
    every: Annotated[str | None, typer.Option(help="An interval: 30s, 5m, 1h, 1d.")] = None,
    cron: Annotated[str | None, typer.Option(help="A cron expression, in Beijing time.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE; a secret as KEY=env:VARIABLE (never stored)."),
    ] = None,
) -> None:
    """Add a connection; its first run is due at once."""
    try:
        cls = adapter_class(adapter)
        schedule = Schedule.parse(every=every, cron=cron)
        options = _options(set_ or [])
        stored = service.stored_settings(options)
        cls.settings_model(**resolve(stored, os.environ), source=source)
    except (UnknownAdapterError, DomainError, ConnectionRunFailedError, ValidationError) as error:
        raise typer.BadParameter(getattr(error, "message", str(error))) from error

    async def work(session: AsyncSession) -> int:
        row = await service.add(
            session=session,
            adapter=adapter,
            source=source,
            options=options,
            schedule=schedule,
            now=utcnow(),
        )
        return row.id

    typer.echo(_run(work))


@connections_app.command("list")
def list_connections() -> None:
    """Every connection: schedule, state, next run, failures."""

    async def work(session: AsyncSession) -> list[StandingConnection]:
        return await service.all_connections(session=session)

    table = Table("id", "adapter", "source", "schedule", "enabled", "next run", "failures", "error")
    for row in _run(work):
        failing = f"{row.failures} (failing)" if row.failing else str(row.failures)
        table.add_row(
            str(row.id),
            row.adapter,
            row.source,
            service.schedule_of(row).describe(),
            "yes" if row.enabled else "paused",
            row.next_run_at.isoformat(timespec="seconds"),
            failing,
            (row.last_error or "")[:80],
        )
    console.print(table)


def _change(connection_id: int, verb: str) -> None:
    async def work(session: AsyncSession) -> None:
        now = utcnow()
        if verb == "remove":
            await service.remove(session=session, connection_id=connection_id)
        elif verb == "run-now":
            await service.run_now(session=session, connection_id=connection_id, now=now)
        else:
            await service.set_enabled(
                session=session, connection_id=connection_id, enabled=verb == "resume", now=now
            )

    _run(work)
    typer.echo(f"{verb}: connection {connection_id}")


ConnectionId = Annotated[int, typer.Argument(help="The connection's id (`hub connections list`).")]


@connections_app.command("pause")
def pause(connection_id: ConnectionId) -> None:
    """No runs until resumed."""
    _change(connection_id, "pause")


@connections_app.command("resume")
def resume(connection_id: ConnectionId) -> None:
    """Runs again; due at once."""
    _change(connection_id, "resume")


@connections_app.command("run-now")
def run_now(connection_id: ConnectionId) -> None:
    """Due at once (picked up by a running hub process within a second); refused while a run
    is in progress."""
    _change(connection_id, "run-now")


@connections_app.command("remove")
def remove(connection_id: ConnectionId) -> None:
    """Remove the connection (its runs stay in the run history)."""
    _change(connection_id, "remove")
