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
from schema.core.rows import from_row
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

    reason = from_row("reason", ReturnReason)
    note = from_row("note", str)
    returned_at = from_row("returned_at", dt.datetime)

    @strawberry.field
    def returned_by(self) -> Actor | None:
        return _actor(self.row.returned_by)

    decision = from_row(
        "decision",
        Decision,
        description="APPROVED: withdrawn (and re-dispatched); REJECTED: ruled 审定.",
    )

    decided_at = from_row("decided_at", dt.datetime | None)

    @strawberry.field
    def decided_by(self) -> Actor | None:
        return _actor(self.row.decided_by)

    decision_note = from_row("decision_note", str | None)

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

    until = from_row("until", dt.datetime, description="The deadline asked for.")
    previous_deadline = from_row(
        "previous_deadline", dt.datetime, description="The deadline it would replace."
    )

    reason = from_row("reason", str)
    requested_at = from_row("requested_at", dt.datetime)

    @strawberry.field
    def requested_by(self) -> Actor | None:
        return _actor(self.row.requested_by)

    decision = from_row("decision", Decision)
    decided_at = from_row("decided_at", dt.datetime | None)

    @strawberry.field
    def decided_by(self) -> Actor | None:
        return _actor(self.row.decided_by)

    decision_note = from_row("decision_note", str | None)
