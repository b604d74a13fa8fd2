"""Reading adapter runs and their quarantine, a page at a time (for the API and the CLI)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.models import AdapterRun, QuarantinedRecord
from hub.pagination import Page, PageRequest, fetch_page, fetch_pages


async def page_runs(
    *, session: AsyncSession, adapter: str | None, page: PageRequest
) -> Page[AdapterRun]:
    """Newest first."""
    query = select(AdapterRun)
    if adapter is not None:
        query = query.where(AdapterRun.adapter == adapter)
    return await fetch_page(
        session,
        query,
        entity=AdapterRun,
        order=AdapterRun.id,
        page=page,
        descending=True,
    )


async def runs_by_ids(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, AdapterRun]:
    rows = await session.scalars(select(AdapterRun).where(AdapterRun.id.in_(codes)))
    return {row.id: row for row in rows}


async def page_quarantine(
    *, session: AsyncSession, codes: Sequence[str], page: PageRequest
) -> dict[str, Page[QuarantinedRecord]]:
    """Each run's quarantined records (runs by id, as text), in the order they were refused."""
    pages = await fetch_pages(
        session,
        select(QuarantinedRecord),
        entity=QuarantinedRecord,
        partition=QuarantinedRecord.run_id,
        parents=[int(code) for code in codes],
        order=QuarantinedRecord.id,
        page=page,
    )
    return {str(run_id): found for run_id, found in pages.items()}
