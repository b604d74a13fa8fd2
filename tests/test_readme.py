"""The README's examples, run as written against a hub holding the demo's stories.

Each fenced example is taken from README.md itself, so an example that drifts from the hub fails
here: its GraphQL documents are sent to the hub and must answer without errors, and its shell
examples run in bash with only the demo's address (127.0.0.1:8000) moved to the test hub's.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.auth.actors import Role
from hub.db import create_engine, create_sessionmaker
from hub.demo.load import load_demo_data
from tests.conftest import TEST_SECRET, GraphQLClient, HubServer, empty_mutable_tables

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text("utf-8")
DEMO = "127.0.0.1:8000"


def blocks(language: str) -> list[str]:
    """The README's fenced examples in ``language``, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", README, re.MULTILINE | re.DOTALL)


def block(language: str, containing: str) -> str:
    [found] = [text for text in blocks(language) if containing in text]
    return found


def documents(example: str) -> list[str]:
    """A GraphQL example's documents: each starts after a comment line or a blank line."""
    parts = re.split(r"^(?:#.*|\s*)\n", example, flags=re.MULTILINE)
    return [part for part in parts if part.strip()]


@pytest.fixture(scope="module")
async def demo(hub_server: HubServer) -> AsyncIterator[HubServer]:
    """The shared hub with the demo's stories (no synthetic month) loaded beside Beijing, once
    for this file's examples; the database is emptied of them before and after."""
    url = hub_server.settings.database_url
    await empty_mutable_tables(url)
    engine = create_engine(url)
    try:
        await load_demo_data(create_sessionmaker(engine), hub_server.settings, cases_per_day=0)
    finally:
        await engine.dispose()
    yield hub_server
    await empty_mutable_tables(url)


def sh(script: str, server: HubServer) -> str:
    """A README shell example in bash, pointed at the test hub; its standard output."""
    return _run(["bash", "-euo", "pipefail", "-c", _moved(script, server)], server)


def _run(command: list[str], server: HubServer) -> str:
    """A command run from the repository's root as README's examples are; its standard output."""
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=_env(server),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def _moved(script: str, server: HubServer) -> str:
    """The example pointed at the test hub instead of the demo's address."""
    return script.replace(DEMO, server.url.removeprefix("http://"))


def _env(server: HubServer) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_DATABASE_URL": server.settings.database_url,
        "HUB_JWT_SECRET": TEST_SECRET,
    }


async def test_every_graphql_example_answers_without_errors(
    demo: HubServer, gql: GraphQLClient
) -> None:
    city = demo.token(Role.CITY_PLATFORM, jurisdiction="110000")
    answers: list[dict[str, Any]] = []
    for example in blocks("graphql"):
        for document in documents(example):
            answers.append(await gql.execute(document, token=city))
    # each document answered (execute raises on errors); the examples find what they say
    located, area, xicheng, categories, hotspots, webhook = answers
    assert located["locate"]["district"]["name"] == "东城区"
    assert area["locateArea"]["crossesBoundary"] is True
    assert len(xicheng["jurisdiction"]["children"]) == 15
    assert xicheng["departments"]["totalCount"] > 0
    assert categories["categories"]
    assert hotspots["hotspots"]["totalHotspots"] >= 1  # Daxing's leaking roofs, 2016–2017
    # dept.example.org stands for a department's server: where it resolves (a public resolver),
    # the webhook is made; on a machine without DNS it is refused as unresolvable, and nothing else
    created = webhook["createWebhook"]
    refusals = [(error["code"], error["message"]) for error in created["errors"]]
    unresolved = ("WEBHOOK_URL_REFUSED", "the host 'dept.example.org' does not resolve")
    assert bool(created["secret"]) if not refusals else refusals == [unresolved]


async def test_the_shell_examples_run_as_written(demo: HubServer, gql: GraphQLClient) -> None:
    # querying with curl
    located = json.loads(sh(block("sh", "curl -s http://127.0.0.1:8000/graphql"), demo))
    assert located["data"]["locate"]["district"]["name"] == "东城区"
    # minting tokens: each one is accepted for who it names
    tokens = sh(block("sh", "hub token --role STREET_OFFICE"), demo).split()
    assert len(tokens) == 2
    for token, role in zip(tokens, ["STREET_OFFICE", "DEPARTMENT"], strict=True):
        me = await gql.execute("{ me { role } }", token=token)
        assert me["me"]["role"] == role
    # standing connections
    listed = sh(block("sh", "hub connections add"), demo)
    assert "hotline-12345" in listed
    assert "open311" in listed
    # Open311: a key, the services, a request filed and then found among the open ones
    services, filed, found = _json_values(sh(block("sh", "open311-key create"), demo))
    assert any(service["service_code"] == "GARBAGE" for service in services)
    [request] = filed
    assert request["service_request_id"] in {r["service_request_id"] for r in found}


def _json_values(text: str) -> list[Any]:
    """The JSON documents curl printed one after another (it adds no newline)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        value, at = decoder.raw_decode(text, at)
        values.append(value)
    return values


def test_the_subscription_example_hears_the_story_whistles(demo: HubServer, tmp_path: Path) -> None:
    example = block("sh", "watch.mjs")
    # "in an empty folder": the two packages `npm install` would fetch are the suite's own
    (tmp_path / "node_modules").symlink_to(ROOT / "tests" / "js" / "node_modules")
    script = example.replace("npm install graphql-ws ws\n", "").replace("/path/to/hub", str(ROOT))
    script = script.replace("node watch.mjs", "exec node watch.mjs")
    with subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", _moved(script, demo)],
        cwd=tmp_path,
        env=_env(demo),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as watcher:
        try:
            first = _first_line(watcher, deadline=60)
        finally:
            watcher.kill()
    event = json.loads(first)["whistleEvents"]
    assert event["whistle"]["number"]
    assert event["type"]


def _first_line(process: subprocess.Popen[str], *, deadline: float) -> str:
    """The process's first line of output, waiting at most ``deadline`` seconds for it."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ends = time.monotonic() + deadline
        while time.monotonic() < ends:
            if selector.select(timeout=ends - time.monotonic()):
                line = process.stdout.readline()
                if line:
                    return line
                break
    assert process.stderr is not None
    pytest.fail(f"the watcher printed nothing: {process.stderr.read()[-2000:]}")


def test_the_whistle_walkthrough_script_walks_a_whistle_to_resolved(demo: HubServer) -> None:
    walk = [".venv/bin/python", "scripts/walk_a_whistle.py", "--url", f"{demo.url}/graphql"]
    assert "RESOLVED" in _run(walk, demo)
