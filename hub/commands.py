"""The hub's own commands: serve, migrate, build the demo, mint tokens, back up and restore.

The ``hub`` command line puts these together with the adapters' commands in ``hub.app``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import logging.config
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from cryptography.fernet import Fernet
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from hub import benchdata, bootstrap, migrate
from hub.audit import chain
from hub.auth.actors import Role
from hub.auth.samples import sample_tokens
from hub.auth.tokens import mint
from hub.backup import BackupError, backup, restore
from hub.config import DEMO_JWT_SECRET, Settings, get_settings
from hub.db import create_engine, create_sessionmaker
from hub.demo.load import load_demo_data
from hub.departments.models import Department
from hub.events.feed import announce_commits
from hub.events.frames import PROTOCOL as WEBSOCKET_PROTOCOL
from hub.geo.models import Grid, Jurisdiction
from hub.http.slowclients import BoundedH11Protocol
from hub.keys import Rotation, rotate_contacts
from hub.observability.logs import logging_config
from hub.observability.metrics import MULTIPROCESS_DIR
from hub.open311.cli import open311_key_app
from hub.sweeper import sweep_once

app = typer.Typer(help="Beijing's integration hub (吹哨报到 · 接诉即办).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(open311_key_app, name="open311-key")
console = Console(soft_wrap=True)  # a path or a token is never broken across lines

Host = Annotated[str, typer.Option(envvar="HUB_HOST", help="Interface to bind.")]
Port = Annotated[int, typer.Option(envvar="HUB_PORT", help="Port to listen on.")]


EXAMPLE_QUERIES = """\
{ locate(point: {lat: 39.9087, lng: 116.3975}) {
    grid { code name } community { name } subdistrict { code name } district { name } } }

{ jurisdiction(code: "110102") { name children { code name kind } } }

{ jurisdictions(level: DISTRICT, first: 16) { totalCount edges { node {
    code name children { code name }
    departments(first: 30) { totalCount nodes { code name } } } } } }
"""


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the hub (GraphQL at /graphql); workers share the port, and events through Redis."""
    settings = get_settings()
    problem = unsafe_start(host, settings)
    if problem:
        console.print(f"[red]hub serve refuses to listen on {host}:[/] {problem}")
        raise typer.Exit(2)
    if workers > 1 and not os.environ.get(MULTIPROCESS_DIR):
        # The workers share their metrics through files (prometheus-client's multi-process mode).
        os.environ[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix="hub-metrics-")
    log_config = logging_config(settings)
    if workers > 1 and not settings.redis_url:
        # Said through the hub's own log configuration, so a JSON log stays JSON lines.
        logging.config.dictConfig(log_config)
        logging.getLogger("hub.cli").warning(
            "without HUB_REDIS_URL each worker hears the others' events only when it"
            " polls the database (HUB_EVENTS_POLL_SECONDS)"
        )
    uvicorn.run(
        "hub.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A worker builds its spatial index at start-up, holding the GIL for seconds: the
        # supervisor must not take that for a hung process.
        timeout_worker_healthcheck=60,
        log_config=log_config,
        log_level=settings.log_level,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        # Events are small JSON: compressing each costs CPU and a zlib context per socket.
        ws_per_message_deflate=False,
        ws=WEBSOCKET_PROTOCOL,  # writes frames encoded once per fan-out
        http=BoundedH11Protocol,  # deadlines for a request's headers and body
    )


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to a public interface


def unsafe_start(host: str, settings: Settings) -> str | None:
    """Why a hub reachable from other machines must not start with these settings, if so."""
    if is_loopback(host):
        return None  # the embedded demo, on this machine only
    verifies_with_secret = not (settings.jwt_public_key or settings.jwks_url)
    if verifies_with_secret and settings.jwt_secret == DEMO_JWT_SECRET:
        return (
            "HUB_JWT_SECRET is the demo's public default, so anyone could sign tokens; "
            "set HUB_JWT_SECRET to a random secret of at least 32 bytes "
            "(or verify RS256 tokens with HUB_JWT_PUBLIC_KEY / HUB_JWKS_URL)"
        )
    if not settings.pii_key:
        return (
            "HUB_PII_KEY is not set, so reporters' contacts would be encrypted with a key "
            "derived from the token secret; set HUB_PII_KEY (make one with `hub pii key`)"
        )
    return None


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database named by HUB_DATABASE_URL up to REVISION."""
    asyncio.run(_migrate("upgrade", revision))
    console.print(f"[green]database at {revision}[/]")


@db_app.command("downgrade")
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


@app.command()
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


@app.command()
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


@app.command("bench-data")
def bench_data(
    cases: Annotated[int, typer.Option(min=1, help="How many cases to add.")],
    days: Annotated[int, typer.Option(min=1, help="Reported over the last DAYS days.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic traffic.")] = 2026,
) -> None:
    """Fill the database (migrated first) with realistic synthetic cases, for benchmarks."""
    started = time.perf_counter()
    made = asyncio.run(_bench_data(cases, days, seed))
    elapsed = time.perf_counter() - started
    console.print(f"added {made:,} cases in {elapsed:.1f}s ({made / elapsed:,.0f} cases/s)")


async def _bench_data(cases: int, days: int, seed: int) -> int:
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
        )
    finally:
        await engine.dispose()


@app.command()
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


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="The actor's role.", case_sensitive=False)],
    jurisdiction: Annotated[str | None, typer.Option(help="Jurisdiction code.")] = None,
    department: Annotated[str | None, typer.Option(help="Department code.")] = None,
    sub: Annotated[str | None, typer.Option(help="Subject (who); derived if omitted.")] = None,
    ttl_minutes: Annotated[int | None, typer.Option(min=1, help="Lifetime.")] = None,
) -> None:
    """Print a JWT signed with the configured secret."""
    problem = _claims_problem(role, jurisdiction, department) or _unknown_code(
        jurisdiction, department
    )
    if problem:
        raise typer.BadParameter(problem)
    if role is Role.DEPARTMENT and sub is None:
        sub = f"department:{department}"  # each department its own subject
    ttl = dt.timedelta(minutes=ttl_minutes) if ttl_minutes else None
    typer.echo(
        mint(
            get_settings(),
            role=role,
            sub=sub,
            jurisdiction=jurisdiction,
            department=department,
            ttl=ttl,
        )
    )


# The jurisdiction level each role acts at (its code's length), for tokens minted here.
_JURISDICTION_LENGTHS = {
    Role.DISTRICT_PLATFORM: (6,),
    Role.STREET_OFFICE: (9,),
    Role.GRID_WORKER: (15,),
}


def _claims_problem(role: Role, jurisdiction: str | None, department: str | None) -> str | None:
    lengths = _JURISDICTION_LENGTHS.get(role)
    if lengths and not jurisdiction:
        return f"a {role.value} token needs --jurisdiction"
    valid = jurisdiction is None or (jurisdiction.isascii() and jurisdiction.isdigit())
    if not valid or (lengths and jurisdiction and len(jurisdiction) not in lengths):
        return f"--jurisdiction {jurisdiction!r} is not a {role.value}'s division code"
    if role is Role.DEPARTMENT and not department:
        return "a DEPARTMENT token needs --department (e.g. 110102.URBAN_MANAGEMENT)"
    return None


def _unknown_code(jurisdiction: str | None, department: str | None) -> str | None:
    """A code the database does not know would make a token that sees or does nothing."""
    if jurisdiction is None and department is None:
        return None
    url = get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return f"no database at {parsed.database} to check the codes in (HUB_DATABASE_URL)"
    return asyncio.run(_unknown_in(url, jurisdiction, department))


async def _unknown_in(url: str, jurisdiction: str | None, department: str | None) -> str | None:
    parsed = make_url(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            if jurisdiction is not None:
                table = Grid if len(jurisdiction) == 15 else Jurisdiction
                known = await connection.scalar(
                    select(table.code).where(table.code == jurisdiction)
                )
                if known is None:
                    return f"--jurisdiction {jurisdiction!r}: no such division in the hub"
            if department is not None:
                known = await connection.scalar(
                    select(Department.code).where(Department.code == department)
                )
                if known is None:
                    return f"--department {department!r}: no such department in the hub"
    except (DBAPIError, OSError) as error:
        return f"cannot read the codes from {parsed.render_as_string()}: run `hub init` ({error})"
    finally:
        await engine.dispose()
    return None


audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
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


pii_app = typer.Typer(help="Reporter contacts' encryption key.", no_args_is_help=True)
app.add_typer(pii_app, name="pii")


@pii_app.command("key")
def pii_key() -> None:
    """Print a new key for HUB_PII_KEY."""
    typer.echo(Fernet.generate_key().decode())


@pii_app.command("rotate")
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


@app.command("backup")
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


@app.command("restore")
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
