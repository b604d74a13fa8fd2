"""The audit log as a hash chain: each entry's SHA-256 covers its content and the previous hash.

An entry's hash is SHA-256 over the canonical encoding of ``[id, at, actor_sub, actor_role,
actor, operation, target, outcome, correlation_id, detail, prev_hash]``: JSON with sorted keys,
no spaces, ASCII escapes, the time as UTC ISO 8601 with microseconds. The first entry's
``prev_hash`` is 64 zeros.

Entries are chained as they are flushed, in the transaction that writes them (and the change
they record), by a ``before_flush`` hook on every ORM session: whatever path adds an
``AuditEntry`` gets it chained. The hook first touches the one-row ``audit_chain`` head with an
``UPDATE``, which takes its row lock on PostgreSQL and the database's write lock on SQLite, then
reads it: concurrent writers queue there until the holder commits or rolls back, so the chain
has one order and no fork. Ids are given by the chain (the head's ``last_id`` + 1).

``verify`` walks the log in id order and names the first entry whose hash does not match its
content or whose ``prev_hash`` does not match the entry before it (an entry changed, inserted or
deleted), and checks that the head names the last entry (entries deleted at the end).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, UOWTransaction

from hub.audit.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
HEAD_ID = 1
PAGE = 2000


def canonical(fields: list[Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    fields = [
        entry.id,
        _instant(entry.at),
        entry.actor_sub,
        entry.actor_role,
        entry.actor,
        entry.operation,
        entry.target,
        entry.outcome,
        entry.correlation_id,
        entry.detail,
        prev_hash,
    ]
    return hashlib.sha256(canonical(fields)).hexdigest()


def _instant(at: dt.datetime) -> str:
    if at.tzinfo is None:  # a UTCDateTime column read back is aware; be exact either way
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _touch(session: Session) -> bool:
    """UPDATE the head onto itself: the lock that queues writers. False if there is none."""
    touched = session.connection().execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_id=AuditChainHead.last_id)
    )
    return bool(touched.rowcount)


def _lock_head(session: Session) -> tuple[int, str]:
    """The chain head, locked until this transaction ends (created if missing)."""
    connection = session.connection()
    if not _touch(session):
        dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(
            dialect_insert(AuditChainHead)
            .values(id=HEAD_ID, last_id=0, last_hash=GENESIS)
            .on_conflict_do_nothing()
        )
        _touch(session)
    row = connection.execute(
        select(AuditChainHead.last_id, AuditChainHead.last_hash).where(AuditChainHead.id == HEAD_ID)
    ).one()
    return int(row.last_id), str(row.last_hash)


def chain(session: Session, entries: Iterable[AuditEntry]) -> None:
    """Give ``entries`` their ids and hashes after the chain's head, and move the head."""
    pending = list(entries)
    if not pending:
        return
    last_id, last_hash = _lock_head(session)
    for entry in pending:
        last_id += 1
        entry.id = last_id
        entry.prev_hash = last_hash
        entry.hash = last_hash = entry_hash(entry, last_hash)
    session.connection().execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_id=last_id, last_hash=last_hash)
    )


@event.listens_for(Session, "before_flush")
def _chain_new_entries(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    new = [item for item in session.new if isinstance(item, AuditEntry) and item.hash is None]
    # In the order they were added, which is the order they are inserted in.
    new.sort(key=lambda item: inspect(item).insert_order or 0)
    for entry in new:
        for name, default in (
            ("actor_role", None),
            ("target", None),
            ("correlation_id", None),
            ("detail", None),
        ):
            if name not in entry.__dict__:
                setattr(entry, name, default)
    chain(session, new)


@dataclass(frozen=True, slots=True)
class Verdict:
    entries: int
    head: str
    broken_at: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None and self.reason is None


async def verify(sessionmaker: async_sessionmaker[AsyncSession]) -> Verdict:
    """Walk the chain from its first entry; the first break found, if any."""
    prev_hash, last_id, count = GENESIS, 0, 0
    async with sessionmaker() as session:
        while True:
            rows = (
                await session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.id > last_id)
                    .order_by(AuditEntry.id)
                    .limit(PAGE)
                )
            ).all()
            for entry in rows:
                if entry.prev_hash != prev_hash:
                    return Verdict(
                        count,
                        prev_hash,
                        entry.id,
                        f"entry {entry.id} does not follow the entry before it"
                        + (f" ({last_id})" if last_id else "")
                        + ": an entry between them was deleted, or one of them changed",
                    )
                if entry_hash(entry, prev_hash) != entry.hash:
                    return Verdict(
                        count,
                        prev_hash,
                        entry.id,
                        f"entry {entry.id} was changed after it was written",
                    )
                prev_hash, last_id, count = entry.hash, entry.id, count + 1
            session.expunge_all()
            if len(rows) < PAGE:
                break
        head = (
            await session.execute(
                select(AuditChainHead.last_id, AuditChainHead.last_hash).where(
                    AuditChainHead.id == HEAD_ID
                )
            )
        ).one_or_none()
    if head is None:
        if count:
            return Verdict(count, prev_hash, None, "the chain head is missing")
        return Verdict(0, GENESIS)
    if (int(head.last_id), str(head.last_hash)) != (last_id, prev_hash):
        return Verdict(
            count,
            prev_hash,
            int(head.last_id),
            f"the chain head names entry {head.last_id} but the log ends at entry {last_id}: "
            "entries at the end were deleted, or the head changed",
        )
    return Verdict(count, prev_hash)
