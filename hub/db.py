"""Database plumbing: the declarative base, portable column types and the async engine.

The same models run on SQLite (aiosqlite, WAL) and PostgreSQL (asyncpg). Alembic migrations
are the only way the schema is made (``hub db upgrade``).
"""

from __future__ import annotations

import datetime as dt
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, MetaData, Table, event
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.schema import CreateIndex, DropIndex
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zone type; storing UTC and re-attaching it on the way out keeps
    comparisons and ordering right there too.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def made_on(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for a database of ``dialect``: leaves out what the models
    make only on other databases (``Index(…).ddl_if(dialect=…)``), such as PostgreSQL's trigram
    indexes, so that comparing models with a database sees only what it should hold."""

    def include(obj: Any, _name: Any, _type: Any, reflected: bool, _compare_to: Any) -> bool:
        rule = getattr(obj, "_ddl_if", None)
        if reflected or rule is None or rule.dialect is None:
            return True
        wanted = {rule.dialect} if isinstance(rule.dialect, str) else set(rule.dialect)
        return dialect in wanted

    return include


def secondary_indexes(tables: Iterable[Table], dialect: str) -> list[Index]:
    """The tables' indexes that the models make on ``dialect`` and no constraint stands on
    (unique ones stay: they keep the rows right while they are written)."""
    include = made_on(dialect)
    return [
        index
        for table in tables
        for index in sorted(table.indexes, key=lambda index: str(index.name))
        if not index.unique and include(index, index.name, "index", False, None)
    ]


async def drop_indexes(connection: AsyncConnection, tables: Iterable[Table]) -> None:
    """Drop the tables' secondary indexes (those there are) for a bulk write; in the caller's
    transaction, so a rollback (both databases' DDL is transactional) brings them back."""
    for index in secondary_indexes(tables, connection.dialect.name):
        await connection.execute(DropIndex(index, if_exists=True))


async def create_indexes(connection: AsyncConnection, tables: Iterable[Table]) -> int:
    """Make those of the tables' secondary indexes that are missing, as the models (and so the
    migrations) define them; how many were made."""
    dialect = connection.dialect.name
    wanted = secondary_indexes(tables, dialect)
    if dialect == "postgresql":
        # Building an index sorts the whole table: give the sort room (this transaction only).
        await connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    present = await connection.run_sync(
        lambda sync: {
            index["name"]
            for table in {index.table.name for index in wanted if index.table is not None}
            for index in sa_inspect(sync).get_indexes(table)
        }
    )
    made = 0
    for index in wanted:
        if index.name not in present:
            await connection.execute(CreateIndex(index, if_not_exists=True))
            made += 1
    return made


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # The database holds Beijing's outlines and every case's indexes: SQLite's default page
    # cache (2 MB) makes bulk writes re-read index pages through system calls; 64 MB of cache
    # and memory-mapped reads cut the time of a bulk case insert by more than half.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """An async engine for ``url``; SQLite files get WAL and enforced foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        # JIT compiling a query plan costs ~100 ms; the hub's statements are pages that
        # run in milliseconds, whose estimated cost (a LIMIT over a big table) misleads it.
        connect_args={"server_settings": {"jit": "off"}},
    )
    event.listen(engine.sync_engine, "checkin", _checked_in)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


# A pooled connection idle this long is pinged before it is handed out (a database restarted
# meanwhile left it dead); one in steady use is not: the ping is a round trip (three outside
# autocommit), and a page's loaders check out several connections per request.
PING_IDLE_SECONDS = 1.0


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    returned = record.info.get("checked_in")
    if returned is None or time.monotonic() - returned < PING_IDLE_SECONDS:
        return  # new (it was just connected), or in steady use
    try:
        dbapi_connection.ping()
    except Exception as error:
        # The pool drops this connection and checks out another (a fresh one if need be).
        raise sa_exc.DisconnectionError(str(error)) from error


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


_READERS: weakref.WeakKeyDictionary[Any, async_sessionmaker[AsyncSession]] = (
    weakref.WeakKeyDictionary()
)


def reading(sessionmaker: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions over the same engine in autocommit, for reads of one statement each (a
    DataLoader's batch, a page): no BEGIN and ROLLBACK around the statement, two round trips
    fewer per session. Never for writes: they need ``sessionmaker``'s transactions."""
    found = _READERS.get(sessionmaker)
    if found is None:
        engine = sessionmaker.kw["bind"]
        found = async_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )
        _READERS[sessionmaker] = found
    return found


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any exception."""
    async with sessionmaker() as session, session.begin():
        yield session


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """``UTCDateTime`` on SQLite, the very text SQLAlchemy's DATETIME stores, in one C call."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is not dt.UTC:
        if zone is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff" without the "+00:00" the aware value prints.
    return value.isoformat(" ", "microseconds")[:26]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to a UTCDateTime column")
    return value


WRITTEN_TABLES = "hub.written_tables"  # session.info: tables inserted into, this transaction


class BulkInsert:
    """One table's INSERT through the driver's executemany (PostgreSQL: its binary COPY), each
    value encoded once.

    ``session.execute(insert(table), rows)`` runs every value through SQLAlchemy's generic
    parameter pipeline, which costs more than the database's own work for narrow rows. This
    compiles the statement once per dialect and encodes each column with the type's own bind
    processor (``UTCDateTime`` with a faster one of the same result; a JSON document shared by
    many rows, such as an event's actor, is encoded once), then hands the driver plain tuples.
    Same rows, same transaction; no RETURNING, no Python-side defaults: every column named must
    be given in every row.
    """

    def __init__(self, table: Any, columns: list[str]) -> None:
        self.table = table
        self.columns = columns
        self._plans: dict[str, _InsertPlan] = {}

    @classmethod
    def of(cls, model: type[Base], columns: Iterable[str] | None = None) -> BulkInsert:
        """For a model's table: the columns named, else every column but an identity key."""
        table = model.__table__
        assert isinstance(table, Table)
        if columns is None:
            columns = [c.key for c in table.columns if c is not table.autoincrement_column]
        return cls(table, list(columns))

    def plan(self, dialect: Dialect) -> _InsertPlan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled = (
                self.table.insert().inline().compile(dialect=dialect, column_keys=self.columns)
            )
            order = list(compiled.positiontup or [])
            assert sorted(order) == sorted(self.columns), "a column without a parameter"
            encoders: list[tuple[int, Callable[[Any], Any], bool]] = []
            for position, name in enumerate(order):
                kind = self.table.c[name].type
                if isinstance(kind, UTCDateTime):
                    fast = _sqlite_datetime if dialect.name == "sqlite" else _aware
                    encoders.append((position, fast, False))
                    continue
                impl = kind.dialect_impl(dialect)
                processor = impl.bind_processor(dialect)
                if processor is not None:
                    encoders.append((position, processor, isinstance(impl, JSON)))
            names = [self.table.c[name].name for name in order]
            plan = _InsertPlan(str(compiled), itemgetter(*order), encoders, names)
            self._plans[dialect.name] = plan
        return plan

    def parameters(self, dialect: Dialect, rows: list[dict[str, Any]]) -> list[Any]:
        """The rows as the driver takes them (one tuple per row)."""
        plan = self.plan(dialect)
        columns = list(zip(*map(plan.getter, rows), strict=True))
        for position, encode, shared in plan.encoders:
            if shared:
                # A JSON document shared by many rows (an event's actor) is encoded once,
                # known by identity: the rows keep every document alive meanwhile.
                memo: dict[int, Any] = {}
                encoded = []
                for value in columns[position]:
                    found = memo.get(id(value), _MISSING)
                    if found is _MISSING:
                        found = memo[id(value)] = encode(value)
                    encoded.append(found)
                columns[position] = tuple(encoded)
            else:
                columns[position] = tuple(map(encode, columns[position]))
        return list(zip(*columns, strict=True))

    async def execute(
        self, session: AsyncSession, rows: list[dict[str, Any]], encoded: list[Any] | None = None
    ) -> None:
        """Write ``rows``; ``encoded`` is ``parameters(dialect, rows)`` if the caller has it."""
        if not rows:
            return
        # Past the ORM: say what was written, for those who watch commits (hub.events.commits).
        session.info.setdefault(WRITTEN_TABLES, set()).add(self.table.name)
        connection = await session.connection()
        parameters = encoded if encoded is not None else self.parameters(connection.dialect, rows)
        plan = self.plan(connection.dialect)
        if connection.dialect.name == "postgresql" and len(parameters) >= COPY_FROM:
            await _copy(connection, self.table.name, plan.columns, parameters)
            return
        await connection.exec_driver_sql(plan.sql, parameters)


COPY_FROM = 64  # rows from which PostgreSQL's COPY beats an executemany


async def _copy(
    connection: AsyncConnection, table: str, columns: list[str], records: list[Any]
) -> None:
    """PostgreSQL's binary COPY through asyncpg, in the session's transaction."""
    # The driver begins its transaction at the first statement: make sure it has begun, so the
    # rows are rolled back with the rest if the transaction is.
    await connection.exec_driver_sql("SELECT 1")
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table, records=records, columns=columns)


_MISSING = object()


@dataclass(frozen=True, slots=True)
class _InsertPlan:
    sql: str
    getter: Callable[[dict[str, Any]], tuple[Any, ...]]
    encoders: list[tuple[int, Callable[[Any], Any], bool]]
    columns: list[str]  # the table's column names, in the order of each row's values
