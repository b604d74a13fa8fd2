"""The actor behind a request or an event, and what every timeline entry says of it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from hub.auth.actors import Actor as ActorRecord
from hub.cases.models import CaseEvent as CaseEventRow
from hub.whistles.models import WhistleEvent as WhistleEventRow
from schema.context import Info
from schema.core.enums import Role
from schema.core.rows import from_row

if TYPE_CHECKING:
    from schema.departments.types import Department
    from schema.geo.types import Jurisdiction

JurisdictionRef = Annotated["Jurisdiction", strawberry.lazy("schema.geo.types")]
DepartmentRef = Annotated["Department", strawberry.lazy("schema.departments.types")]


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
        from schema.geo.types import wrap_jurisdiction

        code = self.record.jurisdiction_code
        if code is None:
            return None
        return wrap_jurisdiction(await info.context.loaders.jurisdiction.load(code))

    @strawberry.field
    async def department(self, info: Info) -> DepartmentRef | None:
        from schema.departments.types import Department

        code = self.record.department_code
        row = await info.context.loaders.department.load(code) if code else None
        return Department(row=row) if row else None


@strawberry.interface(description="One entry of a timeline: what happened, when, and who did it.")
class TimelineEvent:
    row: strawberry.Private[CaseEventRow | WhistleEventRow]

    @strawberry.field(description="A cursor: events are ordered by id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    type = from_row("type", str)
    at = from_row("at", dt.datetime)
    note = from_row("note", str | None)

    @strawberry.field
    def actor(self) -> Actor:
        return Actor(record=ActorRecord.from_record(self.row.actor))
