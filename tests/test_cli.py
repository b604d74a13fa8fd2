"""The real ``hub`` command, run as a process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import inspect, text

from tests.conftest import TEST_SECRET
from tests.support.databases import private_database

HUB = [sys.executable, "-m", "hub.cli"]


def run_hub(
    *args: str, url: str | None = None, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_JWT_SECRET": TEST_SECRET, **(env or {})}
    if url:
        env["HUB_DATABASE_URL"] = url
    return subprocess.run(
        [*HUB, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def test_token_mints_a_jwt_with_the_given_claims(loaded_database: str) -> None:
    result = run_hub(
        "token",
        "--role",
        "DEPARTMENT",
        "--jurisdiction",
        "110102",
        "--department",
        "110102.URBAN_MANAGEMENT",
        url=loaded_database,
    )
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(
        result.stdout.strip(),
        TEST_SECRET,
        algorithms=["HS256"],
        audience="beijing-hub",
        issuer="beijing-hub",
    )
    assert claims["role"] == "DEPARTMENT"
    assert claims["jurisdiction"] == "110102"
    assert claims["department"] == "110102.URBAN_MANAGEMENT"
    assert claims["exp"] > claims["iat"]


def test_token_refuses_an_unknown_role() -> None:
    result = run_hub("token", "--role", "MAYOR")
    assert result.returncode != 0
    assert "MAYOR" in result.stderr


def test_token_refuses_a_role_without_the_ground_it_needs() -> None:
    for args, word in (
        (("--role", "STREET_OFFICE"), "--jurisdiction"),
        (("--role", "DEPARTMENT", "--jurisdiction", "110102"), "--department"),
        (("--role", "STREET_OFFICE", "--jurisdiction", "110102"), "110102"),
    ):
        result = run_hub("token", *args)
        assert result.returncode != 0
        assert word in result.stderr


async def _tables(url: str) -> set[str]:
    from hub.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_db_upgrade_and_downgrade(backend: str, workdir: Path) -> None:
    async with private_database(backend, workdir) as url:
        up = run_hub("db", "upgrade", url=url)
        assert up.returncode == 0, up.stderr
        assert {"jurisdiction", "grid", "case", "whistle", "summons"} <= await _tables(url)
        down = run_hub("db", "downgrade", "base", url=url)
        assert down.returncode == 0, down.stderr
        assert await _tables(url) <= {"alembic_version"}


async def _count(url: str, sql: str) -> int:
    from hub.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(sql))).scalar_one())
    finally:
        await engine.dispose()


async def test_init_loads_reference_data_only_then_demo_adds_its_cases_once(
    backend: str, workdir: Path
) -> None:
    async with private_database(backend, workdir) as url:
        init = run_hub("init", url=url)
        assert init.returncode == 0, init.stderr
        assert "reference data loaded" in init.stdout
        assert await _count(url, "SELECT count(*) FROM jurisdiction") == 1 + 16 + 349 + 7535
        assert await _count(url, "SELECT count(*) FROM department") == 17 * 18 + 349
        assert await _count(url, 'SELECT count(*) FROM "case"') == 0
        assert await _count(url, "SELECT count(*) FROM whistle") == 0
        again = run_hub("init", url=url)
        assert "nothing to do" in again.stdout
        first = run_hub("demo", "--no-serve", "--cases-per-day", "20", url=url)
        assert first.returncode == 0, first.stderr
        assert "built" in first.stdout
        assert "Bearer" in first.stdout
        assert "/board#token=eyJ" in first.stdout  # a link that signs the board in
        assert "locate(point:" in first.stdout
        counts = [
            await _count(url, f'SELECT count(*) FROM "{t}"')
            for t in ("jurisdiction", "grid", "department", "category", "case", "case_event")
        ]
        second = run_hub("demo", "--no-serve", "--cases-per-day", "20", url=url)
        assert second.returncode == 0, second.stderr
        assert "already built" in second.stdout
        assert counts == [
            await _count(url, f'SELECT count(*) FROM "{t}"')
            for t in ("jurisdiction", "grid", "department", "category", "case", "case_event")
        ]
        assert counts[0] == 1 + 16 + 349 + 7535
        assert counts[2] == 17 * 18 + 349
        stories = await _count(url, "SELECT count(*) FROM case_external_ref WHERE system = 'demo'")
        assert stories >= 24  # the seed articles' cases
        assert counts[4] == 20 * 30 + stories  # a synthetic month besides
        assert counts[5] > counts[4]  # every case has its timeline


@pytest.fixture
def served(loaded_database: str) -> Iterator[str]:
    """`hub serve` as its own process on a free port; the URL once uvicorn says it listens."""
    process = subprocess.Popen(
        [*HUB, "serve", "--port", "0"],
        env={**os.environ, "HUB_DATABASE_URL": loaded_database, "HUB_JWT_SECRET": TEST_SECRET},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:
            if match := re.search(r"running on (http://\S+)", line, re.IGNORECASE):
                yield match.group(1)
                break
        else:
            pytest.fail("hub serve exited before listening")
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


def test_serve_answers_graphql(served: str) -> None:
    response = httpx.post(
        f"{served}/graphql", json={"query": '{ jurisdiction(code: "110105") { name } }'}
    )
    assert response.json() == {"data": {"jurisdiction": {"name": "朝阳区"}}}
    assert httpx.get(f"{served}/readyz").status_code == 200


@pytest.mark.backends("sqlite")
def test_demo_on_a_taken_port_fails_before_building(backend: str, tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_hub("demo", "--port", port, url=f"sqlite+aiosqlite:///{database}", timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stdout
    assert "make demo PORT=N" in result.stdout
    assert "Bearer" not in result.stdout
    assert not database.exists()
