"""The actor behind a request or an event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from hub.actors import Actor as ActorRecord
from schema.context import Info
from schema.types.enums import Role

if TYPE_CHECKING:
    from schema.types.departments import Department
    from schema.types.geo import Jurisdiction

JurisdictionRef = Annotated["Jurisdiction", strawberry.lazy("schema.types.geo")]
DepartmentRef = Annotated["Department", strawberry.lazy("schema.types.departments")]


@strawberry.type(description="Who acted: a token's claims, resolved.")
class Actor:
    record: strawberry.Private[ActorRecord]

    @strawberry.field
    def sub(self) -> str:
        return self.record.sub

    @strawberry.field
    def role(self) -> Role | None:
        return self.record.role

    @strawberry.field
    async def jurisdiction(self, info: Info) -> JurisdictionRef | None:
        from schema.types.geo import wrap_jurisdiction

        code = self.record.jurisdiction_code
        if code is None:
            return None
        return wrap_jurisdiction(await info.context.loaders.jurisdiction.load(code))

    @strawberry.field
    async def department(self, info: Info) -> DepartmentRef | None:
        from schema.types.departments import Department

        code = self.record.department_code
        row = await info.context.loaders.department.load(code) if code else None
        return Department(row=row) if row else None
