"""`hub backup` / `hub restore` on both databases, and `hub pii rotate`."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import text

from hub.auth.actors import Role
from hub.db import create_engine
from tests.cases.factories import REPORT, ok
from tests.conftest import GraphQLClient, HubServer
from tests.support.databases import private_database
from tests.test_cli import run_hub

CONTACT = "13812341234"


async def _scalar(url: str, sql: str) -> object:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql))).scalar_one()
    finally:
        await engine.dispose()


async def test_a_backup_restores_into_an_empty_database_and_contacts_rotate_to_a_new_key(
    hub_server: HubServer, gql: GraphQLClient, clean: None, backend: str, workdir: Path
) -> None:
    url = hub_server.settings.database_url
    hotline = hub_server.token(Role.HOTLINE, jurisdiction="110000")
    case = await ok(
        gql,
        REPORT,
        hotline,
        description="井盖缺失",
        categoryCode="OTHER",
        source="HOTLINE_12345",
        location={"lat": 39.8802, "lng": 116.3162},
        reporterContact=CONTACT,
    )
    # given a backup taken while the hub serves
    made = run_hub("backup", str(workdir / f"backups-{backend}"), url=url)
    assert made.returncode == 0, made.stdout + made.stderr
    dump = Path(made.stdout.strip().splitlines()[-1])
    # when it is restored into an empty database
    async with private_database(backend, workdir) as copy:
        restored = run_hub("restore", str(dump), url=copy)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        number_sql = f"SELECT number FROM \"case\" WHERE number = '{case['number']}'"
        assert await _scalar(copy, number_sql) == case["number"]
        assert await _scalar(copy, "SELECT count(*) FROM jurisdiction") == 1 + 16 + 349 + 7535
    # and the contacts are rotated to a new key, the old one still listed
    new_key = run_hub("pii", "key").stdout.strip()
    rotated = run_hub("pii", "rotate", url=url, env={"HUB_PII_KEY": new_key})
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "rotated 1 contact(s); 0 unreadable" in rotated.stdout
    stored = await _scalar(
        url, f"SELECT reporter_contact FROM \"case\" WHERE number = '{case['number']}'"
    )
    assert isinstance(stored, bytes)
    assert Fernet(new_key.encode()).decrypt(stored).decode() == CONTACT


def test_a_restore_of_a_missing_file_fails_clearly(workdir: Path) -> None:
    result = run_hub("restore", str(workdir / "nothing.dump"))
    assert result.returncode == 1
    assert "is not a file" in result.stdout
