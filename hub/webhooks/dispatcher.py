"""Delivering webhooks from a hub process: leases, one worker per webhook, the delivery log.

Every process may deliver.  A webhook is delivered for by the one process holding its lease
(a conditional ``UPDATE``, renewed every third of ``HUB_WEBHOOK_LEASE_SECONDS``); when that
process dies its webhooks are taken over once their leases run out.

A webhook's worker, in a loop:

1. the oldest ``PENDING`` delivery is its head: it is attempted once due, and nothing after
   it is sent first (in order per webhook); accepted → ``DELIVERED``, refused → retried with
   exponential backoff, ``DEAD`` after ``HUB_WEBHOOK_MAX_ATTEMPTS``, and the next one goes;
2. with nothing pending, the events released since the webhook's cursors (only up to the
   streams' ``safe``: no event can still appear below it) are judged, a delivery row made for
   each one it hears, and the cursors advanced -- in one transaction, so a crash loses and
   repeats nothing: what was not accepted is sent again, under the same ``webhook-id``.

A slow receiver holds up only its own worker (one request in flight, bounded by
``HUB_WEBHOOK_TIMEOUT_SECONDS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.config import Settings
from hub.db import transaction, utcnow
from hub.events.feed import EventFeed
from hub.events.sources import owners
from hub.events.stream import Stream
from hub.webhooks import matching, payload
from hub.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from hub.webhooks.sending import Outcome, send
from hub.webhooks.service import secret_of
from hub.webhooks.targets import Allowed

log = logging.getLogger("hub.webhooks")

READ_BATCH = 200
SEND_BATCH = 50


class LeaseLostError(Exception):
    """Another process holds the webhook now."""


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        feed: EventFeed,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.streams: dict[str, Stream[Any, Any]] = {s.kind: s for s in feed.streams}
        # Who holds a lease: the process id helps an operator find it (and tests kill it).
        self.me = f"{os.getpid()}:{uuid.uuid4().hex[:16]}"
        self.allowed = Allowed.parse(settings.webhook_allow_hosts)
        self.client = httpx.AsyncClient(follow_redirects=False)
        self.workers: dict[int, asyncio.Task[None]] = {}
        self.wakers: dict[int, asyncio.Event] = {}
        self._poke = asyncio.Event()
        self._leasing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for stream in self.streams.values():
            stream.released.append(self._released)
        self._leasing = asyncio.create_task(self._lease_forever(), name="hub-webhooks")

    async def stop(self) -> None:
        tasks = [t for t in (self._leasing, *self.workers.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.workers.clear()
        await self.client.aclose()
        await self._release()

    async def _release(self) -> None:
        """A process stopping on purpose hands its webhooks over at once."""
        try:
            async with transaction(self.sessionmaker) as session:
                await session.execute(
                    update(Webhook)
                    .where(Webhook.leased_by == self.me)
                    .values(leased_by=None, lease_until=None)
                )
        except Exception:  # the database is away: the leases simply run out
            log.warning("could not hand over webhook leases; they run out instead")

    def poke(self) -> None:
        """A webhook was registered or changed here: look at the leases now."""
        self._poke.set()
        for waker in self.wakers.values():
            waker.set()

    def _released(self, _safe: int) -> None:
        for waker in self.wakers.values():
            waker.set()

    # ── leases ────────────────────────────────────────────────────────────────────────────

    async def _lease_forever(self) -> None:
        every = self.settings.webhook_lease_seconds / 3
        while True:
            try:
                held = await self._claim()
                self._reconcile(held)
            except Exception:  # the database is away: keep what runs, try again
                log.exception("renewing webhook leases failed")
            self._poke.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await self._poke.wait()

    async def _claim(self) -> set[int]:
        now = utcnow()
        until = now + dt.timedelta(seconds=self.settings.webhook_lease_seconds)
        async with transaction(self.sessionmaker) as session:
            result = await session.execute(
                update(Webhook)
                .where(
                    Webhook.active,
                    or_(
                        Webhook.leased_by.is_(None),
                        Webhook.leased_by == self.me,
                        Webhook.lease_until < now,
                    ),
                )
                .values(leased_by=self.me, lease_until=until)
                .returning(Webhook.id)
            )
            return {int(key) for key in result.scalars()}

    def _reconcile(self, held: set[int]) -> None:
        for key in list(self.workers):
            if key not in held or self.workers[key].done():
                self.workers.pop(key).cancel()
                self.wakers.pop(key, None)
        for key in held - set(self.workers):
            self.wakers[key] = asyncio.Event()
            self.workers[key] = asyncio.create_task(self._work(key), name=f"hub-webhook-{key}")

    # ── one webhook ───────────────────────────────────────────────────────────────────────

    async def _work(self, key: int) -> None:
        waker = self.wakers[key]
        poll = self.settings.webhook_poll_seconds
        while True:
            waker.clear()
            try:
                wait = await self._step(key)
            except LeaseLostError:
                return
            except Exception:
                log.exception("delivering webhook %s failed; retrying", key)
                wait = poll
            if wait is None:
                return
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(wait, poll)):
                        await waker.wait()

    async def _step(self, key: int) -> float | None:
        """Do the next thing; seconds to wait before the next step, None to stop."""
        async with self.sessionmaker() as session:
            webhook = await session.get(Webhook, key)
            if webhook is None or not webhook.active or webhook.leased_by != self.me:
                return None
            pending = list(
                await session.scalars(
                    select(WebhookDelivery)
                    .where(
                        WebhookDelivery.webhook_id == key,
                        WebhookDelivery.status == DeliveryStatus.PENDING,
                    )
                    .order_by(WebhookDelivery.id)
                    .limit(SEND_BATCH)
                )
            )
        if pending:
            return await self._send_due(webhook, pending)
        return 0.0 if await self._fill(key) else self.settings.webhook_poll_seconds

    async def _send_due(self, webhook: Webhook, pending: Sequence[WebhookDelivery]) -> float:
        secret = secret_of(self.settings, webhook)
        for delivery in pending:
            now = utcnow()
            due = delivery.next_attempt_at
            if due is not None and due > now:
                return (due - now).total_seconds()
            outcome = await send(
                self.client,
                url=webhook.url,
                secret=secret,
                message_id=delivery.message_id,
                body=delivery.body,
                at=now,
                allowed=self.allowed,
                seconds=self.settings.webhook_timeout_seconds,
            )
            await self._record(delivery, outcome)
            if not outcome.accepted and delivery.attempts + 1 < self.settings.webhook_max_attempts:
                return 0.0  # its next attempt is now its due time
        return 0.0

    def _backoff(self, attempts: int) -> float:
        base = self.settings.webhook_retry_seconds * 2.0 ** (attempts - 1)
        delay = min(base, self.settings.webhook_max_retry_seconds)
        jitter = random.uniform(0.9, 1.1)  # spreads the retries of many receivers
        return float(delay * jitter)

    async def _record(self, delivery: WebhookDelivery, outcome: Outcome) -> None:
        now = utcnow()
        attempts = delivery.attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        if outcome.accepted:
            values |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
            values["next_attempt_at"] = None
        elif attempts >= self.settings.webhook_max_attempts:
            values |= {"status": DeliveryStatus.DEAD, "next_attempt_at": None}
        else:
            values["next_attempt_at"] = now + dt.timedelta(seconds=self._backoff(attempts))
        async with transaction(self.sessionmaker) as session:
            await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery.id,
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                    WebhookDelivery.attempts == delivery.attempts,
                )
                .values(**values)
            )
        if not outcome.accepted:
            log.info("webhook delivery %s refused: %s", delivery.id, outcome.error)

    async def _fill(self, key: int) -> bool:
        """Judge the events released since the cursors; True when a cursor moved."""
        moved = False
        async with transaction(self.sessionmaker) as session:
            webhook = await session.get(Webhook, key)
            if webhook is None:
                return False
            for kind, stream in self.streams.items():
                moved |= await self._fill_kind(session, webhook, kind, stream)
            if moved:
                claimed = await session.execute(
                    update(Webhook)
                    .where(Webhook.id == key, Webhook.leased_by == self.me)
                    .values(case_cursor=webhook.case_cursor, whistle_cursor=webhook.whistle_cursor)
                    .execution_options(synchronize_session=False)
                )
                if not getattr(claimed, "rowcount", 0):
                    raise LeaseLostError
        return moved

    async def _fill_kind(
        self, session: AsyncSession, webhook: Webhook, kind: str, stream: Stream[Any, Any]
    ) -> bool:
        cursor_name = f"{kind}_cursor"
        cursor: int = getattr(webhook, cursor_name)
        upto = stream.safe
        if upto <= cursor:
            return False
        if not matching.wants_kind(webhook, kind):
            setattr(webhook, cursor_name, upto)
            return True
        model = stream.source.model
        rows = list(
            await session.scalars(
                select(model)
                .where(model.id > cursor, model.id <= upto)
                .order_by(model.id)
                .limit(READ_BATCH)
            )
        )
        facts = await stream.source.load_facts(session, owners(stream.source, rows)) if rows else {}
        now = utcnow()
        for row in rows:
            found = facts.get(stream.source.owner(row))
            if found is not None and matching.matches(webhook, kind, row, found):
                session.add(_delivery(webhook, kind, row, found, now))
        setattr(webhook, cursor_name, rows[-1].id if len(rows) == READ_BATCH else upto)
        return True


def _delivery(
    webhook: Webhook, kind: str, row: Any, facts: Any, now: dt.datetime
) -> WebhookDelivery:
    return WebhookDelivery(
        webhook_id=webhook.id,
        event_kind=kind,
        event_id=row.id,
        message_id=payload.message_id(webhook.id, kind, row.id),
        event_type=payload.event_type(kind, row),
        body=payload.body(kind, row, facts),
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
