"""DataLoaders of webhooks: each webhook's delivery log, a page at a time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from hub.pagination import Page, PageRequest
from hub.webhooks import service as webhooks
from hub.webhooks.models import WebhookDelivery
from schema.core.loaders import LoaderGroup, PageKey


async def _deliveries(
    *, session: AsyncSession, codes: Sequence[str], page: PageRequest
) -> dict[str, Page[WebhookDelivery]]:
    pages = await webhooks.page_deliveries(
        session=session, webhook_ids=[int(code) for code in codes], page=page
    )
    return {str(webhook_id): found for webhook_id, found in pages.items()}


class WebhookLoaders(LoaderGroup):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessionmaker)
        self.webhook_deliveries: DataLoader[PageKey, Page[WebhookDelivery]] = self._paged(
            _deliveries
        )
