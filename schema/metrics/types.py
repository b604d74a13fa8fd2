"""Measuring: the three rates, rankings of street offices, and hotspots."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from hub.errors import InvalidLevelError, InvalidPeriodError, UnknownJurisdictionError
from hub.geo.models import JurisdictionLevel, level_of_code
from hub.metrics.hotspots import Hotspot as HotspotRow
from hub.metrics.hotspots import HotspotPlace, HotspotQuery, page_cases_of
from hub.metrics.rates import Rates
from hub.pagination import NEWEST
from schema.cases.types import Case
from schema.context import Info
from schema.core.pages import page_request
from schema.core.relay import Connection, connection_from_page
from schema.core.rows import from_row
from schema.departments.types import Category
from schema.geo.types import Grid, Jurisdiction, wrap_jurisdiction

strawberry.enum(HotspotPlace, description="What counts as the same place for a hotspot.")

From = Annotated[dt.datetime | None, strawberry.argument(name="from", description="Inclusive.")]
To = Annotated[dt.datetime | None, strawberry.argument(name="to", description="Exclusive.")]

DEFAULT_PERIOD = dt.timedelta(days=30)


def period(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """[from, to); defaults to the 30 days up to now."""
    end = end or dt.datetime.now(dt.UTC)
    start = start or end - DEFAULT_PERIOD
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidPeriodError("from and to need a time zone offset")
    if start >= end:
        raise InvalidPeriodError("from must be before to")
    return start, end


def check_code(code: str | None) -> None:
    if code is not None and level_of_code(code) is None:
        raise UnknownJurisdictionError(f"no jurisdiction {code!r}")


@strawberry.type(
    description="The three rates (三率) over a period; see the README for definitions."
)
class ServiceRates:
    received: int
    responded: int = strawberry.field(description="Responded to by the respond-by deadline.")
    resolved: int = strawberry.field(description="Rated, and the caller says it is solved.")
    rated: int = strawberry.field(description="Reached by the return call.")
    satisfied: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None

    @classmethod
    def of(cls, rates: Rates) -> ServiceRates:
        return cls(
            received=rates.received,
            responded=rates.responded,
            resolved=rates.resolved,
            rated=rates.rated,
            satisfied=rates.satisfied,
            response_rate=rates.response_rate,
            resolution_rate=rates.resolution_rate,
            satisfaction_rate=rates.satisfaction_rate,
        )


@strawberry.type(description="One place in a ranking (best first).")
class Ranking:
    rank: int
    score: float = strawberry.field(description="Weighted rates, 0–100 (weights in the README).")
    rates: ServiceRates
    code: strawberry.Private[str]

    @strawberry.field
    async def jurisdiction(self, info: Info) -> Jurisdiction | None:
        return wrap_jurisdiction(await info.context.loaders.jurisdiction.load(self.code))


@strawberry.type(description="One recurring problem: the same category at one place.")
class Hotspot:
    row: strawberry.Private[HotspotRow]
    query: strawberry.Private[HotspotQuery]

    @strawberry.field
    def label(self) -> str:
        return f"{self.row.place} · {self.row.category_code}"

    @strawberry.field
    def address(self) -> str | None:
        return self.row.place if self.row.by is HotspotPlace.ADDRESS else None

    @strawberry.field
    async def grid(self, info: Info) -> Grid | None:
        if self.row.by is not HotspotPlace.GRID:
            return None
        row = await info.context.loaders.grid.load(self.row.place)
        return Grid(row=row) if row else None

    @strawberry.field
    async def community(self, info: Info) -> Jurisdiction | None:
        if self.row.by is not HotspotPlace.COMMUNITY:
            return None
        return wrap_jurisdiction(await info.context.loaders.jurisdiction.load(self.row.place))

    @strawberry.field
    async def category(self, info: Info) -> Category:
        rows = await info.context.loaders.all_categories.load(0)
        return next(Category(row=row) for row in rows if row.code == self.row.category_code)

    case_count = from_row("case_count", int)
    first_reported_at = from_row("first_reported_at", dt.datetime)
    last_reported_at = from_row("last_reported_at", dt.datetime)

    @strawberry.field(description="The cases behind it that you may see, newest first.")
    async def cases(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Case]:
        request = page_request(info, first, after, NEWEST)
        async with info.context.sessionmaker() as session:
            page = await page_cases_of(
                session=session,
                query=self.query,
                hotspot=self.row,
                actor=info.context.actor,
                page=request,
            )
        return connection_from_page(page, lambda row: Case(row=row))


@strawberry.type(description="Hotspots over a period, biggest first.")
class HotspotReport:
    total_hotspots: int = strawberry.field(description="All hotspots matched, not only listed.")
    total_cases: int = strawberry.field(description="Cases in all matched hotspots.")
    hotspots: list[Hotspot]


def ranking_level(level: JurisdictionLevel) -> JurisdictionLevel:
    if level not in (JurisdictionLevel.SUBDISTRICT, JurisdictionLevel.DISTRICT):
        raise InvalidLevelError("rankings are of SUBDISTRICT or DISTRICT units")
    return level
