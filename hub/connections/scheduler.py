"""The scheduler every hub process runs: it claims due connections and runs them.

How a connection is run (an adapter over its source) is given to it at the hub's wiring point
(``hub.app``): the scheduler knows schedules and claims, not adapters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.config import Settings
from hub.connections import service
from hub.connections.models import StandingConnection
from hub.db import transaction, utcnow

log = logging.getLogger("hub.connections")


class ConnectionRunFailedError(Exception):
    """A run that failed; ``run_id`` is its adapter run when it got that far."""

    def __init__(self, message: str, run_id: int | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id


RunConnection = Callable[[StandingConnection], Awaitable[int]]
"""Run one connection once; the adapter run's id, or ConnectionRunFailedError."""


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        run: RunConnection,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.run = run
        self.me = f"{os.getpid()}:{uuid.uuid4().hex[:16]}"
        self.running: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None
        self._claims: dict[int, service.Claim] = {}  # each run's claim, as last renewed

    async def start(self) -> None:
        self._loop = asyncio.create_task(self._forever(), name="hub-connections")

    async def stop(self) -> None:
        tasks = [t for t in (self._loop, *self.running) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the database is away: try again next time
                log.exception("looking for due connections failed")
            await asyncio.sleep(self.settings.connection_poll_seconds)

    async def tick(self) -> None:
        """Claim and start what is due, within this process's share of running slots."""
        room = self.settings.connection_max_running - len(self.running)
        if room <= 0:
            return
        now = utcnow()
        async with self.sessionmaker() as session:
            found = await service.due(session=session, now=now, limit=room)
        for row in found:
            async with transaction(self.sessionmaker) as session:
                claim = await service.claim(
                    session=session,
                    row=row,
                    me=self.me,
                    now=now,
                    lease=self.settings.connection_lease_seconds,
                )
            if claim is not None:
                task = asyncio.create_task(self._run(row, claim), name=f"hub-connection-{row.id}")
                self.running.add(task)
                task.add_done_callback(self.running.discard)

    async def _run(self, row: StandingConnection, claim: service.Claim) -> None:
        heartbeat = asyncio.create_task(self._renew(claim))
        run_id: int | None = None
        error: str | None = None
        try:
            run_id = await self.run(row)
        except ConnectionRunFailedError as failed:
            run_id, error = failed.run_id, str(failed)
        except Exception as failed:  # an adapter's own fault must not stop the scheduler
            log.exception("connection %s failed", row.id)
            error = f"{type(failed).__name__}: {failed}"
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        latest = self._claims.pop(claim.claim_id, claim)
        async with transaction(self.sessionmaker) as session:
            await service.finish(
                session=session,
                claim=latest,
                run_id=run_id,
                error=error,
                now=utcnow(),
                retry_base=self.settings.connection_retry_seconds,
                retry_ceiling=self.settings.connection_max_retry_seconds,
            )

    async def _renew(self, claim: service.Claim) -> None:
        lease = self.settings.connection_lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            async with transaction(self.sessionmaker) as session:
                claim = await service.renew(session=session, claim=claim, lease=lease, now=utcnow())
            self._claims[claim.claim_id] = claim
