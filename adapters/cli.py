"""``hub sync``, ``hub adapters`` and ``hub quarantine``: adapters from the command line."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import UnknownAdapterError, adapter_class, registered
from adapters.contract import AdapterContext, Batch, describe_settings
from adapters.models import AdapterRun, QuarantinedRecord, RunStatus
from adapters.runner import AnyAdapter, retry_quarantine, sync
from hub.commands.options import console
from hub.config import get_settings
from hub.db import create_engine, create_sessionmaker, utcnow
from hub.events.feed import announce_commits
from hub.geo.index import GeoIndex

# Tests kill a sync half-way with this: the process ends abruptly after N committed batches.
CRASH_AFTER = "HUB_SYNC_CRASH_AFTER"


def _options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        options[key.strip().replace("-", "_")] = value
    return options


def _adapter(name: str, source: str | None, options: dict[str, Any], geo: GeoIndex) -> AnyAdapter:
    try:
        cls = adapter_class(name)
    except UnknownAdapterError as error:
        raise typer.BadParameter(str(error), param_hint="ADAPTER") from error
    if source is not None:
        options["source"] = source
    try:
        settings = cls.settings_model(**options)
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from error
    return cls(settings, AdapterContext(settings=get_settings(), geo=geo, now=utcnow))


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    """A live bar on a terminal; in a log file, one plain line per batch."""
    crash_after = int(os.environ.get(CRASH_AFTER, "0") or 0)
    batches = 0
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[done]} · {task.fields[counts]}"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, transient=False, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task(label, total=None, done="", counts="")

        def on_batch(run: AdapterRun, batch: Batch[Any]) -> None:
            nonlocal batches
            batches += 1
            done = (
                f"{run.read:,} of {batch.total:,} records"
                if batch.total
                else f"{run.read:,} records"
            )
            counts = f"+{run.created} ~{run.updated} ={run.unchanged} ✗{run.rejected}"
            bar.update(task, completed=run.read, total=batch.total, done=done, counts=counts)
            if not console.is_terminal:
                console.print(f"{label}: {done} · {counts}", markup=False, highlight=False)
            if crash_after and batches >= crash_after:
                os._exit(1)

        yield on_batch


def _report(run: AdapterRun) -> None:
    colour = "green" if run.status is RunStatus.SUCCEEDED else "red"
    console.print(
        f"[{colour}]{run.status}[/] {run.adapter} run {run.id} ({run.source}): "
        f"read {run.read}, created {run.created}, updated {run.updated}, "
        f"unchanged {run.unchanged}, rejected {run.rejected}"
    )
    for note in run.notes:
        console.print(f"  note: {note}", markup=False)
    if run.rejected:
        console.print(f"  see the rejected records with: hub quarantine --adapter {run.adapter}")


async def _on_database(
    adapter: AnyAdapter, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[AdapterRun]]
) -> AdapterRun:
    """``work`` on the hub's database, the adapter's geography loaded if it needs it; the
    events it commits are announced to the hub processes (through Redis, when there is one)."""
    settings = get_settings()
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        if adapter.needs_geo:
            await adapter.context.geo.load(sessionmaker)
        async with announce_commits(sessionmaker, settings):
            return await work(sessionmaker)
    finally:
        await engine.dispose()


def sync_command(
    adapter: Annotated[str, typer.Argument(help="The adapter (see `hub adapters`).")],
    source: Annotated[str | None, typer.Option(help="A file or directory path, or a URL.")] = None,
    option: Annotated[
        list[str] | None, typer.Option("--set", help="An adapter setting, KEY=VALUE (repeat).")
    ] = None,
    restart: Annotated[
        bool, typer.Option(help="Ignore the stored cursor and read the source from its start.")
    ] = False,
) -> None:
    """Pull a department's records into the hub since the source's cursor."""
    instance = _adapter(adapter, source, _options(option or []), GeoIndex())
    try:
        with _progress(f"{adapter}") as on_batch:
            run = asyncio.run(
                _on_database(
                    instance,
                    lambda sessionmaker: sync(
                        adapter=instance,
                        sessionmaker=sessionmaker,
                        restart=restart,
                        on_batch=on_batch,
                    ),
                )
            )
    except Exception as error:
        console.print(f"[red]sync failed:[/] {error}", markup=True)
        raise typer.Exit(1) from error
    _report(run)


def adapters_command() -> None:
    """List the registered adapters and the settings each needs."""
    for name, cls in sorted(registered().items()):
        console.print(f"\n[bold cyan]{name}[/] — {cls.summary}")
        table = Table("setting", "type", "default", "description", box=None, pad_edge=False)
        for row in describe_settings(cls.settings_model):
            table.add_row(*row)
        console.print(table)
        prefix = cls.settings_model.model_config.get("env_prefix", "")
        console.print(f"  environment: {prefix}<SETTING>; or `hub sync {name} --set KEY=VALUE`")


async def _open_entries(adapter: str | None, limit: int) -> list[QuarantinedRecord]:
    engine = create_engine(get_settings().database_url)
    try:
        query = select(QuarantinedRecord).where(QuarantinedRecord.resolved_at.is_(None))
        if adapter:
            query = query.where(QuarantinedRecord.adapter == adapter)
        async with create_sessionmaker(engine)() as session:
            return list(await session.scalars(query.order_by(QuarantinedRecord.id).limit(limit)))
    finally:
        await engine.dispose()


def quarantine_command(
    adapter: Annotated[str | None, typer.Option(help="Only this adapter's records.")] = None,
    retry: Annotated[bool, typer.Option(help="Put the open records through again.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Records to list at most.")] = 50,
    option: Annotated[
        list[str] | None, typer.Option("--set", help="An adapter setting, KEY=VALUE (repeat).")
    ] = None,
) -> None:
    """List records the adapters refused (open ones), or retry them once the cause is fixed."""
    if retry:
        if adapter is None:
            raise typer.BadParameter("name the adapter to retry", param_hint="--adapter")
        options = {"source": "quarantine", **_options(option or [])}
        instance = _adapter(adapter, None, options, GeoIndex())
        with _progress(f"{adapter} quarantine") as on_batch:
            run = asyncio.run(
                _on_database(
                    instance,
                    lambda sessionmaker: retry_quarantine(
                        adapter=instance, sessionmaker=sessionmaker, on_batch=on_batch
                    ),
                )
            )
        _report(run)
        return
    entries = asyncio.run(_open_entries(adapter, limit))
    table = Table("id", "adapter", "source id", "quarantined at", "reason", box=None)
    for entry in entries:
        when = entry.quarantined_at.isoformat(timespec="seconds")
        table.add_row(str(entry.id), entry.adapter, entry.source_id or "-", when, entry.reason)
    if entries:
        console.print(table, soft_wrap=True)
    console.print(f"{len(entries)} open record(s) shown")
