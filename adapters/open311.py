"""``open311``: any GeoReport v2 server (Open311), pulled over HTTP in windows of update time.

``services.json`` names the services; ``requests.json?start_date=…&end_date=…`` is read in
windows of ``updated_datetime`` no longer than the spec's 90 days, and a window that comes back
full (the spec's 1,000 requests) is split in half until none does. The cursor is the end of the
last window taken in, so the next run asks only for what changed since. Each request becomes an
OPEN311 case; a closed one is resolved by the department that answers for its category there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from adapters.cases import CaseAdapter, CaseRecord
from adapters.contract import (
    AdapterContext,
    AdapterSettings,
    Batch,
    Cursor,
    Parsed,
    Provenance,
    RecordRejectedError,
    Rejection,
    SourceRecord,
    SourceUnavailableError,
)
from adapters.fields import clean_point, required_time
from adapters.files import text_field
from adapters.placing import Place, by_address, locate_points
from hub.cases.models import CaseSource
from hub.cases.progress import CaseUpdate, Stage
from hub.errors import DomainError

MAX_WINDOW = dt.timedelta(days=90)
MIN_WINDOW = dt.timedelta(seconds=1)


class Open311Settings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_OPEN311_", frozen=True, extra="forbid")

    jurisdiction_id: str | None = Field(default=None, description="GeoReport jurisdiction_id.")
    api_key: str | None = Field(
        default=None, description="The server's api_key, if reading requests needs one."
    )
    window_days: int = Field(default=90, ge=1, le=90, description="Days per requests.json call.")
    page_limit: int = Field(default=1000, ge=1, description="The server's cap on one answer.")
    initial_days: int = Field(default=365, ge=1, description="How far back a first run reads.")
    service_map: dict[str, str] = Field(
        default_factory=dict,
        description="service_code → hub category (JSON); unlisted services match by name.",
    )
    timeout: float = Field(default=30.0, gt=0, description="Seconds per HTTP call.")


class Open311Cursor(Cursor):
    updated_through: dt.datetime | None = Field(
        default=None, description="Every request updated up to here is in."
    )


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class Open311Adapter(CaseAdapter[Open311Settings, Open311Cursor]):
    name = "open311"
    summary = "Any Open311 GeoReport v2 server, in windows of updated_datetime."
    settings_model = Open311Settings
    cursor_model = Open311Cursor

    def __init__(self, settings: Open311Settings, context: AdapterContext) -> None:
        super().__init__(settings, context)
        self.services: dict[str, str] = {}

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.settings.source.rstrip("/") + "/", timeout=self.settings.timeout
        )

    async def _get(self, client: httpx.AsyncClient, path: str, **params: str) -> Any:
        if self.settings.jurisdiction_id:
            params["jurisdiction_id"] = self.settings.jurisdiction_id
        if self.settings.api_key and path != "services.json":
            params["api_key"] = self.settings.api_key
        try:
            response = await client.get(path, params=params)
        except httpx.HTTPError as error:
            raise SourceUnavailableError(f"{path}: {error}") from error
        if response.status_code != 200:
            raise SourceUnavailableError(
                f"{path} answered {response.status_code}: {response.text[:300]}"
            )
        try:
            return response.json()
        except json.JSONDecodeError as error:
            raise SourceUnavailableError(f"{path} did not answer JSON") from error

    async def check(self) -> None:
        async with self._client() as client:
            services = await self._get(client, "services.json")
        if not isinstance(services, list):
            raise SourceUnavailableError("services.json is not a list of services")
        self.services = {
            str(s.get("service_code")): str(s.get("service_name") or "")
            for s in services
            if isinstance(s, dict)
        }

    async def read(self, cursor: Open311Cursor) -> AsyncIterator[Batch[Open311Cursor]]:
        end = self.context.now()
        start = cursor.updated_through or end - dt.timedelta(days=self.settings.initial_days)
        window = dt.timedelta(days=self.settings.window_days)
        async with self._client() as client:
            while start < end:
                stop = min(start + window, end)
                async for found, through in self._window(client, start, stop):
                    records = [
                        SourceRecord(raw=r, source_id=text_field(r, "service_request_id") or None)
                        for r in found
                        if isinstance(r, dict)
                    ]
                    yield Batch(records, Open311Cursor(updated_through=through))
                start = stop

    async def _window(
        self, client: httpx.AsyncClient, start: dt.datetime, end: dt.datetime
    ) -> AsyncIterator[tuple[list[Any], dt.datetime]]:
        """The requests updated in [start, end]; halved while an answer hits the cap."""
        found = await self._get(
            client, "requests.json", start_date=_stamp(start), end_date=_stamp(end)
        )
        if not isinstance(found, list):
            raise SourceUnavailableError("requests.json is not a list of requests")
        if len(found) >= self.settings.page_limit and end - start > MIN_WINDOW:
            middle = start + (end - start) / 2
            async for part in self._window(client, start, middle):
                yield part
            async for part in self._window(client, middle, end):
                yield part
            return
        yield found, end

    def parse(self, records: Sequence[SourceRecord]) -> list[Parsed[CaseRecord] | Rejection]:
        geo = self.context.geo
        points = [clean_point(r.raw.get("long"), r.raw.get("lat")) for r in records]
        places = locate_points(geo, points, "WGS84")
        results: list[Parsed[CaseRecord] | Rejection] = []
        for record, place in zip(records, places, strict=True):
            try:
                where = place or by_address(geo, [text_field(record.raw, "address")])
                if where is None:
                    raise RecordRejectedError(
                        "lat/long lies outside Beijing, and no address names a street office"
                    )
                results.append(self._parse(record, where))
            except DomainError as error:
                results.append(Rejection(record, error.message))
        return results

    def _category(self, code: str, name: str) -> str:
        name = name or self.services.get(code, "")
        found = self.settings.service_map.get(code) or self.category_by_name.get(name)
        if found is None:
            self.note(f"service {code} {name!r} has no hub category → OTHER")
        return found or "OTHER"

    def _parse(self, record: SourceRecord, place: Place) -> Parsed[CaseRecord]:
        raw = record.raw
        request_id = text_field(raw, "service_request_id")
        if not request_id or len(request_id) > 128:
            raise RecordRejectedError("service_request_id is missing or too long")
        status = text_field(raw, "status").lower()
        if status not in ("open", "closed"):
            raise RecordRejectedError(f"status must be open or closed: {status!r}")
        requested = required_time(text_field(raw, "requested_datetime"), "requested_datetime")
        updated = required_time(text_field(raw, "updated_datetime"), "updated_datetime")
        description = text_field(raw, "description") or text_field(raw, "service_name")
        if not description:
            raise RecordRejectedError("neither description nor service_name is given")
        category = self._category(text_field(raw, "service_code"), text_field(raw, "service_name"))
        closed = status == "closed"
        lead = self.roster.responsible(category, place.subdistrict_code) if closed else None
        update = CaseUpdate(
            stage=Stage.RESOLVED if closed else Stage.RECEIVED,
            departments=(lead,) if lead else (),
            dispatched_at=requested,
            resolved_at=updated if closed else None,
            resolve_note=text_field(raw, "status_notes")[:2000] or None,
        )
        case = CaseRecord(
            description=description[:20_000],
            category_code=category,
            source=CaseSource.OPEN311,
            reported_at=requested,
            subdistrict_code=place.subdistrict_code,
            point=place.point,
            grid_code=place.grid_code,
            address=(place.address or text_field(raw, "address"))[:500] or None,
            update=update,
        )
        return Parsed(record, Provenance(self.name, request_id, updated), case)
