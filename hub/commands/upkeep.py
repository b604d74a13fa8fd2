"""Keeping a hub running: sweep, verify the audit log, rotate the PII key, back up, restore."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from cryptography.fernet import Fernet

from hub.audit import chain
from hub.backup import BackupError, backup, restore
from hub.commands.options import console
from hub.config import get_settings
from hub.db import create_engine, create_sessionmaker
from hub.events.feed import announce_commits
from hub.keys import Rotation, rotate_contacts
from hub.sweeper import sweep_once


def sweep(
    now: Annotated[
        str | None, typer.Option(help="Sweep as of this ISO time (default: now).")
    ] = None,
) -> None:
    """Flag overdue cases and summons once (every hub process also does this periodically)."""
    import json

    moment = dt.datetime.fromisoformat(now) if now else None
    if moment is not None and moment.tzinfo is None:
        raise typer.BadParameter("--now needs a time zone offset")
    typer.echo(json.dumps(asyncio.run(_sweep(moment))))


async def _sweep(moment: dt.datetime | None) -> dict[str, int]:
    settings = get_settings()
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with announce_commits(sessionmaker, settings):
            return await sweep_once(sessionmaker, now=moment)
    finally:
        await engine.dispose()


def audit_verify() -> None:
    """Walk the audit log's hash chain; name the first entry changed or deleted since written."""
    verdict = asyncio.run(_verify_audit())
    if not verdict.intact:
        typer.echo(f"audit log broken: {verdict.reason}")
        typer.echo(f"({verdict.entries} entries before it verified)")
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {verdict.entries} entries, head {verdict.head}")


async def _verify_audit() -> chain.Verdict:
    engine = create_engine(get_settings().database_url)
    try:
        return await chain.verify(create_sessionmaker(engine))
    finally:
        await engine.dispose()


def pii_key() -> None:
    """Print a new key for HUB_PII_KEY."""
    typer.echo(Fernet.generate_key().decode())


def pii_rotate() -> None:
    """Encrypt every reporter contact again with the first key of HUB_PII_KEY."""
    outcome = asyncio.run(_rotate())
    console.print(f"rotated {outcome.rotated} contact(s); {outcome.unreadable} unreadable")
    if outcome.unreadable:
        console.print("[red]some contacts are not readable with any key of HUB_PII_KEY[/]")
        raise typer.Exit(1)


async def _rotate() -> Rotation:
    settings = get_settings()
    engine = create_engine(settings.database_url)
    try:
        return await rotate_contacts(create_sessionmaker(engine), settings)
    finally:
        await engine.dispose()


def backup_command(
    directory: Annotated[Path, typer.Argument(help="Folder to write the backup file into.")],
) -> None:
    """Back up the database (pg_dump, or SQLite's online backup) while the hub serves."""
    try:
        written = backup(get_settings().database_url, directory)
    except BackupError as error:
        console.print(f"[red]backup failed:[/] {error}")
        raise typer.Exit(1) from error
    typer.echo(str(written))


def restore_command(
    source: Annotated[Path, typer.Argument(help="A file `hub backup` wrote.")],
) -> None:
    """Replace the database's contents with a backup (stop the hub processes first)."""
    try:
        restore(get_settings().database_url, source)
    except BackupError as error:
        console.print(f"[red]restore failed:[/] {error}")
        raise typer.Exit(1) from error
    console.print(f"[green]restored[/] {source}")
