"""The GeoReport v2 endpoints under ``/open311/v2/``, each as ``.json`` or ``.xml``.

Services and discovery are public.  Reading requests (their cases are not public in the hub)
and filing one need the client system's ``api_key``; a key reads what its jurisdiction's
platform may read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hub.audit import service as audit
from hub.auth.actors import Actor
from hub.config import Settings
from hub.db import transaction, utcnow
from hub.errors import DomainError
from hub.geo.index import GeoIndex
from hub.open311 import keys
from hub.open311 import requests as service_requests
from hub.open311.render import FORMATS, answer, error
from hub.open311.services import all_services

PREFIX = "/open311/v2"
MAX_POST_BYTES = 64 * 1024
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-01T00:00:00+08:00"

Endpoint = Callable[[Request, str], Awaitable[Response]]


class Open311:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        geo: GeoIndex,
        settings: Settings,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.geo = geo
        self.settings = settings

    def routes(self) -> list[BaseRoute]:
        def route(path: str, endpoint: Endpoint, methods: list[str] | None = None) -> Route:
            async def handle(request: Request) -> Response:
                fmt = request.path_params["fmt"]
                if fmt not in FORMATS:
                    return error("json", 404, f"no format {fmt!r}: use .json or .xml")
                try:
                    return await endpoint(request, fmt)
                except service_requests.RequestError as refused:
                    return error(fmt, 400, refused.message)

            return Route(PREFIX + path, handle, methods=methods or ["GET"])

        return [
            route("/discovery.{fmt}", self.discovery),
            route("/services.{fmt}", self.services),
            route("/services/{code}.{fmt}", self.service_definition),
            route("/requests.{fmt}", self.requests, ["GET", "POST"]),
            route("/requests/{id}.{fmt}", self.request),
            route("/tokens/{token}.{fmt}", self.token),
        ]

    async def discovery(self, request: Request, fmt: str) -> Response:
        base = str(request.base_url).rstrip("/") + PREFIX + "/"
        return answer(
            fmt,
            "discovery",
            {
                "changeset": CHANGESET,
                "contact": "12345 Beijing citizen service hotline",
                "key_service": "Keys are issued by the hub's operators (hub open311-key create).",
                "endpoints": [
                    {
                        "specification": SPECIFICATION,
                        "url": base,
                        "changeset": CHANGESET,
                        "type": "production",
                        "formats": list(FORMATS.values()),
                    }
                ],
            },
        )

    async def services(self, request: Request, fmt: str) -> Response:
        async with self.sessionmaker() as session:
            found = await all_services(session=session)
        return answer(fmt, "services", [service.as_open311() for service in found.values()])

    async def service_definition(self, request: Request, fmt: str) -> Response:
        async with self.sessionmaker() as session:
            found = await all_services(session=session)
        service = found.get(request.path_params["code"])
        if service is None:
            return error(fmt, 404, f"no service {request.path_params['code']!r}")
        return answer(fmt, "service_definition", service.definition())

    async def _actor(self, session: AsyncSession, key: str | None) -> Actor | None:
        return await keys.authenticate(session=session, key=key)

    async def requests(self, request: Request, fmt: str) -> Response:
        if request.method == "POST":
            return await self.file(request, fmt)
        params = dict(request.query_params)
        async with self.sessionmaker() as session:
            actor = await self._actor(session, params.get("api_key"))
            if actor is None:
                return error(fmt, 403, "a valid api_key is required to read requests")
            query = service_requests.RequestQuery.parse(params, utcnow())
            services = await all_services(session=session)
            found = await service_requests.find(
                session=session, actor=actor, query=query, services=services
            )
        return answer(fmt, "service_requests", found)

    async def request(self, request: Request, fmt: str) -> Response:
        number = request.path_params["id"]
        async with self.sessionmaker() as session:
            actor = await self._actor(session, request.query_params.get("api_key"))
            if actor is None:
                return error(fmt, 403, "a valid api_key is required to read requests")
            query = service_requests.RequestQuery(ids=(number,))
            services = await all_services(session=session)
            found = await service_requests.find(
                session=session, actor=actor, query=query, services=services
            )
        if not found:
            return error(fmt, 404, f"no request {number[:64]!r}")
        return answer(fmt, "service_requests", found)

    async def token(self, request: Request, fmt: str) -> Response:
        token = request.path_params["token"]
        async with self.sessionmaker() as session:
            actor = await self._actor(session, request.query_params.get("api_key"))
            if actor is None:
                return error(fmt, 403, "a valid api_key is required to look up tokens")
            found = await service_requests.by_token(session=session, actor=actor, token=token)
        if not found:
            return error(fmt, 404, "no request for this token")
        return answer(fmt, "service_requests", found)

    async def file(self, request: Request, fmt: str) -> Response:
        body = await _bounded_body(request)
        if body is None:
            return error(fmt, 400, f"the request body exceeds {MAX_POST_BYTES} bytes")
        try:
            fields = dict(parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=200))
        except (UnicodeDecodeError, ValueError):
            return error(fmt, 400, "the body is not application/x-www-form-urlencoded UTF-8")
        filing = service_requests.Filing(fields)
        async with self.sessionmaker() as session:
            actor = await self._actor(session, filing.get("api_key"))
        if actor is None:
            return error(fmt, 403, "a valid api_key is required to file a request")
        now = utcnow()
        try:
            created = await self._file(actor, filing, now)
        except DomainError as refused:
            await self._audit(actor, None, refused.code, now, refused.message)
            return error(fmt, 400, refused.message)
        return answer(fmt, "service_requests", [created])

    async def _file(
        self, actor: Actor, filing: service_requests.Filing, now: dt.datetime
    ) -> dict[str, str | None]:
        async with transaction(self.sessionmaker) as session:
            services = await all_services(session=session)
            created = await service_requests.file(
                session=session,
                geo=self.geo,
                settings=self.settings,
                actor=actor,
                filing=filing,
                services=services,
                now=now,
            )
            audit.record(
                session=session,
                actor=actor,
                operation="open311.postRequest",
                target=created["service_request_id"],
                outcome="OK",
                at=now,
            )
        return created

    async def _audit(
        self, actor: Actor, target: str | None, outcome: str, now: dt.datetime, message: str
    ) -> None:
        async with transaction(self.sessionmaker) as session:
            audit.record(
                session=session,
                actor=actor,
                operation="open311.postRequest",
                target=target,
                outcome=outcome,
                at=now,
                detail={"message": message},
            )


async def _bounded_body(request: Request) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_POST_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
