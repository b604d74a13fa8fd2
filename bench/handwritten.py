"""The baseline for a front end's page: a hand-written Starlette endpoint, no GraphQL.

It serves the same JSON as the hub's ``cases`` query of ``bench.bench_city.LIST_VIEW`` (a
district's newest cases with category, street office, district, dispatches with their
departments and the latest three events) from the same PostgreSQL database, in one statement
(the nested lists aggregated as JSON by the database), with the same JWT verification:

    HUB_DATABASE_URL=postgresql+asyncpg://… .venv/bin/uvicorn bench.handwritten:app --port 8011

``GET /cases?district=110105&first=20`` with ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.auth.actors import Role
from hub.auth.tokens import InvalidTokenError, authenticate
from hub.config import get_settings
from hub.geo.service import code_range
from hub.pagination import encode_cursor

# Cases placed in the district, or crossing into it, newest first; the page's relations in the
# same statement.
PAGE_SQL = """
WITH page AS (
  SELECT c.id, c.number, c.title, c.status, c.reported_at, c.respond_by, c.address,
         c.category_code, c.subdistrict_code, c.district_code
  FROM "case" c
  WHERE c.district_code = $1
     OR (c.crosses_boundary AND EXISTS (
           SELECT 1 FROM case_jurisdiction j
           WHERE j.case_id = c.id AND j.subdistrict_code >= $2 AND j.subdistrict_code < $3))
  ORDER BY c.reported_at DESC, c.id DESC
  LIMIT $4
)
SELECT p.id, p.number, p.title, p.status, p.reported_at, p.respond_by, p.address,
       p.category_code, cat.name AS category_name, p.subdistrict_code, s.name AS subdistrict_name,
       p.district_code, d.name AS district_name,
       (SELECT coalesce(json_agg(json_build_object(
                 'status', cd.status,
                 'department', json_build_object('code', dep.code, 'name', dep.name))
               ORDER BY cd.id), '[]')
        FROM case_dispatch cd JOIN department dep ON dep.code = cd.department_code
        WHERE cd.case_id = p.id) AS dispatches,
       (SELECT coalesce(json_agg(json_build_object('type', e.type, 'at', e.at) ORDER BY e.id),
                        '[]')
        FROM (SELECT id, type, at FROM case_event WHERE case_id = p.id
              ORDER BY id DESC LIMIT 3) e) AS events
FROM page p
JOIN category cat ON cat.code = p.category_code
JOIN jurisdiction s ON s.code = p.subdistrict_code
JOIN jurisdiction d ON d.code = p.district_code
ORDER BY p.reported_at DESC, p.id DESC
"""


def _dsn() -> str:
    return get_settings().database_url.replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async def init(connection: asyncpg.Connection) -> None:
        await connection.execute("SET jit = off")

    app.state.pool = await asyncpg.create_pool(_dsn(), min_size=2, max_size=4, init=init)
    try:
        yield
    finally:
        await app.state.pool.close()


def _node(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "number": row["number"],
        "title": row["title"],
        "status": row["status"],
        "reportedAt": row["reported_at"].isoformat(),
        "respondBy": row["respond_by"].isoformat() if row["respond_by"] else None,
        "address": row["address"],
        "category": {"code": row["category_code"], "name": row["category_name"]},
        "subdistrict": {"code": row["subdistrict_code"], "name": row["subdistrict_name"]},
        "district": {"code": row["district_code"], "name": row["district_name"]},
        "dispatches": json.loads(row["dispatches"]),
        "events": json.loads(row["events"]),
    }


async def cases(request: Request) -> Response:
    settings = get_settings()
    try:
        actor = authenticate(settings, request.headers.get("authorization")).actor
    except InvalidTokenError as error:
        return JSONResponse({"error": str(error)}, status_code=401)
    if actor.role is not Role.CITY_PLATFORM:  # the city platform sees every case
        return JSONResponse({"error": "the city platform's page"}, status_code=403)
    district = request.query_params.get("district", "110105")
    first = min(int(request.query_params.get("first", "20")), 100)
    bounds = code_range(district)
    async with request.app.state.pool.acquire() as connection:
        rows = await connection.fetch(
            PAGE_SQL, district, bounds["prefix"], bounds["next"], first + 1
        )
    page = rows[:first]
    end = encode_cursor((page[-1]["reported_at"], page[-1]["id"])) if page else None
    body = {
        "data": {
            "cases": {
                "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": end},
                "edges": [{"node": _node(row)} for row in page],
            }
        }
    }
    return JSONResponse(body)


app = Starlette(routes=[Route("/cases", cases)], lifespan=lifespan)
