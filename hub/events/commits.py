"""Notice commits that wrote events, through one sessionmaker, so no writer has to announce.

Mutations, the sweeper and adapter runs all write through a sessionmaker; its sessions
remember which event tables a flush, an ORM ``INSERT`` or a driver-level ``BulkInsert``
touched and report those kinds once the transaction has committed -- or rolled back, which
burns the ids it took, so the streams settle the gap sooner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from hub.cases.models import CaseEvent
from hub.db import WRITTEN_TABLES
from hub.whistles.models import WhistleEvent

__all__ = ["KINDS", "watch_commits"]

KINDS: dict[str, str] = {
    CaseEvent.__tablename__: "case",
    WhistleEvent.__tablename__: "whistle",
}
OnCommit = Callable[[frozenset[str]], None]


def watch_commits(sessionmaker: async_sessionmaker[AsyncSession], on_commit: OnCommit) -> None:
    """Make ``sessionmaker``'s sessions call ``on_commit(kinds)`` after each such commit.

    The sessions get a class of their own, so that listeners of one hub (tests run several
    in one process) never hear another's commits.
    """
    watched: type[Session] = type("EventWatchingSession", (Session,), {})
    sessionmaker.configure(sync_session_class=watched)

    def finished(session: Session, transaction: SessionTransaction) -> None:
        # A savepoint's end is not a commit: what it wrote is not visible to anyone yet.
        if transaction.parent is not None:
            return
        tables = session.info.pop(WRITTEN_TABLES, ())
        kinds = frozenset(KINDS[table] for table in tables if table in KINDS)
        if kinds:
            on_commit(kinds)

    event.listen(watched, "after_flush", _flushed)
    event.listen(watched, "do_orm_execute", _executed)
    # Once the outermost transaction has committed or rolled back (SQLAlchemy's after_commit
    # and after_rollback fire for savepoints too).
    event.listen(watched, "after_transaction_end", finished)


def _note(session: Session, table: Any) -> None:
    name = getattr(table, "name", None)
    if name in KINDS:
        session.info.setdefault(WRITTEN_TABLES, set()).add(name)


def _flushed(session: Session, _: UOWTransaction) -> None:
    for instance in session.new:
        _note(session, getattr(instance, "__table__", None))


def _executed(state: ORMExecuteState) -> None:
    if state.is_insert:
        _note(state.session, getattr(state.statement, "table", None))
