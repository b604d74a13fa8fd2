"""Query and mutations of webhooks: register, rotate, pause or resume, redeliver."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.policy import PermissionDeniedError
from hub.cases.access import may_read_cases
from hub.errors import NotFoundError
from hub.webhooks import service as webhooks
from hub.webhooks.models import Webhook as WebhookRow
from hub.webhooks.models import WebhookDelivery as DeliveryRow
from schema.context import Info
from schema.core.errors import UserError
from schema.core.mutations import run_mutation
from schema.core.pages import page_request
from schema.core.relay import (
    Connection,
    InvalidGlobalIdError,
    connection_from_page,
    from_global_id,
    row_id,
)
from schema.webhooks.types import Webhook, WebhookDelivery


@strawberry.input(description="Which case events: the same filters as `caseEvents`.")
class CaseEventFilterInput:
    case_number: str | None = None
    jurisdiction_code: str | None = None
    department_code: str | None = None


@strawberry.input(description="Which whistle events: the same filters as `whistleEvents`.")
class WhistleEventFilterInput:
    whistle_number: str | None = None
    jurisdiction_code: str | None = None
    department_code: str | None = None


@strawberry.input
class CreateWebhookInput:
    url: str
    event_types: list[str] = strawberry.field(
        default_factory=list,
        description="`case.*`, `whistle.*` or single types (`case.DISPATCHED`); none = all.",
    )
    case_filter: CaseEventFilterInput | None = None
    whistle_filter: WhistleEventFilterInput | None = None


@strawberry.input
class WebhookInput:
    webhook_id: strawberry.ID


@strawberry.input
class SetWebhookActiveInput:
    webhook_id: strawberry.ID
    active: bool


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


@strawberry.type
class WebhookPayload:
    webhook: Webhook | None
    secret: str | None = strawberry.field(
        default=None, description="The signing secret (`whsec_…`): shown only here, once."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None
    errors: list[UserError]


def _filter(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    found = {key: v for key, v in strawberry.asdict(value).items() if v}
    return {_camel(key): v for key, v in found.items()} or None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _key(global_id: str, type_name: str, field: str) -> int:
    try:
        kind, key = from_global_id(global_id)
        if kind == type_name:
            return int(key)
    except (InvalidGlobalIdError, ValueError):
        pass
    raise NotFoundError(f"no {type_name} {global_id!r}", field=field)


def _payload(
    found: tuple[WebhookRow, str | None] | None, errors: list[UserError]
) -> WebhookPayload:
    if found is None:
        return WebhookPayload(webhook=None, errors=errors)
    row, secret = found
    return WebhookPayload(webhook=Webhook(row=row), secret=secret, errors=errors)


def _target(found: tuple[WebhookRow, str | None] | None) -> str:
    return f"webhook:{found[0].id}" if found else "webhook"


async def load_webhook_node(info: Info, key: str) -> Webhook | None:
    """``node(id:)``: a webhook its owner (or the city platform) may see."""
    actor = info.context.actor
    webhook_id = row_id(key)
    if webhook_id is None or not may_read_cases(actor):
        return None
    async with info.context.sessionmaker() as session:
        row = await webhooks.visible(session=session, actor=actor, webhook_id=webhook_id)
    return Webhook(row=row) if row is not None else None


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Your webhooks (all of them, for the city platform).")
    async def webhooks(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Webhook]:
        actor = info.context.actor
        if not may_read_cases(actor):
            raise PermissionDeniedError("webhooks need a token that may read cases")
        async with info.context.sessionmaker() as session:
            page = await webhooks.page_webhooks(
                session=session, actor=actor, page=page_request(info, first, after)
            )
        return connection_from_page(page, lambda row: Webhook(row=row))


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Register an endpoint; the payload shows its secret once.")
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> WebhookPayload:
        registration = webhooks.Registration(
            url=input.url.strip(),
            event_types=input.event_types,
            case_filter=_filter(input.case_filter),
            whistle_filter=_filter(input.whistle_filter),
        )

        async def work(session: AsyncSession, now: dt.datetime) -> tuple[WebhookRow, str | None]:
            return await webhooks.create(
                session=session,
                settings=info.context.settings,
                actor=info.context.actor,
                registration=registration,
                now=now,
            )

        found, errors = await run_mutation(info, "createWebhook", None, work, target_of=_target)
        return _payload(found, errors)

    @strawberry.mutation(description="A new secret, shown once; the old one stops signing now.")
    async def rotate_webhook_secret(self, info: Info, input: WebhookInput) -> WebhookPayload:
        async def work(session: AsyncSession, now: dt.datetime) -> tuple[WebhookRow, str | None]:
            key = _key(input.webhook_id, "Webhook", "webhookId")
            return await webhooks.rotate_secret(
                session=session,
                settings=info.context.settings,
                actor=info.context.actor,
                webhook_id=key,
                now=now,
            )

        found, errors = await run_mutation(info, "rotateWebhookSecret", input.webhook_id, work)
        return _payload(found, errors)

    @strawberry.mutation(description="Pause (nothing is sent; events wait) or resume a webhook.")
    async def set_webhook_active(self, info: Info, input: SetWebhookActiveInput) -> WebhookPayload:
        async def work(session: AsyncSession, now: dt.datetime) -> tuple[WebhookRow, str | None]:
            key = _key(input.webhook_id, "Webhook", "webhookId")
            row = await webhooks.set_active(
                session=session, actor=info.context.actor, webhook_id=key, active=input.active
            )
            return row, None

        found, errors = await run_mutation(info, "setWebhookActive", input.webhook_id, work)
        return _payload(found, errors)

    @strawberry.mutation(description="Send a delivery again, with the same message and id.")
    async def redeliver_webhook(
        self, info: Info, input: RedeliverWebhookInput
    ) -> RedeliverWebhookPayload:
        async def work(session: AsyncSession, now: dt.datetime) -> DeliveryRow:
            key = _key(input.delivery_id, "WebhookDelivery", "deliveryId")
            return await webhooks.redeliver(
                session=session, actor=info.context.actor, delivery_id=key, now=now
            )

        row, errors = await run_mutation(info, "redeliverWebhook", input.delivery_id, work)
        return RedeliverWebhookPayload(
            delivery=WebhookDelivery(row=row) if row is not None else None, errors=errors
        )
