"""``hub backup DIR`` and ``hub restore FILE``: the database named by ``HUB_DATABASE_URL``.

PostgreSQL goes through ``pg_dump --format=custom`` and ``pg_restore`` (Debian's
``postgresql-client``), which take a consistent snapshot while the hub keeps serving. SQLite
goes through SQLite's online backup API, page by page, also while the hub writes.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def backup(url: str, directory: Path, *, now: dt.datetime | None = None) -> Path:
    """Write one backup file into ``directory`` and return its path."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    directory.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        target = directory / f"hub-{stamp}.dump"
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _dsn(url)])
        return target
    if backend == "sqlite":
        target = directory / f"hub-{stamp}.sqlite3"
        _copy_sqlite(_sqlite_path(url), target)
        return target
    raise BackupError(f"no backup for {backend} databases")


def restore(url: str, source: Path) -> None:
    """Replace the database's contents with ``source`` (a file ``backup`` wrote)."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_dsn(url)}",
                str(source),
            ]
        )
    elif backend == "sqlite":
        _copy_sqlite(source, _sqlite_path(url))
    else:
        raise BackupError(f"no restore for {backend} databases")


def _copy_sqlite(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is missing: apt-get install postgresql-client") from error
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} failed: {error.stderr.strip()}") from error
