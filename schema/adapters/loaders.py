"""DataLoaders of adapter runs: each run's quarantine, a page at a time."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from adapters import service as adapter_runs
from adapters.models import QuarantinedRecord
from hub.pagination import Page
from schema.core.loaders import LoaderGroup, PageKey


class AdapterLoaders(LoaderGroup):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessionmaker)
        self.run_quarantine: DataLoader[PageKey, Page[QuarantinedRecord]] = self._paged(
            adapter_runs.page_quarantine
        )
