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
from schema.core.rows import from_row

strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")


@strawberry.type(description="One event for one webhook: its message and how delivering it went.")
class WebhookDelivery(Node):
    row: strawberry.Private[DeliveryRow]

    def node_key(self) -> int:
        return self.row.id

    @strawberry.field(description="The event's id in its timeline (the subscriptions' cursor).")
    def event_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.event_id))

    event_type = from_row("event_type", str, description="`case.<TYPE>` or `whistle.<TYPE>`.")
    message_id = from_row(
        "message_id", str, description="The `webhook-id` header: the same on every attempt."
    )

    status = from_row("status", DeliveryStatus)
    attempts = from_row("attempts", int)
    last_status_code = from_row(
        "last_status_code",
        int | None,
        description="The receiver's last answer; null if it could not be reached.",
    )

    last_error = from_row("last_error", str | None, description="Why the last attempt failed.")

    @strawberry.field(description="When the next attempt is due (PENDING only).")
    def next_attempt_at(self) -> dt.datetime | None:
        return self.row.next_attempt_at if self.row.status is DeliveryStatus.PENDING else None

    created_at = from_row("created_at", dt.datetime)
    delivered_at = from_row("delivered_at", dt.datetime | None)


@strawberry.type(
    description="An endpoint hearing the events its owner may see (Standard Webhooks)."
)
class Webhook(Node):
    row: strawberry.Private[WebhookRow]

    def node_key(self) -> int:
        return self.row.id

    url = from_row("url", str)
    active = from_row(
        "active", bool, description="Paused webhooks keep their place and resume from it."
    )

    @strawberry.field(description="Patterns such as `case.*` or `whistle.SUMMONS_SENT`.")
    def event_types(self) -> list[str]:
        return list(self.row.event_types)

    @strawberry.field
    def case_filter(self) -> JSON | None:
        return JSON(self.row.case_filter) if self.row.case_filter else None

    @strawberry.field
    def whistle_filter(self) -> JSON | None:
        return JSON(self.row.whistle_filter) if self.row.whistle_filter else None

    created_at = from_row("created_at", dt.datetime)
    rotated_at = from_row(
        "rotated_at", dt.datetime | None, description="When the secret was last rotated."
    )

    @strawberry.field(description="Its delivery log, newest first.")
    async def deliveries(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        request = page_request(info, first, after)
        page = await info.context.loaders.webhook_deliveries.load((str(self.row.id), request))
        return connection_from_page(page, lambda row: WebhookDelivery(row=row))
