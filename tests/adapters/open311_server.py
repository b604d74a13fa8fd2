"""A small GeoReport v2 (Open311) server for the tests, with the spec's limits enforced.

``requests.json`` filters by ``updated_datetime`` between ``start_date`` and ``end_date``
(inclusive), refuses a window longer than 90 days and answers at most 1,000 requests. Every call
is logged so tests can check what the client asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.testdata.others import OPEN311_SERVICES

LIMIT = 1000
MAX_SPAN = dt.timedelta(days=90)


@dataclass
class Open311Data:
    requests: list[dict[str, Any]]
    calls: list[tuple[dt.datetime, dt.datetime, int]] = field(default_factory=list)


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def open311_app(data: Open311Data) -> Starlette:
    async def services(_: Request) -> JSONResponse:
        return JSONResponse(
            [
                {"service_code": code, "service_name": name, "type": "realtime", "metadata": False}
                for code, name in OPEN311_SERVICES.items()
            ]
        )

    async def requests(request: Request) -> JSONResponse:
        try:
            start = _time(request.query_params["start_date"])
            end = _time(request.query_params["end_date"])
        except (KeyError, ValueError):
            return JSONResponse([{"code": 400, "description": "bad dates"}], 400)
        if end - start > MAX_SPAN or end < start:
            return JSONResponse([{"code": 400, "description": "span over 90 days"}], 400)
        found = [r for r in data.requests if start <= _time(r["updated_datetime"]) <= end]
        data.calls.append((start, end, len(found)))
        return JSONResponse(found[:LIMIT])

    async def one(request: Request) -> JSONResponse:
        wanted = request.path_params["id"]
        return JSONResponse([r for r in data.requests if r["service_request_id"] == wanted])

    return Starlette(
        routes=[
            Route("/open311/v2/services.json", services),
            Route("/open311/v2/requests.json", requests),
            Route("/open311/v2/requests/{id}.json", one),
        ]
    )
