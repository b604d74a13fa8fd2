"""The whistle lifecycle as one state machine: Chaoyang's seven steps (七步工作法).

    cases form the source (哨源形成) → the street blows (街乡吹哨) → the platform above reviews
    (区级平台受理) → the summoned report in on site (部门报到) → joint action → resolved →
    evaluated (评价监督) → closed with feedback (结果反馈)

A DISTRICT whistle summons at once. CROSS_DISTRICT and CITY whistles wait in PENDING_REVIEW
for the platform above, except EMERGENCY ones, which summon at once and are reviewed after.
Each summons moves SUMMONED → ACKNOWLEDGED → ARRIVED → DONE; reporting in implies the
acknowledgement. Anything else is an illegal transition.
"""

from __future__ import annotations

import enum

from hub.errors import IllegalTransitionError
from hub.whistles.models import SummonsStatus, WhistleKind, WhistleScope, WhistleStatus


class WhistleTransition(enum.StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    SUMMON = "SUMMON"
    ACKNOWLEDGE = "ACKNOWLEDGE"
    ACT = "ACT"
    COMPLETE = "COMPLETE"
    RESOLVE = "RESOLVE"
    EVALUATE = "EVALUATE"
    CLOSE = "CLOSE"
    ESCALATE = "ESCALATE"


class SummonsTransition(enum.StrEnum):
    ACKNOWLEDGE = "ACKNOWLEDGE"
    REPORT_IN = "REPORT_IN"
    COMPLETE = "COMPLETE"


W = WhistleStatus
SUMMONED_OR_ACTING = {W.SUMMONING: W.SUMMONING, W.IN_ACTION: W.IN_ACTION}

# transition → {from status: to status}
TRANSITIONS: dict[WhistleTransition, dict[WhistleStatus, WhistleStatus]] = {
    # An emergency whistle is already summoning (or in action) when it is reviewed.
    WhistleTransition.APPROVE: {W.PENDING_REVIEW: W.SUMMONING, **SUMMONED_OR_ACTING},
    WhistleTransition.REJECT: {
        W.PENDING_REVIEW: W.REJECTED,
        W.SUMMONING: W.REJECTED,
        W.IN_ACTION: W.REJECTED,
    },
    WhistleTransition.SUMMON: dict(SUMMONED_OR_ACTING),
    WhistleTransition.ACKNOWLEDGE: dict(SUMMONED_OR_ACTING),
    # The first party on site, or a scheduled joint action, starts the action.
    WhistleTransition.ACT: {W.SUMMONING: W.IN_ACTION, W.IN_ACTION: W.IN_ACTION},
    WhistleTransition.COMPLETE: {W.IN_ACTION: W.IN_ACTION},
    WhistleTransition.RESOLVE: {W.SUMMONING: W.RESOLVED, W.IN_ACTION: W.RESOLVED},
    WhistleTransition.EVALUATE: {W.RESOLVED: W.RESOLVED},
    WhistleTransition.CLOSE: {W.RESOLVED: W.CLOSED},
    WhistleTransition.ESCALATE: {W.PENDING_REVIEW: W.PENDING_REVIEW, **SUMMONED_OR_ACTING},
}

S = SummonsStatus

SUMMONS_TRANSITIONS: dict[SummonsTransition, dict[SummonsStatus, SummonsStatus]] = {
    SummonsTransition.ACKNOWLEDGE: {S.SUMMONED: S.ACKNOWLEDGED},
    SummonsTransition.REPORT_IN: {S.SUMMONED: S.ARRIVED, S.ACKNOWLEDGED: S.ARRIVED},
    SummonsTransition.COMPLETE: {S.ARRIVED: S.DONE},
}

# 0 = the street's own loop, 1 = the district platform, 2 = the city platform (三级响应).
ESCALATION_LEVELS = ("street", "district platform", "city platform")
TOP_ESCALATION = len(ESCALATION_LEVELS) - 1


def next_status(current: WhistleStatus, transition: WhistleTransition) -> WhistleStatus:
    try:
        return TRANSITIONS[transition][current]
    except KeyError:
        allowed = ", ".join(TRANSITIONS[transition]) or "no status"
        raise IllegalTransitionError(
            f"cannot {transition.lower()} a whistle that is {current}; allowed from {allowed}"
        ) from None


def next_summons_status(current: SummonsStatus, transition: SummonsTransition) -> SummonsStatus:
    try:
        return SUMMONS_TRANSITIONS[transition][current]
    except KeyError:
        allowed = ", ".join(SUMMONS_TRANSITIONS[transition])
        raise IllegalTransitionError(
            f"cannot {transition.lower().replace('_', ' ')} for a summons that is {current}; "
            f"allowed from {allowed}"
        ) from None


def needs_review(scope: WhistleScope) -> bool:
    """Whistles that reach beyond the caller's district go to the platform above."""
    return scope is not WhistleScope.DISTRICT


def initial_status(kind: WhistleKind, scope: WhistleScope) -> WhistleStatus:
    if needs_review(scope) and kind is not WhistleKind.EMERGENCY:
        return W.PENDING_REVIEW
    return W.SUMMONING
