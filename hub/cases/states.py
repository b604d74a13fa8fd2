"""The shapes the lifecycle works on: a case, a dispatch, an extension, as the service's ORM rows
or a batch's rows in memory, and the act of a step: who takes it, when, and where its events go.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hub.auth.actors import Actor
from hub.cases.models import (
    CaseStatus,
    Decision,
    DispatchRole,
    DispatchStatus,
    WarningLevel,
)


class CaseState(Protocol):
    """The case's fields the lifecycle reads and changes (a ``Case`` or a batch's row)."""

    number: str
    status: CaseStatus
    source: Any
    subdistrict_code: str
    reported_at: dt.datetime
    updated_at: dt.datetime
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    feedback_resolved: bool | None
    feedback_satisfied: bool | None
    feedback_comment: str | None
    feedback_at: dt.datetime | None
    reopen_count: int
    warning_level: WarningLevel
    resolve_by: dt.datetime | None
    warn_at: dt.datetime | None
    resolve_overdue: bool


class DispatchState(Protocol):
    """A dispatch's fields the lifecycle changes (a ``CaseDispatch`` or a batch's row)."""

    department_code: str
    status: DispatchStatus
    role: DispatchRole
    note: str | None
    dispatched_at: dt.datetime
    sign_by: dt.datetime | None
    signed_at: dt.datetime | None
    sign_overdue: bool
    ruled: bool
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None


class ExtensionState(Protocol):
    """A pending extension's fields its review changes (a ``CaseExtension`` or a batch's row)."""

    until: dt.datetime
    decision: Decision
    decided_at: dt.datetime | None
    decided_by: dict[str, Any] | None
    decision_note: str | None


class Timeline:
    """Where a step's events go, each as its columns (``type at actor note data``): the case's
    session (``hub.cases.events.timeline_of``) or a batch's list of rows.

    ``record`` turns the actor into the event's ``actor`` column (a batch caches it per actor).
    """

    def __init__(
        self,
        write: Callable[[dict[str, Any]], object],
        record: Callable[[Actor], dict[str, Any]] = Actor.as_record,
    ) -> None:
        self._write = write
        self._record = record

    def __call__(
        self,
        type_: str,
        actor: Actor,
        *,
        at: dt.datetime,
        note: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self._write(
            {"type": type_, "at": at, "actor": self._record(actor), "note": note, "data": data}
        )


@dataclass(frozen=True, slots=True)
class Act:
    """A step as it is taken: by ``actor``, at ``now``, its events written to ``timeline``."""

    actor: Actor
    now: dt.datetime
    timeline: Timeline

    def record(
        self,
        type_: str,
        *,
        note: str | None = None,
        data: dict[str, Any] | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """An event of the step, at the step's time unless ``at`` says otherwise."""
        self.timeline(type_, self.actor, at=self.now if at is None else at, note=note, data=data)
