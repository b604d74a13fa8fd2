"""Webhooks and their deliveries as GraphQL types."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from hub.webhooks.models import DeliveryStatus
from hub.webhooks.models import Webhook as WebhookRow
from hub.webhooks.models import WebhookDelivery as DeliveryRow
from schema.context import Info
from schema.core.pages import page_request
from schema.core.relay import Connection, Node, connection_from_page

strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")


@strawberry.type(description="One event for one webhook: its message and how delivering it went.")
class WebhookDelivery(Node):
    row: strawberry.Private[DeliveryRow]

    def node_key(self) -> int:
        return self.row.id

    @strawberry.field(description="The event's id in its timeline (the subscriptions' cursor).")
    def event_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.event_id))

    @strawberry.field(description="`case.<TYPE>` or `whistle.<TYPE>`.")
    def event_type(self) -> str:
        return self.row.event_type

    @strawberry.field(description="The `webhook-id` header: the same on every attempt.")
    def message_id(self) -> str:
        return self.row.message_id

    @strawberry.field
    def status(self) -> DeliveryStatus:
        return self.row.status

    @strawberry.field
    def attempts(self) -> int:
        return self.row.attempts

    @strawberry.field(description="The receiver's last answer; null if it could not be reached.")
    def last_status_code(self) -> int | None:
        return self.row.last_status_code

    @strawberry.field(description="Why the last attempt failed.")
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(description="When the next attempt is due (PENDING only).")
    def next_attempt_at(self) -> dt.datetime | None:
        return self.row.next_attempt_at if self.row.status is DeliveryStatus.PENDING else None

    @strawberry.field
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field
    def delivered_at(self) -> dt.datetime | None:
        return self.row.delivered_at


@strawberry.type(
    description="An endpoint hearing the events its owner may see (Standard Webhooks)."
)
class Webhook(Node):
    row: strawberry.Private[WebhookRow]

    def node_key(self) -> int:
        return self.row.id

    @strawberry.field
    def url(self) -> str:
        return self.row.url

    @strawberry.field(description="Paused webhooks keep their place and resume from it.")
    def active(self) -> bool:
        return self.row.active

    @strawberry.field(description="Patterns such as `case.*` or `whistle.SUMMONS_SENT`.")
    def event_types(self) -> list[str]:
        return list(self.row.event_types)

    @strawberry.field
    def case_filter(self) -> JSON | None:
        return JSON(self.row.case_filter) if self.row.case_filter else None

    @strawberry.field
    def whistle_filter(self) -> JSON | None:
        return JSON(self.row.whistle_filter) if self.row.whistle_filter else None

    @strawberry.field
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(description="When the secret was last rotated.")
    def rotated_at(self) -> dt.datetime | None:
        return self.row.rotated_at

    @strawberry.field(description="Its delivery log, newest first.")
    async def deliveries(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        request = page_request(info, first, after)
        page = await info.context.loaders.webhook_deliveries.load((str(self.row.id), request))
        return connection_from_page(page, lambda row: WebhookDelivery(row=row))
