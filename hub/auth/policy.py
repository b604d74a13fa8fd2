"""Who may see and do what: every rule of jurisdiction scope, in one place.

Resolvers and services never test roles themselves; they ask this module. A refusal to act on
something the actor cannot see is reported as NOT_FOUND, so refusals never reveal existence.
"""

from __future__ import annotations

import enum

from sqlalchemy import ColumnElement, exists, false, or_, true

from hub.actors import Actor, Role
from hub.cases.models import Case, CaseDispatch, CaseJurisdiction
from hub.errors import DomainError


class PermissionDeniedError(DomainError):
    code = "FORBIDDEN"


class CaseAction(enum.StrEnum):
    REPORT = "REPORT"
    DISPATCH = "DISPATCH"
    RESPOND = "RESPOND"
    RESOLVE = "RESOLVE"
    FEEDBACK = "FEEDBACK"
    CLOSE = "CLOSE"


def scope_prefix(actor: Actor) -> str:
    """The code prefix of the actor's jurisdiction (a grid code is its own prefix)."""
    code = actor.jurisdiction_code or ""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    return code


def within_scope(actor: Actor, code: str | None) -> bool:
    prefix = scope_prefix(actor)
    return bool(prefix) and code is not None and code.startswith(prefix)


# Which roles may take each action on a case they can see (scope is checked separately).
CASE_ACTIONS: dict[CaseAction, frozenset[Role]] = {
    CaseAction.REPORT: frozenset(
        {
            Role.CITY_PLATFORM,
            Role.DISTRICT_PLATFORM,
            Role.STREET_OFFICE,
            Role.DEPARTMENT,
            Role.GRID_WORKER,
            Role.HOTLINE,
        }
    ),
    CaseAction.DISPATCH: frozenset(
        {Role.CITY_PLATFORM, Role.DISTRICT_PLATFORM, Role.STREET_OFFICE, Role.HOTLINE}
    ),
    CaseAction.RESPOND: frozenset(
        {Role.CITY_PLATFORM, Role.DISTRICT_PLATFORM, Role.STREET_OFFICE, Role.DEPARTMENT}
    ),
    CaseAction.RESOLVE: frozenset(
        {Role.CITY_PLATFORM, Role.DISTRICT_PLATFORM, Role.STREET_OFFICE, Role.DEPARTMENT}
    ),
    CaseAction.FEEDBACK: frozenset({Role.CITY_PLATFORM, Role.HOTLINE}),
    CaseAction.CLOSE: frozenset(
        {Role.CITY_PLATFORM, Role.DISTRICT_PLATFORM, Role.STREET_OFFICE, Role.HOTLINE}
    ),
}

# Roles that see the reporter's contact unmasked (to call back).
CONTACT_ROLES = frozenset({Role.CITY_PLATFORM, Role.HOTLINE})


def case_visibility(actor: Actor) -> ColumnElement[bool]:
    """A SQL condition on ``Case`` selecting exactly the cases the actor may see."""
    role = actor.role
    if role in (Role.CITY_PLATFORM, Role.HOTLINE):
        return true()
    prefix = scope_prefix(actor)
    if role is Role.DISTRICT_PLATFORM and prefix:
        return or_(
            Case.district_code.startswith(prefix),
            exists().where(
                CaseJurisdiction.case_id == Case.id,
                CaseJurisdiction.subdistrict_code.startswith(prefix),
            ),
        )
    if role is Role.STREET_OFFICE and prefix:
        return or_(
            Case.subdistrict_code == prefix,
            exists().where(
                CaseJurisdiction.case_id == Case.id, CaseJurisdiction.subdistrict_code == prefix
            ),
        )
    if role is Role.GRID_WORKER and prefix:
        return Case.grid_code.startswith(prefix)
    if role is Role.DEPARTMENT and actor.department_code:
        return exists().where(
            CaseDispatch.case_id == Case.id,
            CaseDispatch.department_code == actor.department_code,
        )
    return false()


def may_see_case(actor: Actor, case: Case, crossed: list[str], dispatched: list[str]) -> bool:
    """The same rule as ``case_visibility``, for a row already loaded."""
    role = actor.role
    if role in (Role.CITY_PLATFORM, Role.HOTLINE):
        return True
    prefix = scope_prefix(actor)
    if role is Role.DISTRICT_PLATFORM and prefix:
        return case.district_code.startswith(prefix) or any(c.startswith(prefix) for c in crossed)
    if role is Role.STREET_OFFICE and prefix:
        return case.subdistrict_code == prefix or prefix in crossed
    if role is Role.GRID_WORKER and prefix:
        return case.grid_code is not None and case.grid_code.startswith(prefix)
    if role is Role.DEPARTMENT and actor.department_code:
        return actor.department_code in dispatched
    return False


def require_case_action(actor: Actor, action: CaseAction) -> None:
    if actor.role not in CASE_ACTIONS[action]:
        raise PermissionDeniedError(
            f"a {actor.role or 'anonymous'} actor may not {action.lower()} cases"
        )


def require_report_scope(actor: Actor, subdistrict_code: str, grid_code: str | None) -> None:
    """Street offices, grid workers and district platforms report within their own area."""
    require_case_action(actor, CaseAction.REPORT)
    if actor.role in (Role.STREET_OFFICE, Role.DISTRICT_PLATFORM) and not within_scope(
        actor, subdistrict_code
    ):
        raise PermissionDeniedError("the case lies outside your jurisdiction", field="location")
    if actor.role is Role.GRID_WORKER and not within_scope(actor, grid_code):
        raise PermissionDeniedError("the case lies outside your grids", field="location")


def may_see_contact(actor: Actor) -> bool:
    return actor.role in CONTACT_ROLES


def may_read_cases(actor: Actor) -> bool:
    """Observers read aggregates only; the anonymous public reads reference data only."""
    return actor.role is not None and actor.role is not Role.OBSERVER
