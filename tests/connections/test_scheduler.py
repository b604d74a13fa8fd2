"""Standing connections run by the schedulers of two real `hub serve` processes."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from adapters.testdata.hotline import make_hotline_export
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from hub.connections import service
from hub.connections.schedule import Schedule
from hub.db import create_engine, create_sessionmaker, transaction, utcnow
from tests.adapters.support import execute, hub
from tests.conftest import MUTABLE_TABLES, GraphQLClient
from tests.support.processes import HubProcess, eventually, hub_env, hub_processes
from tests.webhooks.conftest import city

CONNECTIONS = """{ connections(first: 10) { nodes {
  id adapter source schedule enabled nextRunAt failures failing lastError
  lastRun { status created } } } }"""
PAUSE = """mutation($input: ConnectionInput!) {
  pauseConnection(input: $input) { connection { enabled } errors { code } } }"""


@pytest.fixture(scope="module")
def hubs(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[HubProcess]]:
    with hub_processes(2, hub_env(settings), tmp_path_factory.mktemp("hubs")) as running:
        yield running


@pytest.fixture
async def gql(hubs: list[HubProcess], settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=hubs[1].url, timeout=30) as client:
        yield GraphQLClient(client)
    await execute(settings.database_url, *(f'DELETE FROM "{t}"' for t in MUTABLE_TABLES))


async def rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql))).all())
    finally:
        await engine.dispose()


async def count_is(url: str, sql: str, wanted: int) -> bool:
    return len(await rows(url, sql)) >= wanted


def write(path: Path, lines: list[dict[str, str]], mode: str = "w") -> None:
    with path.open(mode, encoding="utf-8") as out:
        out.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


async def test_every_row_in_once_and_every_run_once_with_two_processes(
    settings: Settings, gql: GraphQLClient, tmp_path: Path
) -> None:
    url = settings.database_url
    export = make_hotline_export(6, messy=False)
    orders = list(dict.fromkeys(row["order_no"] for row in export.rows))
    first = [row for row in export.rows if row["order_no"] in orders[:3]]
    rest = [row for row in export.rows if row["order_no"] in orders[3:]]
    source = tmp_path / "orders.jsonl"
    write(source, first)
    added = hub(
        "connections", "add", "hotline-12345", "--source", str(source), "--every", "2s", url=url
    )
    assert added.returncode == 0, added.stderr + added.stdout
    refs = "SELECT external_id FROM case_external_ref WHERE system = 'hotline-12345'"

    await eventually(lambda: count_is(url, refs, 3), deadline=90)
    write(source, rest, "a")  # new rows appended while the hubs run
    await eventually(lambda: count_is(url, refs, 6), deadline=90)
    claims_sql = "SELECT id FROM connection_run"
    before = len(await rows(url, claims_sql))
    await eventually(lambda: count_is(url, claims_sql, before + 2), deadline=90)

    paused = await gql.execute(
        PAUSE, {"input": {"connectionId": await _only_id(gql, settings)}}, token=city(settings)
    )
    assert paused["pauseConnection"]["connection"]["enabled"] is False
    await eventually(lambda: _settled(url), deadline=60)

    assert sorted(ref for (ref,) in await rows(url, refs)) == sorted(orders)  # each row once
    claims = await rows(url, "SELECT due_at, run_id FROM connection_run ORDER BY due_at")
    runs = await rows(
        url,
        "SELECT id, status, started_at, finished_at FROM adapter_run "
        "WHERE adapter = 'hotline-12345' ORDER BY started_at",
    )
    assert sorted(run_id for _, run_id in claims) == sorted(run[0] for run in runs)  # run once
    assert {run[1] for run in runs} == {"SUCCEEDED"}
    for earlier, later in itertools.pairwise(runs):
        assert str(later[2]) >= str(earlier[3])  # never two runs of the source at once
    listed = (await gql.execute(CONNECTIONS, token=city(settings)))["connections"]["nodes"]
    assert listed[0]["schedule"] == "every 2s"
    assert listed[0]["lastRun"]["status"] == "SUCCEEDED"
    assert listed[0]["failures"] == 0


async def test_a_failing_connection_backs_off_and_is_marked(
    settings: Settings, gql: GraphQLClient, tmp_path: Path
) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await service.add(
                session=session,
                adapter="hotline-12345",
                source=str(tmp_path / "missing.jsonl"),
                options={},
                schedule=Schedule.parse(every="1s", cron=None),
                now=utcnow(),
            )
    finally:
        await engine.dispose()

    async def marked() -> dict[str, Any] | None:
        found = (await gql.execute(CONNECTIONS, token=city(settings)))["connections"]["nodes"]
        return found[0] if found and found[0]["failing"] else None

    node = await eventually(marked, deadline=90)
    assert node["failures"] >= 3
    assert "missing.jsonl" in node["lastError"]
    assert node["lastRun"]["status"] == "FAILED"


def test_secrets_are_named_never_stored() -> None:
    stored = service.stored_settings({"api_key": "env:PARTNER_KEY", "initial_days": "7"})
    assert stored == {"api_key": {"env": "PARTNER_KEY"}, "initial_days": "7"}
    with pytest.raises(service.InvalidInputError):
        service.stored_settings({"api_key": "o311_in-clear"})


async def _only_id(gql: GraphQLClient, settings: Settings) -> str:
    nodes = (await gql.execute(CONNECTIONS, token=city(settings)))["connections"]["nodes"]
    (node,) = nodes
    return str(node["id"])


async def _settled(url: str) -> bool:
    """No run is in progress: every claim has its run, and every run has finished."""
    open_claims = await rows(url, "SELECT id FROM connection_run WHERE run_id IS NULL")
    running = await rows(url, "SELECT id FROM adapter_run WHERE status = 'RUNNING'")
    return not open_claims and not running


RUN_NOW = """mutation($input: ConnectionInput!) {
  runConnectionNow(input: $input) { connection { nextRunAt } errors { code field } } }"""


async def test_run_now_is_refused_while_a_run_is_in_progress_and_taken_once_it_ends(
    settings: Settings, gql: GraphQLClient, tmp_path: Path
) -> None:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        # given a connection whose due run a process has claimed and is running
        async with transaction(sessionmaker) as session:
            row = await service.add(
                session=session,
                adapter="hotline-12345",
                source=str(tmp_path / "orders.jsonl"),
                options={},
                schedule=Schedule.parse(every="1h", cron=None),
                now=utcnow(),
            )
            claim = await service.claim(
                session=session, row=row, me="another-process", now=utcnow(), lease=600
            )
            assert claim is not None
        token = city(settings)
        (before,) = (await gql.execute(CONNECTIONS, token=token))["connections"]["nodes"]
        # (found by its global id too, by the platforms only)
        node = "query($id: ID!) { node(id: $id) { ... on Connection { source nextRunAt } } }"
        found = await gql.execute(node, {"id": before["id"]}, token)
        assert found["node"] == {"source": before["source"], "nextRunAt": before["nextRunAt"]}
        street = mint(settings, role=Role.STREET_OFFICE, jurisdiction="110105001", sub="s")
        assert (await gql.execute(node, {"id": before["id"]}, street))["node"] is None
        # when it is asked to run now, it is refused, and its lease stands
        answer = await gql.execute(RUN_NOW, {"input": {"connectionId": before["id"]}}, token)
        assert answer["runConnectionNow"]["errors"] == [
            {"code": "CONNECTION_RUNNING", "field": "connectionId"}
        ]
        (after,) = (await gql.execute(CONNECTIONS, token=token))["connections"]["nodes"]
        assert after["nextRunAt"] == before["nextRunAt"]
        assert dt.datetime.fromisoformat(after["nextRunAt"]) == claim.lease_until
        # and once the run has ended, it is due at once
        async with transaction(sessionmaker) as session:
            await service.finish(
                session=session,
                claim=claim,
                run_id=None,
                error=None,
                now=utcnow(),
                retry_base=1,
                retry_ceiling=1,
            )
        answer = await gql.execute(RUN_NOW, {"input": {"connectionId": before["id"]}}, token)
        assert answer["runConnectionNow"]["errors"] == []
        due = dt.datetime.fromisoformat(answer["runConnectionNow"]["connection"]["nextRunAt"])
        assert due <= utcnow()
    finally:
        await engine.dispose()
