"""Notice commits that wrote events, through one sessionmaker, so no writer has to announce.

Mutations, the sweeper and in-process adapter runs all write through the hub's sessionmaker;
its sessions remember which event tables a flush (or a bulk ``INSERT``) touched and report
those kinds once the transaction has committed -- or rolled back, which burns the ids it took,
so the streams settle the gap sooner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from hub.cases.models import CaseEvent
from hub.whistles.models import WhistleEvent

__all__ = ["KINDS", "watch_commits"]

KINDS: dict[str, str] = {
    CaseEvent.__tablename__: "case",
    WhistleEvent.__tablename__: "whistle",
}
_PENDING = "hub.events.pending"

OnCommit = Callable[[frozenset[str]], None]


def watch_commits(sessionmaker: async_sessionmaker[AsyncSession], on_commit: OnCommit) -> None:
    """Make ``sessionmaker``'s sessions call ``on_commit(kinds)`` after each such commit.

    The sessions get a class of their own, so that listeners of one hub (tests run several
    in one process) never hear another's commits.
    """
    watched: type[Session] = type("EventWatchingSession", (Session,), {})
    sessionmaker.configure(sync_session_class=watched)

    def finished(session: Session) -> None:
        kinds = session.info.pop(_PENDING, None)
        if kinds:
            on_commit(frozenset(kinds))

    event.listen(watched, "after_flush", _flushed)
    event.listen(watched, "do_orm_execute", _executed)
    event.listen(watched, "after_commit", finished)
    event.listen(watched, "after_rollback", finished)


def _note(session: Session, table: Any) -> None:
    kind = KINDS.get(getattr(table, "name", ""))
    if kind is not None:
        session.info.setdefault(_PENDING, set()).add(kind)


def _flushed(session: Session, _: UOWTransaction) -> None:
    for instance in session.new:
        _note(session, getattr(instance, "__table__", None))


def _executed(state: ORMExecuteState) -> None:
    if state.is_insert:
        _note(state.session, getattr(state.statement, "table", None))
