"""The baseline for `reportCase`: a hand-written Starlette endpoint, no GraphQL, no ORM.

It records what `reportCase` records for a hotline call at a point, with the fewest statements
one can write by hand, against the same PostgreSQL database: the case (numbered in the hub's own
sequence), its street office, its ``REPORTED`` event and its audit entry chained to the log's
head — one statement for the case and its rows, one to lock and read the chain's head, one to
write the entry and move the head, in one transaction. The JWT is verified with the hub's own
`authenticate`, the point located with the hub's `GeoIndex`, categories and street names are
read once at start-up:

    HUB_DATABASE_URL=postgresql+asyncpg://… .venv/bin/uvicorn bench.handwritten_intake:app

``POST /report`` with ``{"description", "categoryCode", "lat", "lng"}`` and
``Authorization: Bearer <token>``; answers as the hub's mutation does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.audit.chain import entry_hash
from hub.audit.models import AuditEntry
from hub.auth.actors import Role
from hub.auth.tokens import InvalidTokenError, authenticate
from hub.config import get_settings
from hub.db import create_engine, create_sessionmaker
from hub.geo.index import GeoIndex

CASE_SQL = """
WITH n AS (
  INSERT INTO number_sequence (scope, value) VALUES ($1, 1)
  ON CONFLICT (scope) DO UPDATE SET value = number_sequence.value + 1
  RETURNING value
), c AS (
  INSERT INTO "case" (number, title, description, category_code, source, status, priority, lat,
    lng, footprint, grid_code, community_code, subdistrict_code, district_code, crosses_boundary,
    reported_at, respond_by, resolve_by, warn_at, respond_overdue, resolve_overdue, reopen_count,
    warning_level, redispatch_count, themes_matched, created_at, updated_at)
  SELECT $1 || '-' || lpad(n.value::text, 6, '0'), $2, $3, $4, 'HOTLINE_12345', 'RECEIVED',
    'ROUTINE', $5, $6, 'null', $7, $8, $9, $10, false, $11, $12, $13, $14, false, false, 0,
    'GREEN', 0, false, $11, $11
  FROM n
  RETURNING id, number
), e AS (
  INSERT INTO case_event (case_id, type, at, actor, data)
  SELECT c.id, 'REPORTED', $11, $15::jsonb, $16::jsonb FROM c
), j AS (
  INSERT INTO case_jurisdiction (case_id, subdistrict_code) SELECT c.id, $9 FROM c
)
SELECT id, number FROM c
"""
LOCK_HEAD = "UPDATE audit_chain SET last_id = last_id WHERE id = 1 RETURNING last_id, last_hash"
AUDIT_SQL = """
WITH head AS (UPDATE audit_chain SET last_id = $1, last_hash = $12 WHERE id = 1)
INSERT INTO audit_log (id, at, actor_sub, actor_role, actor, operation, target, outcome,
  correlation_id, detail, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10::jsonb, $11, $12)
"""


def _dsn() -> str:
    return get_settings().database_url.replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    engine = create_engine(get_settings().database_url)
    try:
        geo = GeoIndex()
        await geo.load(create_sessionmaker(engine))
    finally:
        await engine.dispose()
    app.state.geo = geo
    app.state.pool = await asyncpg.create_pool(_dsn(), min_size=2, max_size=4)
    async with app.state.pool.acquire() as connection:
        app.state.categories = dict(await connection.fetch("SELECT code, name FROM category"))
        app.state.streets = dict(
            await connection.fetch(
                "SELECT code, name FROM jurisdiction WHERE level = 'SUBDISTRICT'"
            )
        )
    try:
        yield
    finally:
        await app.state.pool.close()


def _refused(code: str, message: str) -> Response:
    errors = [{"code": code, "message": message}]
    return JSONResponse({"data": {"reportCase": {"case": None, "errors": errors}}})


async def report(request: Request) -> Response:
    settings = get_settings()
    try:
        actor = authenticate(settings, request.headers.get("authorization")).actor
    except InvalidTokenError as error:
        return JSONResponse({"error": str(error)}, status_code=401)
    if actor.role is not Role.HOTLINE:
        return _refused("FORBIDDEN", "the hotline's intake")
    body = await request.json()
    state = request.app.state
    category = state.categories.get(body["categoryCode"])
    if category is None:
        return _refused("UNKNOWN_CATEGORY", f"no category {body['categoryCode']!r}")
    lng, lat, grid = state.geo.locate(lng=float(body["lng"]), lat=float(body["lat"]))
    subdistrict, district = grid[:9], grid[:6]
    now = dt.datetime.now(dt.UTC)
    resolve_by = now + dt.timedelta(days=7)
    record = actor.as_record()
    actor_json = json.dumps(record, ensure_ascii=False)
    async with state.pool.acquire() as connection, connection.transaction():
        case = await connection.fetchrow(
            CASE_SQL,
            f"C-{district}-{now.astimezone(dt.timezone(dt.timedelta(hours=8))):%Y%m%d}",
            f"{category}：{state.streets[subdistrict]}",
            body["description"],
            body["categoryCode"],
            lat,
            lng,
            grid,
            grid[:12],
            subdistrict,
            district,
            now,
            now + dt.timedelta(days=1),
            resolve_by,
            now + (resolve_by - now) * 0.8,
            actor_json,
            json.dumps({"source": "HOTLINE_12345", "subdistrict": subdistrict}),
        )
        last_id, last_hash = await connection.fetchrow(LOCK_HEAD)
        entry = _entry(last_id + 1, now, record, case["number"])
        await connection.execute(
            AUDIT_SQL,
            entry.id,
            now,
            entry.actor_sub,
            entry.actor_role,
            actor_json,
            entry.operation,
            entry.target,
            entry.outcome,
            None,
            "null",
            last_hash,
            entry_hash(entry, last_hash),
        )
    return JSONResponse(
        {"data": {"reportCase": {"case": {"number": case["number"]}, "errors": []}}}
    )


def _entry(entry_id: int, at: dt.datetime, actor: dict[str, Any], number: str) -> AuditEntry:
    return AuditEntry(
        id=entry_id,
        at=at,
        actor_sub=actor["sub"],
        actor_role=actor["role"],
        actor=actor,
        operation="reportCase",
        target=number,
        outcome="OK",
        correlation_id=None,
        detail=None,
    )


app = Starlette(routes=[Route("/report", report, methods=["POST"])], lifespan=lifespan)
