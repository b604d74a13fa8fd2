"""Registering webhooks, rotating their secrets, reading their delivery logs, redelivering."""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.auth.policy import PermissionDeniedError
from hub.cases.access import may_read_cases
from hub.cases.models import CaseEvent
from hub.config import Settings
from hub.errors import InvalidInputError, NotFoundError
from hub.pagination import Page, PageRequest, fetch_page, fetch_pages
from hub.pii import protect, reveal
from hub.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from hub.webhooks.targets import Allowed, check
from hub.whistles.models import WhistleEvent

EVENT_TYPE = re.compile(r"^(case|whistle)\.(\*|[A-Z][A-Z_]{0,47})$")
MAX_WEBHOOKS_PER_OWNER = 100


@dataclass(frozen=True, slots=True)
class Registration:
    url: str
    event_types: Sequence[str]
    case_filter: dict[str, Any] | None = None
    whistle_filter: dict[str, Any] | None = None


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_of(settings: Settings, webhook: Webhook) -> str:
    secret = reveal(settings, webhook.secret)
    assert secret is not None
    return secret


def _check_types(event_types: Sequence[str]) -> list[str]:
    types = list(dict.fromkeys(event_types)) or ["case.*", "whistle.*"]
    if len(types) > 50:
        raise InvalidInputError("at most 50 event types", field="eventTypes")
    for name in types:
        if not EVENT_TYPE.match(name):
            raise InvalidInputError(
                f"{name[:60]!r} is not an event type such as case.DISPATCHED or whistle.*",
                field="eventTypes",
            )
    return types


async def create(
    *,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    registration: Registration,
    now: dt.datetime,
) -> tuple[Webhook, str]:
    """Register an endpoint for the events ``actor`` may see; returns it and its secret."""
    if not may_read_cases(actor):
        raise PermissionDeniedError("only those who may read cases and whistles register webhooks")
    await check(registration.url, Allowed.parse(settings.webhook_allow_hosts))
    owned = await session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.owner_sub == actor.sub)
    )
    if (owned or 0) >= MAX_WEBHOOKS_PER_OWNER:
        raise InvalidInputError(f"at most {MAX_WEBHOOKS_PER_OWNER} webhooks per subject")
    secret = new_secret()
    webhook = Webhook(
        url=registration.url,
        owner=actor.as_record(),
        owner_sub=actor.sub,
        event_types=_check_types(registration.event_types),
        case_filter=registration.case_filter,
        whistle_filter=registration.whistle_filter,
        secret=protect(settings, secret),
        active=True,
        # From now on: what happened before the endpoint existed is not sent to it.
        case_cursor=await _top(session, CaseEvent),
        whistle_cursor=await _top(session, WhistleEvent),
        created_at=now,
    )
    session.add(webhook)
    await session.flush()
    return webhook, secret


async def _top(session: AsyncSession, model: type[CaseEvent] | type[WhistleEvent]) -> int:
    return int(await session.scalar(select(func.max(model.id))) or 0)


def _may_manage(actor: Actor, webhook: Webhook) -> bool:
    return webhook.owner_sub == actor.sub or actor.role is Role.CITY_PLATFORM


async def visible(*, session: AsyncSession, actor: Actor, webhook_id: int) -> Webhook | None:
    """The webhook, if ``actor`` owns it (or is the city platform); read only."""
    webhook = await session.get(Webhook, webhook_id)
    return webhook if webhook is not None and _may_manage(actor, webhook) else None


async def get_for_actor(*, session: AsyncSession, actor: Actor, webhook_id: int) -> Webhook:
    webhook = await session.get(Webhook, webhook_id, with_for_update=True)
    if webhook is None or not _may_manage(actor, webhook):
        raise NotFoundError(f"no webhook {webhook_id}", field="webhookId")
    return webhook


async def rotate_secret(
    *, session: AsyncSession, settings: Settings, actor: Actor, webhook_id: int, now: dt.datetime
) -> tuple[Webhook, str]:
    webhook = await get_for_actor(session=session, actor=actor, webhook_id=webhook_id)
    secret = new_secret()
    webhook.secret = protect(settings, secret)  # type: ignore[assignment]
    webhook.rotated_at = now
    return webhook, secret


async def set_active(
    *, session: AsyncSession, actor: Actor, webhook_id: int, active: bool
) -> Webhook:
    webhook = await get_for_actor(session=session, actor=actor, webhook_id=webhook_id)
    webhook.active = active
    return webhook


async def redeliver(
    *, session: AsyncSession, actor: Actor, delivery_id: int, now: dt.datetime
) -> WebhookDelivery:
    """Send a delivery again (a dead one, or one delivered): the same message, attempts anew."""
    delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
    webhook = await session.get(Webhook, delivery.webhook_id) if delivery else None
    if delivery is None or webhook is None or not _may_manage(actor, webhook):
        raise NotFoundError(f"no delivery {delivery_id}", field="deliveryId")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    return delivery


async def page_webhooks(*, session: AsyncSession, actor: Actor, page: PageRequest) -> Page[Webhook]:
    query = select(Webhook)
    if actor.role is not Role.CITY_PLATFORM:
        query = query.where(Webhook.owner_sub == actor.sub)
    return await fetch_page(session, query, entity=Webhook, order=Webhook.id, page=page)


async def page_deliveries(
    *, session: AsyncSession, webhook_ids: Sequence[int], page: PageRequest
) -> dict[int, Page[WebhookDelivery]]:
    """Each webhook's deliveries, newest first, in one statement."""
    return await fetch_pages(
        session,
        select(WebhookDelivery).where(WebhookDelivery.webhook_id.in_(webhook_ids)),
        entity=WebhookDelivery,
        partition=WebhookDelivery.webhook_id,
        parents=list(webhook_ids),
        order=WebhookDelivery.id,
        page=page,
        descending=True,
    )
