"""The case lifecycle as one state machine: RECEIVED → DISPATCHED → RESPONDED → RESOLVED → CLOSED.

Return-call feedback saying the problem is not solved reopens a resolved case (back to
DISPATCHED, the same departments). Anything else is an illegal transition.
"""

from __future__ import annotations

import enum

from hub.cases.models import CaseStatus
from hub.errors import DomainError


class IllegalTransitionError(DomainError):
    code = "ILLEGAL_TRANSITION"


class CaseTransition(enum.StrEnum):
    DISPATCH = "DISPATCH"
    RESPOND = "RESPOND"
    RESOLVE = "RESOLVE"
    REOPEN = "REOPEN"
    CLOSE = "CLOSE"


S = CaseStatus

# transition → {from status: to status}
TRANSITIONS: dict[CaseTransition, dict[CaseStatus, CaseStatus]] = {
    # A further dispatch adds departments without moving the case back.
    CaseTransition.DISPATCH: {
        S.RECEIVED: S.DISPATCHED,
        S.DISPATCHED: S.DISPATCHED,
        S.RESPONDED: S.RESPONDED,
    },
    CaseTransition.RESPOND: {S.DISPATCHED: S.RESPONDED, S.RESPONDED: S.RESPONDED},
    # Resolving implies the department responded (a same-day fix needs no separate reply).
    CaseTransition.RESOLVE: {S.DISPATCHED: S.RESOLVED, S.RESPONDED: S.RESOLVED},
    CaseTransition.REOPEN: {S.RESOLVED: S.DISPATCHED},
    CaseTransition.CLOSE: {S.RESOLVED: S.CLOSED},
}


def next_status(current: CaseStatus, transition: CaseTransition) -> CaseStatus:
    try:
        return TRANSITIONS[transition][current]
    except KeyError:
        allowed = ", ".join(TRANSITIONS[transition]) or "no status"
        raise IllegalTransitionError(
            f"cannot {transition.lower()} a case that is {current}; allowed from {allowed}"
        ) from None
