"""Building a database: migrations, the production start (``init``), the demo, benchmark data."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from typing import Annotated

import typer

from hub import benchdata, bootstrap, migrate
from hub.auth.samples import sample_tokens
from hub.commands.options import Host, Port, console
from hub.commands.serving import serve
from hub.config import get_settings
from hub.db import create_engine, create_sessionmaker
from hub.demo.load import load_demo_data

EXAMPLE_QUERIES = """\
{ locate(point: {lat: 39.9087, lng: 116.3975}) {
    grid { code name } community { name } subdistrict { code name } district { name } } }

{ jurisdiction(code: "110102") { name children { code name kind } } }

{ jurisdictions(level: DISTRICT, first: 16) { totalCount edges { node {
    code name children { code name }
    departments(first: 30) { totalCount nodes { code name } } } } } }
"""


def db_upgrade(revision: str = "head") -> None:
    """Migrate the database named by HUB_DATABASE_URL up to REVISION."""
    asyncio.run(_migrate("upgrade", revision))
    console.print(f"[green]database at {revision}[/]")


def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (``base`` drops everything)."""
    asyncio.run(_migrate("downgrade", revision))
    console.print(f"[yellow]database at {revision}[/]")


async def _migrate(action: str, revision: str) -> None:
    engine = create_engine(get_settings().database_url)
    try:
        if action == "upgrade":
            await migrate.upgrade(engine, revision)
        else:
            await migrate.downgrade(engine, revision)
    finally:
        await engine.dispose()


def demo(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve once built.")
    ] = True,
    cases_per_day: Annotated[
        int, typer.Option(min=0, help="Synthetic hotline cases a day for the demo month.")
    ] = 1000,
) -> None:
    """Build the embedded default (migrate, load Beijing) idempotently, print tokens, serve."""
    if serve_after:
        _check_port_free(host, port)
    started = time.perf_counter()
    loaded, demo_data = asyncio.run(_setup(cases_per_day))
    elapsed = time.perf_counter() - started
    added = sum(demo_data.values())
    what = "built" if loaded or added else "already built; nothing to do"
    if added:
        console.print(f"demo data: {demo_data}")
    console.print(
        f"[green]demo database {what}[/] in {elapsed:.1f}s: {get_settings().database_url}"
    )
    _print_tokens(f"http://{host}:{port}")
    console.print(f"\n[bold]Try in GraphiQL[/] at http://{host}:{port}/graphql\n")
    console.print(EXAMPLE_QUERIES, markup=False, highlight=False)
    if serve_after:
        os.environ["HUB_GRAPHIQL_DEMO_TOKENS"] = "true"  # the page offers the tokens above
        get_settings.cache_clear()
        serve(host=host, port=port, workers=1)


def _check_port_free(host: str, port: int) -> None:
    """Fail before the build, not after it, when the demo could not listen."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            console.print(
                f"[red]cannot listen on {host}:{port}:[/] {error.strerror}; "
                "choose another port with --port N (make demo PORT=N)"
            )
            raise typer.Exit(1) from error


def init() -> None:
    """Set up a production database: migrations and Beijing's reference data, no cases."""
    asyncio.run(_init())


async def _init() -> None:
    settings = get_settings()
    engine = create_engine(settings.database_url)
    try:
        loaded = await bootstrap.setup_database(engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()
    what = "loaded" if loaded else "already there; nothing to do"
    console.print(
        f"[green]database at head, reference data {what}[/] "
        f"(geography, departments, categories; no cases): {settings.database_url}"
    )


async def _setup(cases_per_day: int) -> tuple[bool, dict[str, int]]:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = get_settings()
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        loaded = await bootstrap.setup_database(engine, sessionmaker)
        demo_data = await load_demo_data(sessionmaker, settings, cases_per_day=cases_per_day)
        return loaded, demo_data
    finally:
        await engine.dispose()


def _print_tokens(base_url: str) -> None:
    settings = get_settings()
    console.print("\n[bold]Sample tokens[/] (send as `Authorization: Bearer <token>`):")
    for label, role, sample in sample_tokens(settings):
        console.print(f"\n[cyan]{label}[/] ({role.value})")
        # Plain print: a token must stay on one line to be copied.
        print(sample)
        print(f"the whistle board as {role.value}: {base_url}/board#token={sample}")


def bench_data(
    cases: Annotated[int, typer.Option(min=1, help="How many cases to add.")],
    days: Annotated[int, typer.Option(min=1, help="Reported over the last DAYS days.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic traffic.")] = 2026,
    defer_indexes: Annotated[
        bool | None,
        typer.Option(
            "--defer-indexes/--keep-indexes",
            help="Write without the case tables' secondary indexes and make them at the end "
            "(default: when adding at least as many cases as there are).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fill the database (migrated first) with realistic synthetic cases, for benchmarks."""
    started = time.perf_counter()
    made = asyncio.run(_bench_data(cases, days, seed, defer_indexes))
    elapsed = time.perf_counter() - started
    console.print(f"added {made:,} cases in {elapsed:.1f}s ({made / elapsed:,.0f} cases/s)")


async def _bench_data(cases: int, days: int, seed: int, defer_indexes: bool | None) -> int:
    settings = get_settings()
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)

        def progress(made: int) -> None:
            console.print(f"  {made:,} cases", highlight=False)

        return await benchdata.fill(
            create_sessionmaker(engine),
            cases=cases,
            days=days,
            seed=seed,
            progress=progress,
            settings=settings,
            defer_indexes=defer_indexes,
        )
    finally:
        await engine.dispose()
