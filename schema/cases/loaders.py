"""DataLoaders of cases: by number and id, their dispatches, events, footprints, refs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from hub.cases import order_queries
from hub.cases import queries as cases
from hub.cases.access import summoned
from hub.cases.models import (
    Case,
    CaseDispatch,
    CaseEvent,
    CaseExtension,
    CaseExternalRef,
    CaseReturn,
)
from hub.pagination import Page
from schema.core.loaders import LoaderGroup, WithinKey


class CaseLoaders(LoaderGroup):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessionmaker)
        self.cases_within: DataLoader[WithinKey[cases.CaseFilter], Page[Case]] = self._within(
            cases.page_cases_under, "case_filter"
        )
        self.case_by_number: DataLoader[str, Case | None] = self._by_key(cases.by_numbers, None)
        self.case_by_id: DataLoader[int, Case | None] = self._by_key(cases.by_ids, None)
        self.case_dispatches: DataLoader[int, list[CaseDispatch]] = self._by_key(
            cases.dispatches, []
        )
        self.case_events: DataLoader[int, list[CaseEvent]] = self._by_key(cases.events, [])
        self.case_latest_events: DataLoader[tuple[int, int], list[CaseEvent]] = self._by_key(
            cases.latest_events, [], arg="keys"
        )
        self.case_crossed: DataLoader[int, list[str]] = self._by_key(cases.crossed, [])
        self.case_summoned: DataLoader[int, list[str]] = self._by_key(summoned, [])
        self.case_refs: DataLoader[int, list[CaseExternalRef]] = self._by_key(
            cases.external_refs, []
        )
        self.case_returns: DataLoader[int, list[CaseReturn]] = self._by_key(
            order_queries.returns, []
        )
        self.case_extensions: DataLoader[int, list[CaseExtension]] = self._by_key(
            order_queries.extensions, []
        )
        self.case_duplicates: DataLoader[int, list[Case]] = self._by_key(
            order_queries.duplicates, []
        )
