"""One contract, every registered adapter: spec, check, read with a typed cursor, provenance.

A sample source per built-in adapter lets each one be read and synced for real; an adapter
registered by another package is held to the spec part (it ships no sample here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters import BUILT_IN, registered
from adapters.contract import (
    AdapterContext,
    AdapterSettings,
    Cursor,
    Parsed,
    Rejection,
    SourceUnavailableError,
)
from adapters.runner import AnyAdapter, sync
from adapters.testdata.hotline import make_hotline_export
from adapters.testdata.others import (
    make_grid_collection,
    make_urban_export,
    open311_requests,
    write_department_files,
)
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, utcnow
from hub.geo.index import GeoIndex
from tests.adapters.conftest import COMMUNITY
from tests.adapters.open311_server import Open311Data, open311_app
from tests.support.server import serve_in_thread

NAMES = sorted(registered())


@pytest.fixture(scope="module")
def open311_url() -> Iterator[str]:
    data = Open311Data(open311_requests(40, now=utcnow()))
    with serve_in_thread(open311_app(data)) as url:
        yield f"{url}/open311/v2"


def _grids(folder: Path) -> str:
    path = folder / "grids.geojson"
    path.write_text(json.dumps(make_grid_collection(COMMUNITY)))
    return str(path)


SAMPLES: dict[str, Callable[[Path], str]] = {
    "hotline-12345": lambda f: str(make_hotline_export(30, seed=3).write_jsonl(f / "o.jsonl")),
    "urban-management": lambda f: str(make_urban_export(12).write(f / "e.jsonl")),
    "grids-geojson": _grids,
    "departments-csv": lambda f: str(write_department_files(f / "roster")),
}


@pytest.fixture
def sample(request: pytest.FixtureRequest, tmp_path: Path, open311_url: str) -> str:
    name = request.node.callspec.params["name"]
    if name == "open311":
        return open311_url
    if name not in SAMPLES:
        pytest.skip(f"{name} ships no sample source")
    return SAMPLES[name](tmp_path)


@pytest.fixture(scope="module")
async def geo(settings: Settings) -> GeoIndex:
    engine = create_engine(settings.database_url)
    index = GeoIndex()
    await index.load(create_sessionmaker(engine))
    await engine.dispose()
    return index


def build(name: str, source: str, settings: Settings, geo: GeoIndex, **options: Any) -> AnyAdapter:
    cls = registered()[name]
    return cls(
        cls.settings_model(source=source, **options),
        AdapterContext(settings=settings, geo=geo, now=utcnow),
    )


def test_every_built_in_adapter_is_registered() -> None:
    assert set(BUILT_IN) <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_it_describes_itself(name: str) -> None:
    cls = registered()[name]
    assert cls.name == name
    assert cls.summary.strip()
    assert issubclass(cls.settings_model, AdapterSettings)
    assert cls.settings_model.model_fields["source"].is_required()
    assert all(f.description for f in cls.settings_model.model_fields.values())
    # the cursor is typed, starts empty and survives a trip through its stored form
    assert issubclass(cls.cursor_model, Cursor)
    start = cls.cursor_model()
    assert cls.cursor_model.model_validate(json.loads(start.model_dump_json())) == start
    with pytest.raises(ValueError, match="Extra inputs"):
        cls.cursor_model.model_validate({"not_a_field": 1})


@pytest.mark.parametrize("name", NAMES)
async def test_check_says_why_a_source_cannot_be_read(
    name: str, settings: Settings, geo: GeoIndex, tmp_path: Path
) -> None:
    missing = "http://127.0.0.1:9/nothing" if name == "open311" else str(tmp_path / "absent")
    with pytest.raises(SourceUnavailableError):
        await build(name, missing, settings, geo).check()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.usefixtures("reference_rows")
async def test_it_reads_typed_batches_of_records_with_provenance(
    name: str, sample: str, settings: Settings, geo: GeoIndex
) -> None:
    adapter = build(name, sample, settings, geo)
    await adapter.check()
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            await adapter.prepare(session)
    finally:
        await engine.dispose()
    seen = 0
    async for batch in adapter.read(adapter.cursor_model()):
        assert isinstance(batch.cursor, adapter.cursor_model)
        results = adapter.parse(batch.records)
        assert len(results) == len(batch.records)
        for result in results:
            if isinstance(result, Rejection):
                assert result.reason.strip()
            else:
                assert isinstance(result, Parsed)
                assert result.provenance.system == name
                assert result.provenance.source_id
        seen += len(batch.records)
    assert seen > 0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.usefixtures("reference_rows")
async def test_reading_the_same_data_twice_changes_nothing(
    name: str, sample: str, settings: Settings, geo: GeoIndex
) -> None:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        first = await sync(adapter=build(name, sample, settings, geo), sessionmaker=sessionmaker)
        again = build(name, sample, settings, geo)
        second = await sync(adapter=again, sessionmaker=sessionmaker, restart=True)
    finally:
        await engine.dispose()
    assert first.created > 0
    assert (second.created, second.updated) == (0, 0)
    assert second.read == first.read
    assert second.unchanged == first.read - first.rejected


def test_an_installed_package_registers_an_adapter_without_touching_the_hub(
    tmp_path: Path,
) -> None:
    # given a package that declares an entry point in the hub.adapters group
    (tmp_path / "roster_plugin.py").write_text(
        "from adapters.departments import DepartmentsAdapter\n\n"
        "class PluginAdapter(DepartmentsAdapter):\n"
        "    name = 'plugin-roster'\n"
        "    summary = 'A roster from a plugin.'\n"
    )
    info = tmp_path / "roster_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: roster-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[hub.adapters]\nplugin-roster = roster_plugin:PluginAdapter\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "COLUMNS": "200"}
    # when the hub lists its adapters, then the plugin is there with its settings
    listed = subprocess.run(
        [sys.executable, "-m", "hub.cli", "adapters"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "plugin-roster — A roster from a plugin." in listed.stdout
    assert "hotline-12345" in listed.stdout
