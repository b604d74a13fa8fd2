"""The overdue sweeper: every hub process runs it; each overdue item is flagged exactly once.

The guarantee comes from the sweep functions themselves (conditional UPDATE … RETURNING), so
any number of processes may sweep at the same time without coordinating.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases import service as cases
from hub.cases import supervision
from hub.db import transaction, utcnow
from hub.observability import metrics
from hub.themes import service as themes
from hub.whistles import service as whistles

log = logging.getLogger("hub.sweeper")

Sweep = Callable[..., Awaitable[int]]


# Every domain's sweep, by name; a domain with deadlines adds its own here.
SWEEPS: dict[str, Sweep] = {
    "cases": cases.sweep_overdue,
    "warnings": supervision.sweep_warnings,
    "themes": themes.sweep_matches,
    "whistles": whistles.sweep_overdue,
}


async def sweep_once(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: dt.datetime | None = None
) -> dict[str, int]:
    """One pass of every sweep, each in its own transaction; returns what each flagged."""
    moment = now or utcnow()
    flagged: dict[str, int] = {}
    for name, sweep in SWEEPS.items():
        async with transaction(sessionmaker) as session:
            flagged[name] = await sweep(session=session, now=moment)
    return flagged


async def sweep_forever(sessionmaker: async_sessionmaker[AsyncSession], *, interval: float) -> None:
    """The background task of a hub process; a failed pass is logged and retried next time."""
    while True:
        try:
            flagged = await sweep_once(sessionmaker)
            metrics.SWEEPS.labels("ok").inc()
            for name, count in flagged.items():
                metrics.SWEEP_FLAGS.labels(name).inc(count)
            if any(flagged.values()):
                log.info("sweeper flagged overdue: %s", flagged)
        except Exception:
            metrics.SWEEPS.labels("failed").inc()
            log.exception("sweeper pass failed; retrying in %.0fs", interval)
        await asyncio.sleep(interval)


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
