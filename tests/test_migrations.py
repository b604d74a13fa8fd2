"""Alembic is the only way the schema is made: models and migrations agree, up and down."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hub import migrate
from hub.db import create_engine, made_on
from migrations.models import Base
from tests.support.databases import private_database


def _diff(connection):  # type: ignore[no-untyped-def]
    opts = {"compare_type": True, "include_object": made_on(connection.dialect.name)}
    context = MigrationContext.configure(connection, opts=opts)
    return compare_metadata(context, Base.metadata)


def _tables(connection):  # type: ignore[no-untyped-def]
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_migrations_match_models_and_run_up_and_down(backend: str, workdir: Path) -> None:
    async with private_database(backend, workdir) as url:
        engine = create_engine(url)
        try:
            # given an empty database, when migrated to head
            await migrate.upgrade(engine)
            async with engine.connect() as connection:
                # then it holds exactly the models' tables, with no difference left
                assert await connection.run_sync(_tables) == set(Base.metadata.tables)
                assert await connection.run_sync(_diff) == []
            # when migrated down to base, then nothing of ours is left
            await migrate.downgrade(engine, "base")
            async with engine.connect() as connection:
                assert await connection.run_sync(_tables) == set()
            # and it migrates up again cleanly
            await migrate.upgrade(engine)
            async with engine.connect() as connection:
                assert await connection.run_sync(_diff) == []
        finally:
            await engine.dispose()
