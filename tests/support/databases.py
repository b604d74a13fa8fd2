"""Test databases: a fresh, private database per test run on every configured backend.

Backends come from ``HUB_TEST_BACKENDS`` (comma-separated: ``sqlite``, ``postgresql``);
PostgreSQL is reached through ``HUB_TEST_POSTGRES_URL`` (an admin URL: the run creates its
own databases there and drops them afterwards). ``.ci/run`` sets both.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def configured_backends() -> list[str]:
    names = [name.strip() for name in os.environ.get("HUB_TEST_BACKENDS", "sqlite").split(",")]
    unknown = set(names) - {"sqlite", "postgresql"}
    if unknown:
        raise RuntimeError(f"unknown HUB_TEST_BACKENDS: {sorted(unknown)}")
    return [name for name in names if name]


def redis_test_url() -> str:
    return os.environ.get("HUB_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_admin_url() -> str:
    return os.environ.get("HUB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def private_database(backend: str, workdir: Path) -> AsyncIterator[str]:
    """Yield the SQLAlchemy URL of a new empty database; drop it afterwards."""
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        path = workdir / f"{name}.sqlite3"
        yield f"sqlite+aiosqlite:///{path}"
        _remove_sqlite_files(path)
        return
    admin = postgres_admin_url()
    connection = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(_asyncpg_dsn(admin))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
