"""DataLoaders of geography: jurisdictions, their children and outlines, grids."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from hub.geo import service as geo
from hub.geo.models import Grid, Jurisdiction
from hub.pagination import Page
from schema.core.loaders import LoaderGroup, PageKey


class GeoLoaders(LoaderGroup):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessionmaker)
        self.jurisdiction = self._by_key(geo.get_many, None)
        self.children: DataLoader[str, list[Jurisdiction]] = self._by_key(geo.children_of, [])
        self.jurisdiction_boundary = self._by_key(geo.boundaries, (None, False))
        self.grid = self._by_key(geo.get_grids, None)
        self.grid_boundary = self._by_key(geo.grid_boundaries, None)
        self.grids_page: DataLoader[PageKey, Page[Grid]] = self._paged(geo.page_grids_under)
