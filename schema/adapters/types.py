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
from schema.core.rows import from_row

strawberry.enum(RunStatus, name="AdapterRunStatus")


@strawberry.type(description="A record an adapter refused: why, and the record as it came.")
class QuarantinedRecord:
    row: strawberry.Private[QuarantineRow]

    reason = from_row("reason", str, description="Why it was refused.")

    @strawberry.field(description="The record exactly as the source sent it.")
    def raw(self) -> JSON:
        return JSON(self.row.raw)

    source_id = from_row(
        "source_id",
        str | None,
        description="Its id in the source system, when it had a readable one.",
    )

    quarantined_at = from_row("quarantined_at", dt.datetime)
    resolved_at = from_row(
        "resolved_at",
        dt.datetime | None,
        description="When a retry took it in, or a later refusal replaced it.",
    )

    resolution = from_row(
        "resolution", str | None, description="RETRIED or SUPERSEDED once resolved."
    )


@strawberry.type(description="One run of an adapter over one source (`hub sync`).")
class AdapterRun(Node):
    row: strawberry.Private[RunRow]

    def node_key(self) -> int:
        return self.row.id

    adapter = from_row("adapter", str, description="The adapter's name, e.g. `hotline-12345`.")
    source = from_row(
        "source", str, description="The file, directory or URL read (`quarantine` for retries)."
    )

    status = from_row("status", RunStatus)
    started_at = from_row("started_at", dt.datetime)
    finished_at = from_row("finished_at", dt.datetime | None)
    read = from_row("read", int, description="Records read from the source.")
    created = from_row("created", int)
    updated = from_row("updated", int)
    unchanged = from_row(
        "unchanged", int, description="Read, and already in the hub as new or newer."
    )

    rejected = from_row("rejected", int, description="Refused and quarantined.")

    @strawberry.field(description="What a reader should know besides rejections (repairs, …).")
    def notes(self) -> list[str]:
        return list(self.row.notes or [])

    error = from_row("error", str | None, description="Why the run failed, when it did.")

    @strawberry.field(description="The records this run refused, in the order it met them.")
    async def quarantined(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[QuarantinedRecord]:
        request = page_request(info, first, after)
        page = await info.context.loaders.run_quarantine.load((str(self.row.id), request))
        return connection_from_page(page, lambda row: QuarantinedRecord(row=row))
