"""``hub pii rotate``: reporter contacts encrypted again with the current PII key.

Set ``HUB_PII_KEY=NEW,OLD`` on every process (new tokens use NEW, old ones still read), run
the rotation once, then drop OLD. Rows go in batches of ``BATCH``, each batch its own
transaction, by id: a rotation stopped half-way is simply run again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.models import Case
from hub.config import Settings
from hub.db import transaction
from hub.pii import rotate

BATCH = 1000


@dataclass
class Rotation:
    rotated: int = 0
    unreadable: int = 0


async def rotate_contacts(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> Rotation:
    outcome, after = Rotation(), 0
    while True:
        async with transaction(sessionmaker) as session:
            rows = (
                await session.execute(
                    select(Case.id, Case.reporter_contact)
                    .where(Case.id > after, Case.reporter_contact.is_not(None))
                    .order_by(Case.id)
                    .limit(BATCH)
                )
            ).all()
            for case_id, stored in rows:
                fresh = rotate(settings, stored) if stored else None
                if fresh is None:
                    outcome.unreadable += 1
                    continue
                await session.execute(
                    update(Case).where(Case.id == case_id).values(reporter_contact=fresh)
                )
                outcome.rotated += 1
        if len(rows) < BATCH:
            return outcome
        after = rows[-1][0]
