"""The bulk path and the service path make the same cases, dispatches and timelines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.contract import AdapterContext
from adapters.hotline import HotlineAdapter, HotlineSettings
from adapters.runner import sync
from adapters.testdata.hotline import make_hotline_export
from hub.cases.models import Case, CaseDispatch, CaseEvent, CaseExternalRef, CaseJurisdiction
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, utcnow
from hub.geo.index import GeoIndex
from hub.pii import reveal
from tests.adapters.support import execute
from tests.conftest import MUTABLE_TABLES

pytestmark = pytest.mark.usefixtures("clean")

SKIP = {"id", "number", "created_at", "reporter_contact", "lat", "lng"}


async def _snapshot(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    """Every hotline case by order number, with its place, dispatches and timeline."""
    found: dict[str, Any] = {}
    refs = await session.execute(
        select(CaseExternalRef.external_id, CaseExternalRef.source_version, Case).join(
            Case, Case.id == CaseExternalRef.case_id
        )
    )
    for order, version, case in refs:
        fields = {c.key: getattr(case, c.key) for c in Case.__table__.columns if c.key not in SKIP}
        fields["contact"] = reveal(settings, case.reporter_contact)
        # Untouched since intake, a case was last updated when the run took it in.
        fields["updated_at"] = None if case.updated_at == case.created_at else case.updated_at
        fields["point"] = (round(case.lng, 7), round(case.lat, 7)) if case.lng else None
        dispatches = await session.scalars(
            select(CaseDispatch).where(CaseDispatch.case_id == case.id)
        )
        events = await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        places = await session.scalars(
            select(CaseJurisdiction.subdistrict_code).where(CaseJurisdiction.case_id == case.id)
        )
        found[order] = {
            "case": fields,
            "version": version,
            "places": sorted(places),
            "dispatches": sorted(
                (
                    d.department_code,
                    d.status,
                    d.note,
                    d.dispatched_at,
                    d.responded_at,
                    d.resolved_at,
                )
                for d in dispatches
            ),
            "events": [(e.type, e.at, e.actor, e.note, e.data) for e in events],
        }
    return found


async def _run(settings: Settings, path: Path, *, bulk: bool) -> dict[str, Any]:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        geo = GeoIndex()
        await geo.load(sessionmaker)
        context = AdapterContext(settings=settings, geo=geo, now=utcnow)
        options = HotlineSettings(source=str(path), bulk=bulk, batch_size=70)
        run = await sync(adapter=HotlineAdapter(options, context), sessionmaker=sessionmaker)
        assert run.created > 0
        async with sessionmaker() as session:
            return await _snapshot(session, settings)
    finally:
        await engine.dispose()


async def test_bulk_intake_writes_what_the_case_service_writes(
    settings: Settings, tmp_path: Path
) -> None:
    path = make_hotline_export(100, seed=77).write_jsonl(tmp_path / "orders.jsonl")
    # given the same export taken in one record at a time through intake and the case service
    slow = await _run(settings, path, bulk=False)
    await execute(settings.database_url, *(f'DELETE FROM "{t}"' for t in MUTABLE_TABLES))
    # when it is taken in through the bulk path instead
    fast = await _run(settings, path, bulk=True)
    # then every case, place, reference, dispatch and event is the same
    assert fast.keys() == slow.keys()
    for order in slow:
        differ = {
            k: (fast[order]["case"][k], v)
            for k, v in slow[order]["case"].items()
            if fast[order]["case"][k] != v
        }
        assert fast[order] == slow[order], (order, differ)
