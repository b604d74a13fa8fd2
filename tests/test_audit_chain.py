"""The audit log is a hash chain: `hub audit verify` passes on what the hub wrote, and names the
first entry changed or deleted afterwards with plain SQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import text

from hub.config import Settings
from hub.db import create_engine
from tests.cases.factories import REPORT, Actors, mutate
from tests.conftest import TEST_SECRET, GraphQLClient, HubServer

pytestmark = pytest.mark.usefixtures("clean")

LUGU = {"lat": 39.900, "lng": 116.235}  # 鲁谷街道 (110107011)
TIANANMEN = {"lat": 39.9087, "lng": 116.3975}  # Dongcheng


def verify(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_DATABASE_URL": settings.database_url, "HUB_JWT_SECRET": TEST_SECRET}
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def sql(settings: Settings, statement: str) -> Any:
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement))
            return result.all() if result.returns_rows else None
    finally:
        await engine.dispose()


def report(ref: str, location: dict[str, float] = LUGU) -> dict[str, Any]:
    return {
        "description": "井盖缺失",
        "categoryCode": "ROAD_DAMAGE",
        "source": "HOTLINE_12345",
        "location": location,
        "externalRef": {"system": "hotline", "id": ref},
    }


async def a_day_of_mutations(gql: GraphQLClient, hub_server: HubServer) -> None:
    """Reports (some refused, some racing each other on one reference, some in parallel),
    a refusal before any resolver ran, and an anonymous attempt."""
    actors = Actors(hub_server)
    lugu = Actors.street(hub_server, "110107011")
    await mutate(gql, REPORT, actors.hotline, **report("A-1"))
    await mutate(gql, REPORT, lugu, **report("A-2", TIANANMEN))  # refused: outside its street
    await gql.post(REPORT, {"input": report("A-3")})  # anonymous: refused
    await gql.post(REPORT, {"input": {"description": 5}}, token=actors.city)  # bad variables

    async def one(token: str, ref: str) -> None:
        response = await gql.post(REPORT, {"input": report(ref)}, token=token)
        assert response.status_code == 200, response.text

    tokens = [actors.hotline, actors.city, lugu]
    await asyncio.gather(
        *(one(tokens[i % 3], f"B-{i}") for i in range(12)),
        *(one(tokens[i % 3], "SAME") for i in range(8)),
    )


async def test_verify_passes_after_a_mix_of_mutations_some_of_them_concurrent(
    gql: GraphQLClient, hub_server: HubServer
) -> None:
    await a_day_of_mutations(gql, hub_server)
    [(entries,)] = await sql(hub_server.settings, "SELECT count(*) FROM audit_log")
    assert entries >= 24
    result = verify(hub_server.settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"intact: {entries} entries" in result.stdout


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("UPDATE audit_log SET outcome = 'OK' WHERE id = {middle}", "entry {middle} was changed"),
        ("UPDATE audit_log SET detail = NULL WHERE id = {middle}", "entry {middle} was changed"),
        ("DELETE FROM audit_log WHERE id = {middle}", "entry {after} does not follow"),
        ("DELETE FROM audit_log WHERE id = {last}", "names entry {last}"),
    ],
    ids=["outcome-updated", "detail-updated", "middle-deleted", "last-deleted"],
)
async def test_verify_names_the_first_entry_changed_or_deleted_with_sql(
    gql: GraphQLClient, hub_server: HubServer, tamper: str, named: str
) -> None:
    await a_day_of_mutations(gql, hub_server)
    ids = [row[0] for row in await sql(hub_server.settings, "SELECT id FROM audit_log ORDER BY id")]
    # A refused attempt in the middle of the log (its outcome, its message in detail).
    middle = ids[1]
    places = {"middle": middle, "after": ids[2], "last": ids[-1]}
    await sql(hub_server.settings, tamper.format(**places))
    result = verify(hub_server.settings)
    assert result.returncode == 1, result.stdout
    assert named.format(**places) in result.stdout
