"""Root fields over departments and categories: department(s), categories, category."""

from __future__ import annotations

import strawberry

from hub.categories.service import answers_for
from hub.departments import service as departments
from hub.errors import UnknownJurisdictionError
from hub.geo.models import level_of_code
from hub.pagination import BY_CODE
from schema.context import Info
from schema.core.pages import page_request
from schema.core.relay import Connection, Node, connection_from_page
from schema.departments.types import Category, Department


async def load_department_node(info: Info, key: str) -> Node | None:
    row = await info.context.loaders.department.load(key)
    return Department(row=row) if row else None


async def load_category_node(info: Info, key: str) -> Node | None:
    rows = await info.context.loaders.all_categories.load(0)
    return next((Category(row=row) for row in rows if row.code == key), None)


@strawberry.type
class DepartmentQuery:
    @strawberry.field(description="A department by code, e.g. `110102.URBAN_MANAGEMENT`.")
    async def department(self, info: Info, code: str) -> Department | None:
        row = await info.context.loaders.department.load(code)
        return Department(row=row) if row else None

    @strawberry.field(
        description="Departments within a jurisdiction (descendants included) that answer "
        "for a category."
    )
    async def departments(
        self,
        info: Info,
        jurisdiction_code: str | None = None,
        category_code: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Department]:
        request = page_request(info, first, after, BY_CODE)
        if jurisdiction_code is not None and level_of_code(jurisdiction_code) is None:
            raise UnknownJurisdictionError(f"no jurisdiction {jurisdiction_code!r}")
        async with info.context.sessionmaker() as session:
            page = await departments.page_departments(
                session=session,
                jurisdiction_code=jurisdiction_code,
                answering=None if category_code is None else answers_for(category_code),
                page=request,
            )
        return connection_from_page(page, lambda row: Department(row=row))

    @strawberry.field(description="The category tree's roots (each with its children).")
    async def categories(self, info: Info) -> list[Category]:
        rows = await info.context.loaders.all_categories.load(0)
        return [Category(row=row) for row in rows if row.parent_code is None]


@strawberry.type
class CategoryQuery:
    @strawberry.field(description="A category by code.")
    async def category(self, info: Info, code: str) -> Category | None:
        node = await load_category_node(info, code)
        return node if isinstance(node, Category) else None
