"""A bulk fill without the batch tables' secondary indexes leaves those the migrations make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from hub import migrate
from hub.cases.batch import WRITTEN, indexes_deferred
from hub.db import create_engine, create_indexes, create_sessionmaker, drop_indexes
from tests.support.databases import private_database


def _indexes(connection: Any) -> dict[str, list[Any]]:
    found = inspect(connection)
    return {
        table.name: sorted(
            (index["name"], tuple(index["column_names"]), bool(index["unique"]))
            for index in found.get_indexes(table.name)
        )
        for table in WRITTEN
    }


async def _definitions(connection: Any, dialect: str) -> list[Any]:
    """What each index is, as the database says it (its own DDL)."""
    if dialect == "postgresql":
        rows = await connection.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        )
    else:
        rows = await connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        )
    return sorted(tuple(row) for row in rows)


async def test_indexes_made_again_are_those_the_migrations_make(
    backend: str, workdir: Path
) -> None:
    async with private_database(backend, workdir) as url:
        engine = create_engine(url)
        try:
            await migrate.upgrade(engine)
            async with engine.connect() as connection:
                migrated = await connection.run_sync(_indexes)
                defined = await _definitions(connection, backend)
            # when a fill runs with the indexes deferred, then they are back as they were
            sessions = create_sessionmaker(engine)
            async with sessions() as session, session.begin(), indexes_deferred(session):
                connection = await session.connection()
                during = await connection.run_sync(_indexes)
            assert sum(map(len, during.values())) < sum(map(len, migrated.values()))
            async with engine.connect() as connection:
                assert await connection.run_sync(_indexes) == migrated
                assert await _definitions(connection, backend) == defined
            # and indexes dropped and left missing (a fill stopped half-way) are made again
            async with engine.begin() as connection:
                await drop_indexes(connection, WRITTEN)
            async with engine.begin() as connection:
                assert await create_indexes(connection, WRITTEN) > 0
                assert await create_indexes(connection, WRITTEN) == 0
            async with engine.connect() as connection:
                assert await _definitions(connection, backend) == defined
        finally:
            await engine.dispose()
