"""DataLoaders of whistles: by number and id, their summons, events and cases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from hub.cases.models import Case
from hub.pagination import Page
from hub.whistles import queries as whistles
from hub.whistles.models import Summons, Whistle, WhistleEvent
from schema.core.loaders import LoaderGroup, WithinKey


class WhistleLoaders(LoaderGroup):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessionmaker)
        self.whistles_within: DataLoader[WithinKey[whistles.WhistleFilter], Page[Whistle]] = (
            self._within(whistles.page_whistles_under, "whistle_filter")
        )
        self.whistle_by_number: DataLoader[str, Whistle | None] = self._by_key(
            whistles.by_numbers, None
        )
        self.whistle_by_id: DataLoader[int, Whistle | None] = self._by_key(whistles.by_ids, None)
        self.summons_by_id: DataLoader[int, Summons | None] = self._by_key(
            whistles.summons_by_ids, None
        )
        self.whistle_summons: DataLoader[int, list[Summons]] = self._by_key(whistles.summons, [])
        self.whistle_events: DataLoader[int, list[WhistleEvent]] = self._by_key(whistles.events, [])
        self.whistle_cases: DataLoader[int, list[Case]] = self._by_key(whistles.cases, [])
