"""Root fields over cases: case, cases; and a case as a node."""

from __future__ import annotations

import strawberry

from hub.cases.access import may_read_cases, may_see_case
from schema.cases.types import Case, CaseFilterInput, cases_connection
from schema.context import Info
from schema.core.relay import Connection


async def visible_case(info: Info, number: str) -> Case | None:
    """A case by number if the actor may see it; null otherwise (existence is not revealed)."""
    if not may_read_cases(info.context.actor):
        return None
    row = await info.context.loaders.case_by_number.load(number)
    if row is None:
        return None
    crossed = await info.context.loaders.case_crossed.load(row.id)
    dispatched = [
        d.department_code for d in await info.context.loaders.case_dispatches.load(row.id)
    ]
    summoned = await info.context.loaders.case_summoned.load(row.id)
    visible = may_see_case(info.context.actor, row, crossed, dispatched, summoned)
    return Case(row=row) if visible else None


@strawberry.type
class CaseQuery:
    @strawberry.field(name="case", description="A case by number, if you may see it.")
    async def case_(self, info: Info, number: str) -> Case | None:
        return await visible_case(info, number)

    @strawberry.field(description="Cases you may see, newest first.")
    async def cases(
        self,
        info: Info,
        filter: CaseFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Case]:
        return await cases_connection(info, filter or CaseFilterInput(), first, after)
