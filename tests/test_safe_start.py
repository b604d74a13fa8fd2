"""A hub reachable from other machines does not start with the demo's secrets; `hub token`
mints tokens for codes the hub knows only. Through the real `hub` command."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.conftest import TEST_SECRET

HUB = [sys.executable, "-m", "hub.cli"]
PII_KEY = Fernet.generate_key().decode()


def hub(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("HUB_JWT_SECRET", "HUB_PII_KEY")}
    return subprocess.run(
        [*HUB, *args], capture_output=True, text=True, env={**base, **env}, timeout=timeout
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [({}, "HUB_JWT_SECRET"), ({"HUB_JWT_SECRET": TEST_SECRET}, "HUB_PII_KEY")],
    ids=["demo-secret", "no-pii-key"],
)
def test_serve_outside_loopback_refuses_the_demo_secrets(
    loaded_database: str, env: dict[str, str], variable: str
) -> None:
    result = hub(
        "serve", "--host", "0.0.0.0", "--port", "0", HUB_DATABASE_URL=loaded_database, **env
    )
    assert result.returncode == 2
    said = result.stdout + result.stderr
    assert "refuses to listen on 0.0.0.0" in said
    assert variable in said


def test_serve_outside_loopback_starts_with_a_secret_and_a_pii_key(loaded_database: str) -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("HUB_JWT_SECRET", "HUB_PII_KEY")}
    env = {
        **base,
        "HUB_DATABASE_URL": loaded_database,
        "HUB_JWT_SECRET": TEST_SECRET,
        "HUB_PII_KEY": PII_KEY,
    }
    process = subprocess.Popen(
        [*HUB, "serve", "--host", "0.0.0.0", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        listening = any(
            re.search(r"running on http://0\.0\.0\.0:\d+", line, re.I)
            for line in _until_listening(process.stderr)
        )
        assert listening
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


def _until_listening(lines: object) -> list[str]:
    seen = []
    for line in lines:  # type: ignore[attr-defined]
        seen.append(line)
        if "running on" in line.lower():
            break
    return seen


def test_serve_on_loopback_keeps_the_embedded_defaults(loaded_database: str) -> None:
    process = subprocess.Popen(
        [*HUB, "serve", "--port", "0"],
        env={
            **{k: v for k, v in os.environ.items() if k not in ("HUB_JWT_SECRET", "HUB_PII_KEY")},
            "HUB_DATABASE_URL": loaded_database,
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        assert any(
            "running on http://127.0.0.1" in line for line in _until_listening(process.stderr)
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--role", "STREET_OFFICE", "--jurisdiction", "110107999"), "110107999"),
        (("--role", "DISTRICT_PLATFORM", "--jurisdiction", "110199"), "110199"),
        (("--role", "GRID_WORKER", "--jurisdiction", "110107011999999"), "110107011999999"),
        (
            ("--role", "DEPARTMENT", "--jurisdiction", "110102", "--department", "110102.MAGIC"),
            "110102.MAGIC",
        ),
    ],
    ids=["street", "district", "grid", "department"],
)
def test_token_refuses_codes_the_hub_does_not_know(
    loaded_database: str, args: tuple[str, ...], named: str
) -> None:
    result = hub("token", *args, HUB_DATABASE_URL=loaded_database, HUB_JWT_SECRET=TEST_SECRET)
    assert result.returncode != 0
    assert named in result.stderr
    assert "no such" in result.stderr
    assert result.stdout == ""


def test_token_mints_for_codes_the_hub_knows(loaded_database: str) -> None:
    for args in (
        ("--role", "STREET_OFFICE", "--jurisdiction", "110107011"),
        (
            "--role",
            "DEPARTMENT",
            "--jurisdiction",
            "110102",
            "--department",
            "110102.URBAN_MANAGEMENT",
        ),
    ):
        result = hub("token", *args, HUB_DATABASE_URL=loaded_database, HUB_JWT_SECRET=TEST_SECRET)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("eyJ")
