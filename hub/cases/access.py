"""Who sees and acts on which case: the SQL predicate and the row check side by side."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, false, or_, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.auth.policy import PermissionDeniedError, scope_prefix, within_scope
from hub.cases.models import Case, CaseDispatch, CaseJurisdiction


class CaseAction(enum.StrEnum):
    REPORT = "REPORT"
    DISPATCH = "DISPATCH"
    RESPOND = "RESPOND"
    RESOLVE = "RESOLVE"
    FEEDBACK = "FEEDBACK"
    CLOSE = "CLOSE"
    SIGN = "SIGN"
    RETURN = "RETURN"
    REVIEW_RETURN = "REVIEW_RETURN"
    REQUEST_EXTENSION = "REQUEST_EXTENSION"
    REVIEW_EXTENSION = "REVIEW_EXTENSION"
    URGE = "URGE"
    SUPERVISE = "SUPERVISE"
    MERGE = "MERGE"
    DECLINE = "DECLINE"
    REVIEW_CLOSURE = "REVIEW_CLOSURE"


# The 12345 centre's dispatchers: the hotline and the city and district platforms.
_CENTRE = frozenset({Role.CITY_PLATFORM, Role.DISTRICT_PLATFORM, Role.HOTLINE})

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
    # A unit signs for, returns and asks to extend its own dispatch.
    CaseAction.SIGN: frozenset({Role.DEPARTMENT}),
    CaseAction.RETURN: frozenset({Role.DEPARTMENT}),
    CaseAction.REQUEST_EXTENSION: frozenset({Role.DEPARTMENT}),
    CaseAction.REVIEW_RETURN: _CENTRE,
    CaseAction.REVIEW_EXTENSION: _CENTRE,
    CaseAction.URGE: _CENTRE,
    # 督办: the platforms that supervise (a deputy director per category), not the hotline desk.
    CaseAction.SUPERVISE: frozenset({Role.CITY_PLATFORM, Role.DISTRICT_PLATFORM}),
    CaseAction.MERGE: _CENTRE,
    CaseAction.DECLINE: _CENTRE,
    CaseAction.REVIEW_CLOSURE: _CENTRE,
}

# Roles that see the reporter's contact unmasked (to call back).
CONTACT_ROLES = frozenset({Role.CITY_PLATFORM, Role.HOTLINE})


@dataclass(frozen=True)
class DepartmentReach:
    """A domain above cases letting a department read cases it was not dispatched.

    The whistles' is the one there is (吹哨报到: a department a whistle summons reads the
    whistle's source case, to know why); ``hub.whistles`` grants it when imported, as cases
    sit below whistles and do not import them.
    """

    condition: Callable[[str], ColumnElement[bool]]
    """A SQL condition on ``Case``: the department (by code) reaches the case."""
    departments: Callable[[AsyncSession, Sequence[int]], Awaitable[dict[int, list[str]]]]
    """The departments reaching each of the cases (by id)."""


_REACHES: dict[str, DepartmentReach] = {}


def grant_reach(name: str, reach: DepartmentReach) -> None:
    """Let a domain above cases add its reach (granting one name again replaces it)."""
    _REACHES[name] = reach


def case_visibility(actor: Actor) -> ColumnElement[bool]:
    """A SQL condition on ``Case`` selecting exactly the cases the actor may see."""
    role = actor.role
    if role in (Role.CITY_PLATFORM, Role.HOTLINE):
        return true()
    prefix = scope_prefix(actor)
    if role is Role.DISTRICT_PLATFORM and prefix:
        return or_(
            Case.district_code.startswith(prefix, autoescape=True),
            exists().where(
                CaseJurisdiction.case_id == Case.id,
                CaseJurisdiction.subdistrict_code.startswith(prefix, autoescape=True),
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
        return Case.grid_code.startswith(prefix, autoescape=True)
    if role is Role.DEPARTMENT and actor.department_code:
        return or_(
            exists().where(
                CaseDispatch.case_id == Case.id,
                CaseDispatch.department_code == actor.department_code,
            ),
            *(reach.condition(actor.department_code) for reach in _REACHES.values()),
        )
    return false()


def may_see_case(
    actor: Actor,
    case: Case,
    crossed: Sequence[str],
    dispatched: Sequence[str],
    summoned: Sequence[str] = (),
) -> bool:
    """The same rule as ``case_visibility``, for a row already loaded.

    ``summoned``: the departments reaching the case beyond dispatch, as ``summoned`` finds them
    (those a whistle on the case summoned).  Acting on a case follows dispatch alone:
    ``hub.cases.service`` passes none.
    """
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
        return actor.department_code in dispatched or actor.department_code in summoned
    return False


async def summoned(*, session: AsyncSession, codes: Sequence[int]) -> dict[int, list[str]]:
    """The departments reaching each case beyond dispatch (those its whistles summoned)."""
    found: dict[int, list[str]] = {}
    for reach in _REACHES.values():
        for case_id, departments in (await reach.departments(session, codes)).items():
            found.setdefault(case_id, []).extend(departments)
    return found


def require_case_action(actor: Actor, action: CaseAction) -> None:
    if actor.role not in CASE_ACTIONS[action]:
        who = f"a {actor.role} actor" if actor.role else "a caller without a token"
        raise PermissionDeniedError(f"{who} may not {action.lower()} cases")


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
