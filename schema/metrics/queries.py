"""Root fields over aggregates: serviceRates, rankings, hotspots (any authenticated role)."""

from __future__ import annotations

import strawberry

from hub.db import utcnow
from hub.errors import InvalidArgumentError, UnauthenticatedError
from hub.geo.models import JurisdictionLevel
from hub.metrics.hotspots import HotspotPlace, HotspotQuery, count_hotspots, find_hotspots
from hub.metrics.rates import rates_by_unit, service_rates, weights_from
from schema.context import Info
from schema.core.inputs import search_text
from schema.metrics.types import (
    From,
    HotspotReport,
    Ranking,
    ServiceRates,
    To,
    check_code,
    period,
    ranking_level,
)
from schema.metrics.types import Hotspot as HotspotType


def require_token(info: Info) -> None:
    if info.context.actor.is_anonymous:
        raise UnauthenticatedError("aggregates need a token")


@strawberry.type
class MetricsQuery:
    @strawberry.field(
        description="The three rates for a jurisdiction (descendants included) "
        "and/or a department, for cases reported in [from, to)."
    )
    async def service_rates(
        self,
        info: Info,
        jurisdiction_code: str | None = None,
        department_code: str | None = None,
        from_: From = None,
        to: To = None,
    ) -> ServiceRates:
        require_token(info)
        check_code(jurisdiction_code)
        start, end = period(from_, to)
        async with info.context.sessionmaker() as session:
            rates = await service_rates(
                session=session,
                jurisdiction_code=jurisdiction_code,
                department_code=department_code,
                start=start,
                end=end,
            )
        return ServiceRates.of(rates)

    @strawberry.field(description="Street offices (or districts) ranked by weighted rates.")
    async def rankings(
        self,
        info: Info,
        level: JurisdictionLevel = JurisdictionLevel.SUBDISTRICT,
        parent_code: str | None = None,
        from_: From = None,
        to: To = None,
    ) -> list[Ranking]:
        require_token(info)
        check_code(parent_code)
        start, end = period(from_, to)
        weights = weights_from(info.context.settings.ranking_weights)
        async with info.context.sessionmaker() as session:
            by_unit = await rates_by_unit(
                session=session,
                level=ranking_level(level),
                parent_code=parent_code,
                start=start,
                end=end,
            )
        ordered = sorted(by_unit.items(), key=lambda item: (-item[1].score(weights), item[0]))
        return [
            Ranking(
                rank=position, score=rates.score(weights), rates=ServiceRates.of(rates), code=code
            )
            for position, (code, rates) in enumerate(ordered, start=1)
        ]

    @strawberry.field(
        description="Recurring problems (未诉先办): the same category at the same "
        "place, at least minCases times in [from, to)."
    )
    async def hotspots(
        self,
        info: Info,
        jurisdiction_code: str | None = None,
        from_: From = None,
        to: To = None,
        category_code: str | None = None,
        text: str | None = None,
        unresolved_only: bool = False,
        min_cases: int = 2,
        by: HotspotPlace = HotspotPlace.ADDRESS,
        first: int = 20,
    ) -> HotspotReport:
        require_token(info)
        check_code(jurisdiction_code)
        search_text(text, "text")
        if not 1 <= first <= 100 or min_cases < 1:
            raise InvalidArgumentError("first must be 1–100 and minCases at least 1")
        start, end = period(from_, to or utcnow())
        query = HotspotQuery(
            start=start,
            end=end,
            jurisdiction_code=jurisdiction_code,
            category_code=category_code,
            text=text or None,
            unresolved_only=unresolved_only,
            min_cases=min_cases,
            by=by,
        )
        async with info.context.sessionmaker() as session:
            rows = await find_hotspots(session=session, query=query, limit=first)
            total, cases = await count_hotspots(session=session, query=query)
        return HotspotReport(
            total_hotspots=total,
            total_cases=cases,
            hotspots=[HotspotType(row=row, query=query) for row in rows],
        )
