"""The 12345 centre's records on a case: its returns (退单) and extensions (延期)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from hub.auth.actors import Actor as ActorRecord
from hub.cases.models import CaseExtension as ExtensionRow
from hub.cases.models import CaseReturn as ReturnRow
from hub.cases.models import Decision, DispatchRole, ReturnReason, WarningLevel
from schema.auth.types import Actor
from schema.context import Info
from schema.departments.types import Department

strawberry.enum(DispatchRole, description="主办 (LEAD) answers for the order; 协办 (ASSIST) helps.")
strawberry.enum(WarningLevel, description="Graded warning on the resolve-by clock (红黄绿灯).")
strawberry.enum(
    ReturnReason,
    description="Why a unit returns an order: 属地不符, 职能不符/权属不清, 职能交叉, "
    "不属于受理范围.",
)
strawberry.enum(Decision, description="A request's decision: PENDING until someone decides.")


async def _department(info: Info, code: str | None) -> Department | None:
    if code is None:
        return None
    row = await info.context.loaders.department.load(code)
    return Department(row=row) if row else None


def _actor(record: dict[str, Any] | None) -> Actor | None:
    return Actor(record=ActorRecord.from_record(record)) if record else None


@strawberry.type(description="A unit's return of its dispatch (退单) and the dispatcher's ruling.")
class CaseReturn:
    row: strawberry.Private[ReturnRow]

    @strawberry.field
    async def department(self, info: Info) -> Department | None:
        return await _department(info, self.row.department_code)

    @strawberry.field
    def reason(self) -> ReturnReason:
        return self.row.reason

    @strawberry.field
    def note(self) -> str:
        return self.row.note

    @strawberry.field
    def returned_at(self) -> dt.datetime:
        return self.row.returned_at

    @strawberry.field
    def returned_by(self) -> Actor | None:
        return _actor(self.row.returned_by)

    @strawberry.field(description="APPROVED: withdrawn (and re-dispatched); REJECTED: ruled 审定.")
    def decision(self) -> Decision:
        return self.row.decision

    @strawberry.field
    def decided_at(self) -> dt.datetime | None:
        return self.row.decided_at

    @strawberry.field
    def decided_by(self) -> Actor | None:
        return _actor(self.row.decided_by)

    @strawberry.field
    def decision_note(self) -> str | None:
        return self.row.decision_note

    @strawberry.field(description="The units the order went to when the return was approved.")
    async def redispatched_to(self, info: Info) -> list[Department]:
        rows = await info.context.loaders.department.load_many(self.row.redispatched_to or [])
        return [Department(row=row) for row in rows if row is not None]


@strawberry.type(description="A request to move the resolve-by deadline (延期) and its decision.")
class CaseExtension:
    row: strawberry.Private[ExtensionRow]

    @strawberry.field
    async def department(self, info: Info) -> Department | None:
        return await _department(info, self.row.department_code)

    @strawberry.field(description="The deadline asked for.")
    def until(self) -> dt.datetime:
        return self.row.until

    @strawberry.field(description="The deadline it would replace.")
    def previous_deadline(self) -> dt.datetime:
        return self.row.previous_deadline

    @strawberry.field
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field
    def requested_at(self) -> dt.datetime:
        return self.row.requested_at

    @strawberry.field
    def requested_by(self) -> Actor | None:
        return _actor(self.row.requested_by)

    @strawberry.field
    def decision(self) -> Decision:
        return self.row.decision

    @strawberry.field
    def decided_at(self) -> dt.datetime | None:
        return self.row.decided_at

    @strawberry.field
    def decided_by(self) -> Actor | None:
        return _actor(self.row.decided_by)

    @strawberry.field
    def decision_note(self) -> str | None:
        return self.row.decision_note
