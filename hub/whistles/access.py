"""Who sees and directs which whistle: the SQL predicate and the row check side by side.

Callers: a street office blows for itself; a district platform blows for its district (the
district mayor's whistle to the city). Review (only CROSS_DISTRICT and CITY whistles need it):
the platform above the caller, i.e. the caller's district platform for a street's
CROSS_DISTRICT whistle, the city platform for CITY whistles and a district's own; the city
may review any. Escalation hands direction up: at level 1 the district platform may direct
the whistle too, at level 2 the city platform.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.auth.policy import PermissionDeniedError, scope_prefix
from hub.cases.access import DepartmentReach
from hub.cases.models import Case
from hub.departments.models import Department
from hub.whistles.models import Summons, Whistle, WhistleCase, WhistleScope

WHISTLE_READERS = frozenset(
    {Role.CITY_PLATFORM, Role.DISTRICT_PLATFORM, Role.STREET_OFFICE, Role.DEPARTMENT}
)


def may_read_whistles(actor: Actor) -> bool:
    """Observers, the hotline and grid workers see no individual whistles."""
    return actor.role in WHISTLE_READERS


def whistle_visibility(actor: Actor) -> ColumnElement[bool]:
    """A SQL condition on ``Whistle`` selecting exactly the whistles the actor may see.

    Summoned parties see a whistle once their summons is sent, and then all of it.
    """
    role, code = actor.role, actor.jurisdiction_code or ""
    summoned = exists().where(Summons.whistle_id == Whistle.id, Summons.summoned_at.is_not(None))
    if role is Role.CITY_PLATFORM:
        return true()
    if role is Role.DISTRICT_PLATFORM and code:
        prefix = scope_prefix(actor)
        seated = select_department_seated_in(prefix)
        return or_(
            Whistle.caller_code.startswith(prefix, autoescape=True),
            summoned.where(
                or_(
                    Summons.partner_code.startswith(prefix, autoescape=True),
                    Summons.department_code.in_(seated),
                )
            ),
        )
    if role is Role.STREET_OFFICE and code:
        return or_(Whistle.caller_code == code, summoned.where(Summons.partner_code == code))
    if role is Role.DEPARTMENT and actor.department_code:
        return summoned.where(Summons.department_code == actor.department_code)
    return false()


def may_see_whistle(
    actor: Actor, whistle: Whistle, summons: Sequence[Summons], seats: Mapping[str, str]
) -> bool:
    """The same rule as ``whistle_visibility``, for rows already loaded (live events).

    ``seats`` maps each summoned department's code to its jurisdiction's code.
    """
    role, code = actor.role, actor.jurisdiction_code or ""
    sent = [row for row in summons if row.summoned_at is not None]
    if role is Role.CITY_PLATFORM:
        return True
    if role is Role.DISTRICT_PLATFORM and code:
        prefix = scope_prefix(actor)
        return whistle.caller_code.startswith(prefix) or any(
            (row.partner_code or "").startswith(prefix)
            or seats.get(row.department_code or "", "").startswith(prefix)
            for row in sent
        )
    if role is Role.STREET_OFFICE and code:
        return whistle.caller_code == code or any(row.partner_code == code for row in sent)
    if role is Role.DEPARTMENT and actor.department_code:
        return any(row.department_code == actor.department_code for row in sent)
    return False


def summoned_to_case(department_code: str) -> ColumnElement[bool]:
    """A SQL condition on ``Case``: a whistle on it has summoned the department (summons sent)."""
    return exists().where(
        WhistleCase.case_id == Case.id,
        Summons.whistle_id == WhistleCase.whistle_id,
        Summons.department_code == department_code,
        Summons.summoned_at.is_not(None),
    )


async def summoned_by_case(session: AsyncSession, codes: Sequence[int]) -> dict[int, list[str]]:
    """The departments each case's whistles have summoned (their summons sent)."""
    rows = await session.execute(
        select(WhistleCase.case_id, Summons.department_code)
        .join(Summons, Summons.whistle_id == WhistleCase.whistle_id)
        .where(
            WhistleCase.case_id.in_(codes),
            Summons.department_code.is_not(None),
            Summons.summoned_at.is_not(None),
        )
        .distinct()
    )
    found: dict[int, list[str]] = defaultdict(list)
    for case_id, department_code in rows:
        if department_code is not None:
            found[case_id].append(department_code)
    return found


# A department a whistle summons reads the whistle's source case (吹哨报到: it must know why).
SUMMONS_REACH = DepartmentReach(condition=summoned_to_case, departments=summoned_by_case)


def select_department_seated_in(prefix: str) -> Select[str]:
    return select(Department.code).where(
        Department.jurisdiction_code.startswith(prefix, autoescape=True)
    )


def _platform_of(actor: Actor, district_code: str) -> bool:
    return actor.role is Role.DISTRICT_PLATFORM and actor.jurisdiction_code == district_code


def is_caller(actor: Actor, whistle: Whistle) -> bool:
    return (
        actor.role in (Role.STREET_OFFICE, Role.DISTRICT_PLATFORM)
        and actor.jurisdiction_code == whistle.caller_code
    )


def require_blow(actor: Actor, caller_code: str) -> None:
    own = actor.jurisdiction_code == caller_code
    if not (own and actor.role in (Role.STREET_OFFICE, Role.DISTRICT_PLATFORM)):
        raise PermissionDeniedError(
            "only a street office, or a district platform for its district, blows its own whistle",
            field="callerCode",
        )


def require_review(actor: Actor, whistle: Whistle) -> None:
    """The platform above the caller reviews; the city platform may review any whistle."""
    if actor.role is Role.CITY_PLATFORM:
        return
    street_called = whistle.caller_code != whistle.district_code
    if (
        whistle.scope is not WhistleScope.CITY
        and street_called
        and _platform_of(actor, whistle.district_code)
    ):
        return
    raise PermissionDeniedError(f"you do not review whistle {whistle.number}")


def require_direction(actor: Actor, whistle: Whistle) -> None:
    """The caller directs its whistle; escalation lets the platform above direct it too."""
    if is_caller(actor, whistle):
        return
    if whistle.escalation_level >= 1 and _platform_of(actor, whistle.district_code):
        return
    if whistle.escalation_level >= 2 and actor.role is Role.CITY_PLATFORM:
        return
    raise PermissionDeniedError(f"you do not direct whistle {whistle.number}")


def require_caller(actor: Actor, whistle: Whistle) -> None:
    """Rating the departments and closing are the caller's (streets assess stationed staff)."""
    if not is_caller(actor, whistle):
        raise PermissionDeniedError(f"only the caller of whistle {whistle.number} may do that")


def require_escalation(actor: Actor, whistle: Whistle) -> None:
    """The caller, its district platform or the city platform may escalate by hand."""
    if is_caller(actor, whistle) or actor.role is Role.CITY_PLATFORM:
        return
    if _platform_of(actor, whistle.district_code):
        return
    raise PermissionDeniedError(f"you may not escalate whistle {whistle.number}")


def require_own_summons(actor: Actor, summons: Summons) -> None:
    """A department acts on its own summons only; a partner street office on its own."""
    own_department = actor.role is Role.DEPARTMENT and summons.department_code is not None
    if own_department and actor.department_code == summons.department_code:
        return
    own_partner = actor.role is Role.STREET_OFFICE and summons.partner_code is not None
    if own_partner and actor.jurisdiction_code == summons.partner_code:
        return
    raise PermissionDeniedError("this summons is not yours", field="summonsId")


def require_join(actor: Actor, partner: Summons | None, departments: list[Department]) -> None:
    """A summoned partner street office brings departments of its own district (带队报到)."""
    if (
        actor.role is not Role.STREET_OFFICE
        or partner is None
        or partner.partner_code is None
        or actor.jurisdiction_code != partner.partner_code
    ):
        raise PermissionDeniedError("only a summoned partner street office joins a whistle")
    district = partner.partner_code[:6]
    foreign = [d.code for d in departments if not d.jurisdiction_code.startswith(district)]
    if foreign:
        raise PermissionDeniedError(
            f"a partner brings its own district's departments, not {', '.join(foreign)}",
            field="departmentCodes",
        )


def may_read_performance(actor: Actor) -> bool:
    """Report-in figures are aggregates: any identified actor, observers included."""
    return actor.role is not None
