"""``hub open311-key create|revoke``: the API keys of client systems filing requests."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from hub.config import get_settings
from hub.db import create_engine, create_sessionmaker, transaction, utcnow
from hub.errors import DomainError
from hub.open311 import keys

open311_key_app = typer.Typer(
    help="API keys of the client systems filing Open311 requests.", no_args_is_help=True
)


@open311_key_app.command("create")
def create_key(
    name: Annotated[str, typer.Option(help="The client system's name.")],
    jurisdiction: Annotated[
        str, typer.Option(help="City, district or street office the key acts for.")
    ] = "110000",
) -> None:
    """Print a new key (shown only now; the hub keeps its digest)."""
    try:
        typer.echo(asyncio.run(_create(name, jurisdiction)))
    except DomainError as error:
        raise typer.BadParameter(error.message) from error


@open311_key_app.command("revoke")
def revoke_key(key: Annotated[str, typer.Argument(help="The key, or its system's name.")]) -> None:
    """Revoke a key at once: requests with it are refused (403)."""
    if not asyncio.run(_revoke(key)):
        typer.echo("no live key matches", err=True)
        raise typer.Exit(1)
    typer.echo("revoked")


async def _create(name: str, jurisdiction: str) -> str:
    engine = create_engine(get_settings().database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await keys.create(
                session=session, name=name, jurisdiction_code=jurisdiction, now=utcnow()
            )
    finally:
        await engine.dispose()


async def _revoke(key: str) -> bool:
    engine = create_engine(get_settings().database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await keys.revoke(session=session, key=key, now=utcnow())
    finally:
        await engine.dispose()
