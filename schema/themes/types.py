"""A theme of the month (每月一题): its problem, its departments, its cases and figures."""

from __future__ import annotations

import strawberry

from hub.cases.models import Case as CaseRow
from hub.metrics.rates import Rates
from hub.pagination import NEWEST
from hub.themes import figures
from hub.themes import service as themes
from hub.themes.models import MonthlyTheme as ThemeRow
from schema.cases.types import Case
from schema.context import Info
from schema.core.pages import page_request
from schema.core.relay import Connection, Node, connection_from_page
from schema.core.rows import from_row
from schema.departments.types import Category, Department
from schema.geo.types import Jurisdiction, wrap_jurisdiction
from schema.metrics.types import ServiceRates


@strawberry.type(description="Open cases of the theme with one unit.")
class ThemeUnitLoad:
    department: Department
    open_cases: int


@strawberry.type(description="每月一题: a high-frequency problem the city attacks across units.")
class MonthlyTheme(Node):
    row: strawberry.Private[ThemeRow]

    def node_key(self) -> str:
        return str(self.row.id)

    month = from_row("month", str, description='The month it was picked for, e.g. "2026-11".')
    title = from_row("title", str)

    @strawberry.field
    async def lead_department(self, info: Info) -> Department:
        row = await info.context.loaders.department.load(self.row.lead_department_code)
        assert row is not None
        return Department(row=row)

    @strawberry.field(description="The participating units.")
    async def departments(self, info: Info) -> list[Department]:
        rows = await info.context.loaders.department.load_many(self.row.department_codes)
        return [Department(row=row) for row in rows if row is not None]

    @strawberry.field(description="The categories that define its problem.")
    async def categories(self, info: Info) -> list[Category]:
        rows = await info.context.loaders.all_categories.load(0)
        wanted = set(self.row.category_codes)
        return [Category(row=row) for row in rows if row.code in wanted]

    @strawberry.field(description="Words that define its problem (any one matches).")
    def keywords(self) -> list[str]:
        return list(self.row.keywords)

    @strawberry.field(description="Where it applies; null: the whole city.")
    async def jurisdiction(self, info: Info) -> Jurisdiction | None:
        code = self.row.jurisdiction_code
        return (
            wrap_jurisdiction(await info.context.loaders.jurisdiction.load(code)) if code else None
        )

    @strawberry.field(description="Matching cases you may see, newest first.")
    async def cases(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Case]:
        request = page_request(info, first, after, NEWEST)
        async with info.context.sessionmaker() as session:
            page = await themes.page_cases(
                session=session, theme=self.row, actor=info.context.actor, page=request
            )

        def wrap(row: CaseRow) -> Case:
            return Case(row=row)

        return connection_from_page(page, wrap)

    @strawberry.field(description="The three rates over all its matching cases.")
    async def service_rates(self, info: Info) -> ServiceRates:
        return ServiceRates.of(await self._rates(info, None))

    @strawberry.field(description="The rates of its cases reported before its month.")
    async def rates_before(self, info: Info) -> ServiceRates:
        return ServiceRates.of(await self._rates(info, False))

    @strawberry.field(description="The rates of its cases reported from its month on.")
    async def rates_since(self, info: Info) -> ServiceRates:
        return ServiceRates.of(await self._rates(info, True))

    @strawberry.field(description="Open matching cases by unit, most first.")
    async def open_cases_by_unit(self, info: Info) -> list[ThemeUnitLoad]:
        async with info.context.sessionmaker() as session:
            counts = await figures.open_by_department(session=session, theme=self.row)
        rows = await info.context.loaders.department.load_many([code for code, _ in counts])
        return [
            ThemeUnitLoad(department=Department(row=row), open_cases=count)
            for row, (_, count) in zip(rows, counts, strict=True)
            if row is not None
        ]

    async def _rates(self, info: Info, since: bool | None) -> Rates:
        async with info.context.sessionmaker() as session:
            return await figures.theme_rates(session=session, theme=self.row, since=since)
