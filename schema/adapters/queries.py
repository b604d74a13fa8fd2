"""Root fields over adapter runs: adapterRuns, and a run as a node."""

from __future__ import annotations

import strawberry

from adapters import service as runs
from hub.auth.policy import PermissionDeniedError, may_read_adapter_runs
from schema.adapters.types import AdapterRun
from schema.context import Info
from schema.core.pages import page_request
from schema.core.relay import Connection, Node, connection_from_page, row_id


async def load_adapter_run(info: Info, key: str) -> Node | None:
    """``node(id:)`` for a run: only for the platforms, like ``adapterRuns``."""
    run_id = row_id(key)
    if not may_read_adapter_runs(info.context.actor) or run_id is None:
        return None
    async with info.context.sessionmaker() as session:
        found = await runs.runs_by_ids(session=session, codes=[run_id])
    row = found.get(run_id)
    return AdapterRun(row=row) if row else None


@strawberry.type
class AdapterQuery:
    @strawberry.field(description="Adapter runs, newest first (city and district platforms).")
    async def adapter_runs(
        self, info: Info, adapter: str | None = None, first: int = 20, after: str | None = None
    ) -> Connection[AdapterRun]:
        if not may_read_adapter_runs(info.context.actor):
            raise PermissionDeniedError("adapter runs are for the city and district platforms")
        request = page_request(info, first, after)
        async with info.context.sessionmaker() as session:
            page = await runs.page_runs(session=session, adapter=adapter, page=request)
        return connection_from_page(page, lambda row: AdapterRun(row=row))
