"""The case lifecycle as one state machine: RECEIVED → DISPATCHED → RESPONDED → RESOLVED → CLOSED.

Return-call feedback saying the problem is not solved reopens a resolved case (back to
DISPATCHED, the same departments). The 12345 centre's steps in between run on the same table:
a unit signs (签收) or returns (退单) its dispatch, the dispatcher rules on the return and
re-dispatches (转派); extensions (延期), urgings and supervision notices (催办/督办) keep the
case where it is; duplicates merge into a main order (合并 → MERGED); out-of-scope requests
are declined (不予受理 → DECLINED); the centre reviews a resolved case before it is archived
(办结审核: approved → CLOSED, rejected → DISPATCHED). A dispatch has its own small machine
(``DISPATCH_TRANSITIONS``). Anything else is an illegal transition.
"""

from __future__ import annotations

import enum

from hub.cases.models import CaseStatus, DispatchStatus
from hub.errors import IllegalTransitionError


class CaseTransition(enum.StrEnum):
    DISPATCH = "DISPATCH"
    RESPOND = "RESPOND"
    RESOLVE = "RESOLVE"
    REOPEN = "REOPEN"
    CLOSE = "CLOSE"
    SIGN = "SIGN"
    RETURN = "RETURN"
    REVIEW_RETURN = "REVIEW_RETURN"
    RECALL = "RECALL"
    REQUEST_EXTENSION = "REQUEST_EXTENSION"
    REVIEW_EXTENSION = "REVIEW_EXTENSION"
    URGE = "URGE"
    SUPERVISE = "SUPERVISE"
    MERGE = "MERGE"
    ABSORB = "ABSORB"
    DECLINE = "DECLINE"
    APPROVE_CLOSURE = "APPROVE_CLOSURE"
    REJECT_CLOSURE = "REJECT_CLOSURE"


S = CaseStatus
# Still being worked on: dispatched and not yet resolved.
_IN_HAND = {S.DISPATCHED: S.DISPATCHED, S.RESPONDED: S.RESPONDED}
_OPEN = {S.RECEIVED: S.RECEIVED, **_IN_HAND}

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
    CaseTransition.SIGN: _IN_HAND,
    # A unit returns its dispatch before it has answered the caller.
    CaseTransition.RETURN: {S.DISPATCHED: S.DISPATCHED},
    CaseTransition.REVIEW_RETURN: {S.DISPATCHED: S.DISPATCHED},
    # The last unit's return accepted with no one to send it to: back to the dispatcher.
    CaseTransition.RECALL: {S.DISPATCHED: S.RECEIVED},
    CaseTransition.REQUEST_EXTENSION: _IN_HAND,
    CaseTransition.REVIEW_EXTENSION: _IN_HAND,
    CaseTransition.URGE: _IN_HAND,
    CaseTransition.SUPERVISE: _IN_HAND,
    # A duplicate becomes MERGED; its main order absorbs it and stays where it is.
    CaseTransition.MERGE: {S.RECEIVED: S.MERGED, S.DISPATCHED: S.MERGED, S.RESPONDED: S.MERGED},
    CaseTransition.ABSORB: _OPEN,
    CaseTransition.DECLINE: {S.RECEIVED: S.DECLINED, S.DISPATCHED: S.DECLINED},
    CaseTransition.APPROVE_CLOSURE: {S.RESOLVED: S.CLOSED},
    CaseTransition.REJECT_CLOSURE: {S.RESOLVED: S.DISPATCHED},
}


class DispatchTransition(enum.StrEnum):
    SIGN = "SIGN"
    RETURN = "RETURN"
    ACCEPT_RETURN = "ACCEPT_RETURN"
    REJECT_RETURN = "REJECT_RETURN"


D = DispatchStatus

DISPATCH_TRANSITIONS: dict[DispatchTransition, dict[DispatchStatus, DispatchStatus]] = {
    DispatchTransition.SIGN: {D.DISPATCHED: D.DISPATCHED, D.RESPONDED: D.RESPONDED},
    DispatchTransition.RETURN: {D.DISPATCHED: D.RETURNED},
    DispatchTransition.ACCEPT_RETURN: {D.RETURNED: D.WITHDRAWN},
    # 审定: the unit keeps the order.
    DispatchTransition.REJECT_RETURN: {D.RETURNED: D.DISPATCHED},
}


def next_status(current: CaseStatus, transition: CaseTransition) -> CaseStatus:
    try:
        return TRANSITIONS[transition][current]
    except KeyError:
        allowed = ", ".join(TRANSITIONS[transition]) or "no status"
        raise IllegalTransitionError(
            f"cannot {transition.lower()} a case that is {current}; allowed from {allowed}"
        ) from None


def next_dispatch_status(current: DispatchStatus, transition: DispatchTransition) -> DispatchStatus:
    try:
        return DISPATCH_TRANSITIONS[transition][current]
    except KeyError:
        raise IllegalTransitionError(
            f"cannot {transition.lower().replace('_', ' ')} a dispatch that is {current}"
        ) from None
