"""Root fields over whistles: whistle, whistles, suggestSummons, departmentPerformance."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from hub.auth.actors import Role
from hub.cases.models import Case
from hub.errors import (
    InvalidInputError,
    UnauthenticatedError,
    UnknownDepartmentError,
    UnknownJurisdictionError,
)
from hub.geo.models import level_of_code
from hub.whistles import performance, queries
from hub.whistles.access import may_read_performance, may_read_whistles
from hub.whistles.intake import visible_cases
from hub.whistles.suggest import suggest_summons
from schema.context import Info
from schema.core.relay import Connection, Node, row_id
from schema.whistles.types import (
    DepartmentPerformance,
    Summons,
    SummonsSuggestion,
    Whistle,
    WhistleFilterInput,
    whistles_connection,
)

MAX_CASES = 50


async def visible_whistle(info: Info, number: str) -> Whistle | None:
    """A whistle by number if the actor may see it; null otherwise (existence is not revealed)."""
    row = await info.context.loaders.whistle_by_number.load(number)
    if row is None or not await _may_see(info, row.id):
        return None
    return Whistle(row=row)


async def _may_see(info: Info, whistle_id: int) -> bool:
    if not may_read_whistles(info.context.actor):
        return False
    async with info.context.sessionmaker() as session:
        seen = await queries.visible_ids(
            session=session, actor=info.context.actor, ids=[whistle_id]
        )
    return whistle_id in seen


async def load_whistle_node(info: Info, key: str) -> Node | None:
    return await visible_whistle(info, key)


async def load_summons_node(info: Info, key: str) -> Node | None:
    summons_id = row_id(key)
    row = await info.context.loaders.summons_by_id.load(summons_id) if summons_id else None
    if row is None or not await _may_see(info, row.whistle_id):
        return None
    return Summons(row=row)


From = Annotated[dt.datetime | None, strawberry.argument(name="from", description="Inclusive.")]
To = Annotated[dt.datetime | None, strawberry.argument(description="Exclusive.")]


async def _suggestion_cases(info: Info, numbers: list[str]) -> list[Case]:
    if not numbers or len(numbers) > MAX_CASES:
        raise InvalidInputError(f"name between 1 and {MAX_CASES} cases")
    async with info.context.sessionmaker() as session:
        return await visible_cases(session, numbers, info.context.actor)


def _default_caller(info: Info, cases: list[Case]) -> str:
    actor = info.context.actor
    if actor.role in (Role.STREET_OFFICE, Role.DISTRICT_PLATFORM) and actor.jurisdiction_code:
        return actor.jurisdiction_code
    return cases[0].subdistrict_code


@strawberry.type
class WhistleQuery:
    @strawberry.field(description="A whistle by number, if you may see it.")
    async def whistle(self, info: Info, number: str) -> Whistle | None:
        return await visible_whistle(info, number)

    @strawberry.field(description="Whistles you may see, newest first.")
    async def whistles(
        self,
        info: Info,
        filter: WhistleFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Whistle]:
        return await whistles_connection(info, filter or WhistleFilterInput(), first, after)

    @strawberry.field(
        description="The departments and partner street offices that should report for these "
        "cases, and the scope a whistle on them would have. The caller defaults to your own "
        "street office or district."
    )
    async def suggest_summons(
        self, info: Info, case_numbers: list[str], caller_code: str | None = None
    ) -> SummonsSuggestion:
        cases = await _suggestion_cases(info, case_numbers)
        caller = caller_code or _default_caller(info, cases)
        if level_of_code(caller) is None:
            raise UnknownJurisdictionError(f"no jurisdiction {caller!r}")
        async with info.context.sessionmaker() as session:
            found = await suggest_summons(session=session, cases=cases, caller_code=caller)
        return SummonsSuggestion(
            scope=found.scope, department_rows=found.departments, partner_codes=found.partners
        )

    @strawberry.field(
        description="Report-in figures per department for summons sent in [from, to): one "
        "department, or every department of a jurisdiction (descendants included) summoned."
    )
    async def department_performance(
        self,
        info: Info,
        department_code: str | None = None,
        jurisdiction_code: str | None = None,
        from_: From = None,
        to: To = None,
    ) -> list[DepartmentPerformance]:
        if not may_read_performance(info.context.actor):
            raise UnauthenticatedError("report-in figures need a token")
        if jurisdiction_code is not None and level_of_code(jurisdiction_code) is None:
            raise UnknownJurisdictionError(f"no jurisdiction {jurisdiction_code!r}")
        if department_code is None and jurisdiction_code is None:
            raise InvalidInputError("give a departmentCode or a jurisdictionCode")
        if department_code and await info.context.loaders.department.load(department_code) is None:
            raise UnknownDepartmentError(f"no department {department_code!r}")
        async with info.context.sessionmaker() as session:
            rows = await performance.department_performance(
                session=session,
                department_code=department_code,
                jurisdiction_code=jurisdiction_code,
                period=performance.Period(start=from_, end=to),
            )
        return [DepartmentPerformance(figures=row) for row in rows]
