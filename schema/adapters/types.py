"""Adapter runs and their quarantine: what each department source brought in, and refused."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from adapters.models import AdapterRun as RunRow
from adapters.models import QuarantinedRecord as QuarantineRow
from adapters.models import RunStatus
from schema.context import Info
from schema.core.pages import page_request
from schema.core.relay import Connection, Node, connection_from_page

strawberry.enum(RunStatus, name="AdapterRunStatus")


@strawberry.type(description="A record an adapter refused: why, and the record as it came.")
class QuarantinedRecord:
    row: strawberry.Private[QuarantineRow]

    @strawberry.field(description="Why it was refused.")
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field(description="The record exactly as the source sent it.")
    def raw(self) -> JSON:
        return JSON(self.row.raw)

    @strawberry.field(description="Its id in the source system, when it had a readable one.")
    def source_id(self) -> str | None:
        return self.row.source_id

    @strawberry.field
    def quarantined_at(self) -> dt.datetime:
        return self.row.quarantined_at

    @strawberry.field(description="When a retry took it in, or a later refusal replaced it.")
    def resolved_at(self) -> dt.datetime | None:
        return self.row.resolved_at

    @strawberry.field(description="RETRIED or SUPERSEDED once resolved.")
    def resolution(self) -> str | None:
        return self.row.resolution


@strawberry.type(description="One run of an adapter over one source (`hub sync`).")
class AdapterRun(Node):
    row: strawberry.Private[RunRow]

    def node_key(self) -> int:
        return self.row.id

    @strawberry.field(description="The adapter's name, e.g. `hotline-12345`.")
    def adapter(self) -> str:
        return self.row.adapter

    @strawberry.field(description="The file, directory or URL read (`quarantine` for retries).")
    def source(self) -> str:
        return self.row.source

    @strawberry.field
    def status(self) -> RunStatus:
        return self.row.status

    @strawberry.field
    def started_at(self) -> dt.datetime:
        return self.row.started_at

    @strawberry.field
    def finished_at(self) -> dt.datetime | None:
        return self.row.finished_at

    @strawberry.field(description="Records read from the source.")
    def read(self) -> int:
        return self.row.read

    @strawberry.field
    def created(self) -> int:
        return self.row.created

    @strawberry.field
    def updated(self) -> int:
        return self.row.updated

    @strawberry.field(description="Read, and already in the hub as new or newer.")
    def unchanged(self) -> int:
        return self.row.unchanged

    @strawberry.field(description="Refused and quarantined.")
    def rejected(self) -> int:
        return self.row.rejected

    @strawberry.field(description="What a reader should know besides rejections (repairs, …).")
    def notes(self) -> list[str]:
        return list(self.row.notes or [])

    @strawberry.field(description="Why the run failed, when it did.")
    def error(self) -> str | None:
        return self.row.error

    @strawberry.field(description="The records this run refused, in the order it met them.")
    async def quarantined(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[QuarantinedRecord]:
        request = page_request(info, first, after)
        page = await info.context.loaders.run_quarantine.load((str(self.row.id), request))
        return connection_from_page(page, lambda row: QuarantinedRecord(row=row))
