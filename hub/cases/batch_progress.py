"""A batch's new case moved through the one lifecycle in memory: its rows are plain dicts that
``hub.cases.batch.report_many`` then writes, a table at a time, for the whole batch.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, cast

from hub.auth.actors import Actor
from hub.auth.policy import PermissionDeniedError
from hub.cases import lifecycle
from hub.cases.access import CaseAction, require_case_action
from hub.cases.models import CaseStatus, Decision
from hub.cases.progress import CaseUpdate, Step, StepActors, StepKind, plan
from hub.cases.states import Act, CaseState, DispatchState, ExtensionState, Timeline
from hub.errors import IllegalTransitionError

Row = dict[str, Any]


class _Fields:
    """A new row the lifecycle changes in place: its attributes are its columns (the row is its
    ``__dict__``), those of ``states.CaseState``, ``DispatchState`` or ``ExtensionState``."""

    def __init__(self, fields: Row) -> None:
        self.__dict__ = fields


def case_state(fields: Row) -> CaseState:
    """A new case's row (``intake.case_row``) as the lifecycle changes it."""
    return cast(CaseState, _Fields(fields))


def _dispatch_row(fields: Row) -> DispatchState:
    """Made complete by ``lifecycle.assign``."""
    return cast(DispatchState, _Fields(fields))


def _extension_row(fields: Row) -> ExtensionState:
    """As ``lifecycle.extension_requested`` made it."""
    return cast(ExtensionState, _Fields(fields))


@cache
def _record(actor: Actor) -> dict[str, Any]:
    """``Actor.as_record`` once per actor: a batch writes thousands of events by a handful."""
    return actor.as_record()


_ACTION_OF_STEP = {
    StepKind.DISPATCH: CaseAction.DISPATCH,
    StepKind.FEEDBACK: CaseAction.FEEDBACK,
    StepKind.CLOSE: CaseAction.CLOSE,
    StepKind.REVIEW_EXTENSION: CaseAction.REVIEW_EXTENSION,
}


class Progress:
    """One new case moved through the lifecycle in memory: its dispatches, returns, extension
    requests and events, as rows without their ``case_id``."""

    def __init__(self, case: CaseState, actors: StepActors) -> None:
        self.case = case
        self.actors = actors
        self.dispatches: dict[str, DispatchState] = {}
        self.returns: list[Row] = []
        self.extensions: list[ExtensionState] = []
        self.events: list[Row] = []
        self.timeline = Timeline(self.events.append, record=_record)
        lifecycle.reported(case, Act(actors.system, case.reported_at, self.timeline))

    def run(self, update: CaseUpdate, *, versioned: bool, allowed: set[StepKind]) -> None:
        """The steps from RECEIVED to where ``update`` says the case stands; ``allowed`` is the
        batch's memo of the step kinds the system actor has been checked for."""
        steps = plan(
            status=CaseStatus.RECEIVED,
            dispatched=frozenset(),
            update=update,
            since=self.case.reported_at,
            versioned=versioned,
        )
        for step in steps:
            if step.kind not in allowed and step.kind in _ACTION_OF_STEP:
                require_case_action(self.actors.system, _ACTION_OF_STEP[step.kind])
                allowed.add(step.kind)
            if step.kind in _CENTRE_STEPS:
                self._centre_step(step, update)
            else:
                self._step(step.kind, step.at, step.departments, update)

    def _act(self, actor: Actor, at: dt.datetime) -> Act:
        return Act(actor, at, self.timeline)

    def _centre_step(self, step: Step, update: CaseUpdate) -> None:
        """退单 and 延期 on a new case: the unit's return or request, the centre's review."""
        case, code = self.case, step.departments[0]
        if step.kind is StepKind.RETURN:
            assert update.returned is not None
            back, unit = update.returned, self._act(self.actors.department(code), step.at)
            own = self._own(code)
            row = lifecycle.returned(case, own, reason=back.reason, note=back.note, act=unit)
            self.returns.append(row)
        elif step.kind is StepKind.REQUEST_EXTENSION:
            assert update.extension is not None
            asked = update.extension
            fields = lifecycle.extension_requested(
                case,
                self._own(code),
                until=asked.until,
                reason=asked.reason,
                pending=any(row.decision is Decision.PENDING for row in self.extensions),
                act=self._act(self.actors.department(code), step.at),
            )
            self.extensions.append(_extension_row(fields))
        else:
            pending = [r for r in self.extensions if r.decision is Decision.PENDING]
            if not pending:
                raise IllegalTransitionError(f"case {case.number} has no extension to review")
            [asked_row] = pending
            centre = self._act(self.actors.system, step.at)
            lifecycle.extension_reviewed(
                case, asked_row, approve=step.approve, note=None, act=centre
            )

    def _own(self, code: str) -> DispatchState:
        """The unit's dispatch, refused as ``service.own_dispatch`` refuses a unit without one."""
        own = self.dispatches.get(code)
        if own is None:
            raise PermissionDeniedError(
                f"case {self.case.number} was not dispatched to your department"
            )
        return own

    def _step(
        self, kind: StepKind, at: dt.datetime, departments: tuple[str, ...], update: CaseUpdate
    ) -> None:
        case, system = self.case, self._act(self.actors.system, at)
        if kind is StepKind.DISPATCH:
            fresh = [code for code in dict.fromkeys(departments) if code not in self.dispatches]
            leads = lifecycle.leader(case, self.dispatches.values(), fresh, None)
            sent = []
            for code in fresh:
                row = self.dispatches[code] = _dispatch_row({"department_code": code})
                lifecycle.assign(row, leads=code == leads, note=update.dispatch_note, now=at)
                sent.append(row)
            lifecycle.dispatched(case, sent, note=update.dispatch_note, act=system)
        elif kind is StepKind.SIGN:
            code = departments[0]
            lifecycle.signed(case, self._own(code), self._act(self.actors.department(code), at))
        elif kind is StepKind.RESPOND:
            for code in departments:
                unit = self._act(self.actors.department(code), at)
                lifecycle.responded(case, self._own(code), note=None, act=unit)
        elif kind is StepKind.RESOLVE:
            code = departments[0]
            unit = self._act(self.actors.department(code), at)
            lifecycle.resolved(case, self._own(code), note=update.resolve_note, act=unit)
        elif kind is StepKind.FEEDBACK:
            lifecycle.feedback(
                case,
                self.dispatches.values(),
                resolved=bool(update.visit_resolved),
                satisfied=update.visit_satisfied,
                comment=None,
                act=system,
            )
        else:
            lifecycle.closed(case, note=None, act=system)


_CENTRE_STEPS = {StepKind.RETURN, StepKind.REQUEST_EXTENSION, StepKind.REVIEW_EXTENSION}
