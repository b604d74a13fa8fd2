"""Root field and mutation of 每月一题: monthlyThemes(month), createMonthlyTheme."""

from __future__ import annotations

import datetime as dt

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import UnauthenticatedError
from hub.themes import service as themes
from hub.themes.models import MonthlyTheme as ThemeRow
from schema.context import Info
from schema.core.errors import UserError
from schema.core.mutations import run_mutation
from schema.themes.types import MonthlyTheme


async def load_theme_node(info: Info, key: str) -> MonthlyTheme | None:
    if info.context.actor.is_anonymous or not key.isdigit():
        return None
    async with info.context.sessionmaker() as session:
        row = await session.get(ThemeRow, int(key))
    return MonthlyTheme(row=row) if row else None


@strawberry.type
class ThemeQuery:
    @strawberry.field(description='每月一题: the themes of a month ("2026-11"); any token.')
    async def monthly_themes(self, info: Info, month: str) -> list[MonthlyTheme]:
        if info.context.actor.is_anonymous:
            raise UnauthenticatedError("themes need a token")
        async with info.context.sessionmaker() as session:
            rows = await themes.for_month(session=session, month=month)
        return [MonthlyTheme(row=row) for row in rows]


@strawberry.input(description="Set up a theme of the month (the city platform).")
class CreateMonthlyThemeInput:
    month: str = strawberry.field(description='e.g. "2026-11"')
    title: str
    lead_department_code: str
    department_codes: list[str] = strawberry.field(default_factory=list)
    category_codes: list[str] = strawberry.field(default_factory=list)
    keywords: list[str] = strawberry.field(default_factory=list)
    jurisdiction_code: str | None = strawberry.field(
        default=None, description="Where it applies; omitted: the whole city."
    )


@strawberry.type
class MonthlyThemePayload:
    theme: MonthlyTheme | None
    errors: list[UserError]


def _theme_target(theme: ThemeRow | None) -> str:
    return f"{theme.month} {theme.title}" if theme else ""


@strawberry.type
class ThemeMutations:
    @strawberry.mutation(description="每月一题: set up a theme; matching cases attach at once.")
    async def create_monthly_theme(
        self, info: Info, input: CreateMonthlyThemeInput
    ) -> MonthlyThemePayload:
        async def work(session: AsyncSession, now: dt.datetime) -> ThemeRow:
            return await themes.create(
                session=session,
                month=input.month,
                title=input.title,
                lead_department_code=input.lead_department_code,
                department_codes=input.department_codes,
                category_codes=input.category_codes,
                keywords=input.keywords,
                jurisdiction_code=input.jurisdiction_code,
                actor=info.context.actor,
                now=now,
            )

        row, errors = await run_mutation(
            info, "createMonthlyTheme", None, work, target_of=_theme_target
        )
        return MonthlyThemePayload(theme=MonthlyTheme(row=row) if row else None, errors=errors)
