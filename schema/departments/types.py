"""Departments and the category tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from hub.categories.models import Category as CategoryRow
from hub.departments.models import Department as DepartmentRow
from schema.context import Info
from schema.core.enums import DepartmentKind, JurisdictionLevel
from schema.core.relay import Node
from schema.core.rows import from_row

if TYPE_CHECKING:
    from schema.geo.types import Jurisdiction

JurisdictionRef = Annotated["Jurisdiction", strawberry.lazy("schema.geo.types")]


@strawberry.type(description="A functional department (部门); code `<jurisdiction>.<KIND>`.")
class Department(Node):
    row: strawberry.Private[DepartmentRow]

    def node_key(self) -> str:
        return self.row.code

    code = from_row("code", str)
    name = from_row("name", str)
    kind = from_row("kind", DepartmentKind)
    level = from_row("level", JurisdictionLevel, description="CITY, DISTRICT or SUBDISTRICT.")
    is_fallback = from_row(
        "is_fallback", bool, description="The designated owner of problems nobody else answers for."
    )

    @strawberry.field
    async def jurisdiction(self, info: Info) -> JurisdictionRef:
        from schema.geo.types import Jurisdiction

        row = await info.context.loaders.jurisdiction.load(self.row.jurisdiction_code)
        assert row is not None, "department without its jurisdiction"
        return Jurisdiction(row=row)

    @strawberry.field(description="Categories this department answers for (responsibility matrix).")
    async def categories(self, info: Info) -> list[Category]:
        rows = await info.context.loaders.categories_for_department.load(
            (self.row.kind, self.row.level)
        )
        return [Category(row=row) for row in rows]


@strawberry.type(description="A problem category; leaves carry the responsibility matrix.")
class Category(Node):
    row: strawberry.Private[CategoryRow]

    def node_key(self) -> str:
        return self.row.code

    code = from_row("code", str)
    name = from_row("name", str)

    @strawberry.field
    async def parent(self, info: Info) -> Category | None:
        if self.row.parent_code is None:
            return None
        rows = await info.context.loaders.all_categories.load(0)
        return next((Category(row=row) for row in rows if row.code == self.row.parent_code), None)

    @strawberry.field
    async def children(self, info: Info) -> list[Category]:
        rows = await info.context.loaders.all_categories.load(0)
        return [Category(row=row) for row in rows if row.parent_code == self.row.code]

    @strawberry.field(description="Kinds of department that answer for it, most responsible first.")
    async def department_kinds(self, info: Info) -> list[DepartmentKind]:
        return await info.context.loaders.category_kinds.load(self.row.code)
