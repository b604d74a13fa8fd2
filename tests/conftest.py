"""Shared fixtures: per-backend databases loaded with Beijing, and the real app over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.bootstrap import setup_database
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker
from tests.support.databases import configured_backends, private_database
from tests.support.server import serve_in_thread

# The real-browser fixtures (`browser`, `open_page`) for page tests.
pytest_plugins = ["tests.support.browser"]

TEST_SECRET = "test-secret-test-secret-test-secret-0123"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends(*names): run only on these database backends")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out (not skip) the backend variants a test is meaningless on."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backends")
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        (drop if marker and backend and backend not in marker.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", params=configured_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hub")


class LoadedDatabases:
    """Each backend's private database, migrated and loaded with Beijing on first use.

    ``backend`` is a parametrized session fixture, and pytest tears down what depends on it
    whenever the parameter changes: under ``--dist loadfile`` a worker runs a file's SQLite tests,
    then its PostgreSQL ones, then the next file's SQLite ones, so a database built per parameter
    would be built again for almost every file. This holder outlives those switches: each
    worker loads Beijing once per backend and drops the databases at the end of its run.
    """

    def __init__(self, stack: AsyncExitStack, workdir: Path) -> None:
        self._stack = stack
        self._workdir = workdir
        self._urls: dict[str, str] = {}

    async def url(self, backend: str) -> str:
        if backend not in self._urls:
            url = await self._stack.enter_async_context(private_database(backend, self._workdir))
            engine = create_engine(url)
            try:
                await setup_database(engine, create_sessionmaker(engine))
            finally:
                await engine.dispose()
            self._urls[backend] = url
        return self._urls[backend]


@pytest.fixture(scope="session")
async def loaded_databases(workdir: Path) -> AsyncIterator[LoadedDatabases]:
    async with AsyncExitStack() as stack:
        yield LoadedDatabases(stack, workdir)


@pytest.fixture(scope="session")
async def loaded_database(backend: str, loaded_databases: LoadedDatabases) -> str:
    """A private database of this backend, migrated and loaded with Beijing once per run."""
    return await loaded_databases.url(backend)


@pytest.fixture(scope="session")
def settings(loaded_database: str) -> Settings:
    # No background sweeper: tests sweep explicitly, at a time they choose.
    return Settings(
        database_url=loaded_database,
        jwt_secret=TEST_SECRET,
        redis_url=None,
        sweep_interval_seconds=0,
        # Webhooks are delivered by the `hub serve` processes their tests start, not this one.
        webhooks_enabled=False,
        connections_enabled=False,
        # The suite's own traffic is not what the rate limiter is tested with (test_ratelimit).
        rate_limit_per_minute=0,
        rate_limit_anonymous_per_minute=0,
    )


class StatementCounter:
    """Counts SQL statements requests send on the server's engine.

    The live-event feed polls the event tables in the background on the same engine; those
    statements are not the request's and are left out.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "_event" not in statement:
            self.count += 1


@dataclass
class HubServer:
    url: str
    settings: Settings
    statements: StatementCounter

    def token(self, role: Role, **claims: Any) -> str:
        return mint(self.settings, role=role, **claims)


class HubServers:
    """The shared hub server of each backend, started on first use (see ``LoadedDatabases``)."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._servers: dict[str, HubServer] = {}

    def of(self, settings: Settings) -> HubServer:
        if settings.database_url not in self._servers:
            app = create_app(settings)
            counter = StatementCounter()
            event.listen(app.state.hub.engine.sync_engine, "before_cursor_execute", counter)
            url = self._stack.enter_context(serve_in_thread(app))
            self._servers[settings.database_url] = HubServer(url, settings, counter)
        return self._servers[settings.database_url]


@pytest.fixture(scope="session")
def hub_servers() -> Iterator[HubServers]:
    with ExitStack() as stack:
        yield HubServers(stack)


@pytest.fixture(scope="session")
def hub_server(settings: Settings, hub_servers: HubServers) -> HubServer:
    """The real app in a real uvicorn server, on this backend's loaded database."""
    return hub_servers.of(settings)


class GraphQLClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Run an operation that must succeed; return its data."""
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
async def gql(hub_server: HubServer) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=hub_server.url, timeout=30) as client:
        yield GraphQLClient(client)


def expired(settings: Settings) -> str:
    return mint(settings, role=Role.OBSERVER, ttl=dt.timedelta(seconds=-60))


MUTABLE_TABLES = (
    "webhook_delivery",
    "webhook",
    "connection_run",
    "connection",
    "open311_key",
    "adapter_quarantine",
    "adapter_run",
    "adapter_cursor",
    "whistle_event",
    "summons",
    "whistle_case",
    "whistle",
    "monthly_theme_case",
    "monthly_theme",
    "case_supervision",
    "case_extension",
    "case_return",
    "case_event",
    "case_dispatch",
    "case_external_ref",
    "case_jurisdiction",
    "case",
    "audit_log",
    "number_sequence",
)


async def empty_mutable_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for table in MUTABLE_TABLES:
                await connection.execute(text(f'DELETE FROM "{table}"'))
            # The audit log starts afresh, so its hash chain does too.
            await connection.execute(
                text(f"UPDATE audit_chain SET last_id = 0, last_hash = '{'0' * 64}'")
            )
    finally:
        await engine.dispose()


@pytest.fixture
async def clean(settings: Settings) -> AsyncIterator[None]:
    """Start from, and leave, a database without what tests write.

    Emptied before as well as after: under xdist a worker's files come in no fixed order, and a
    file whose tests do not clean up may run just before this one.
    """
    await empty_mutable_tables(settings.database_url)
    yield
    await empty_mutable_tables(settings.database_url)


@contextmanager
def quiet_hub(settings: Settings) -> Iterator[tuple[str, StatementCounter]]:
    """A second hub process that only reads, so the statements it counts are the requests' own.

    The shared server's event feed reads new events after each commit and every second; this
    one commits nothing, polls hourly, and does not wait on gaps in event ids (PostgreSQL leaves
    them after rollbacks) beyond its first look.
    """
    quiet = {"events_poll_seconds": 3600.0, "events_gap_timeout_seconds": 0.001}
    app = create_app(settings.model_copy(update=quiet))
    counter = StatementCounter()
    event.listen(app.state.hub.engine.sync_engine, "before_cursor_execute", counter)
    with serve_in_thread(app) as url:
        yield url, counter
