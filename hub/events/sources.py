"""The two event streams: their tables, the facts their filters need, and who sees what.

A live event is judged in Python against facts loaded once per read for every subscriber of the
process (``CaseSelection.matches``); a replay (``after:``) is judged in SQL by the very queries
that serve ``cases`` and ``whistles`` (``CaseSelection.replay``).  Both apply the rules of
``hub.cases.access`` and ``hub.whistles.access`` to the case or whistle as it is when the event
is read, and a test keeps the two in agreement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor
from hub.cases import queries as cases
from hub.cases.access import may_read_cases, may_see_case
from hub.cases.access import summoned as summoned_by_whistles
from hub.cases.models import Case, CaseDispatch, CaseEvent
from hub.departments.models import Department
from hub.geo.models import descendant_prefix
from hub.whistles import queries as whistles
from hub.whistles.access import may_read_whistles, may_see_whistle
from hub.whistles.models import Summons, Whistle, WhistleEvent

__all__ = [
    "CASES",
    "WHISTLES",
    "CaseFacts",
    "CaseSelection",
    "EventRow",
    "Source",
    "WhistleFacts",
    "WhistleSelection",
]

EventRow = CaseEvent | WhistleEvent
E = TypeVar("E", bound=CaseEvent | WhistleEvent)
F = TypeVar("F")


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What a case event's subscribers are judged on: the case, where it reaches, and the
    departments it was dispatched to or whose summons its whistles sent."""

    case: Case
    crossed: list[str]
    dispatches: list[CaseDispatch]
    summoned: list[str]

    @property
    def dispatched(self) -> list[str]:
        return [row.department_code for row in self.dispatches]


@dataclass(frozen=True, slots=True)
class WhistleFacts:
    """The whistle, everyone it summons, and the seat of each summoned department."""

    whistle: Whistle
    summons: list[Summons]
    seats: dict[str, str]


@dataclass(frozen=True, slots=True)
class Source(Generic[E, F]):
    """One event table and how to load the facts of its events' owners (case or whistle)."""

    kind: str
    model: type[E]
    owner: Callable[[E], int]
    load_facts: Callable[[AsyncSession, list[int]], Awaitable[dict[int, F]]]


async def _case_facts(session: AsyncSession, ids: list[int]) -> dict[int, CaseFacts]:
    rows = await cases.by_ids(session=session, codes=ids)
    crossed = await cases.crossed(session=session, codes=ids)
    dispatches = await cases.dispatches(session=session, codes=ids)
    summoned = await summoned_by_whistles(session=session, codes=ids)
    return {
        key: CaseFacts(
            case=row,
            crossed=crossed.get(key, []),
            dispatches=dispatches.get(key, []),
            summoned=summoned.get(key, []),
        )
        for key, row in rows.items()
    }


async def _whistle_facts(session: AsyncSession, ids: list[int]) -> dict[int, WhistleFacts]:
    rows = await whistles.by_ids(session=session, codes=ids)
    summons = await whistles.summons(session=session, codes=ids)
    codes = {s.department_code for found in summons.values() for s in found if s.department_code}
    seats: dict[str, str] = {}
    if codes:
        result = await session.execute(
            select(Department.code, Department.jurisdiction_code).where(Department.code.in_(codes))
        )
        seats = {code: seat for code, seat in result}
    return {
        key: WhistleFacts(whistle=row, summons=summons.get(key, []), seats=seats)
        for key, row in rows.items()
    }


CASES: Source[CaseEvent, CaseFacts] = Source(
    "case", CaseEvent, lambda row: row.case_id, _case_facts
)
WHISTLES: Source[WhistleEvent, WhistleFacts] = Source(
    "whistle", WhistleEvent, lambda row: row.whistle_id, _whistle_facts
)


def _prefix(code: str | None) -> str | None:
    return descendant_prefix(code) if code else None


@dataclass(frozen=True, slots=True)
class CaseSelection:
    """The case events one subscriber asked for and may see."""

    actor: Actor
    case_number: str | None = None
    jurisdiction_code: str | None = None
    department_code: str | None = None

    def matches(self, facts: CaseFacts) -> bool:
        case, prefix = facts.case, _prefix(self.jurisdiction_code)
        if self.case_number is not None and case.number != self.case_number:
            return False
        if prefix is not None and not (
            case.subdistrict_code.startswith(prefix)
            or any(code.startswith(prefix) for code in facts.crossed)
        ):
            return False
        if self.department_code is not None and self.department_code not in facts.dispatched:
            return False
        return may_read_cases(self.actor) and may_see_case(
            self.actor, case, facts.crossed, facts.dispatched, facts.summoned
        )

    @property
    def key(self) -> tuple[object, ...]:
        """What the selection depends on: the kind of viewer (not who), and the filters."""
        actor = self.actor
        viewer = (actor.role, actor.jurisdiction_code, actor.department_code)
        return ("case", *viewer, self.case_number, self.jurisdiction_code, self.department_code)

    def replay(self, after: int, upto: int) -> Select[CaseEvent]:
        """The same selection in SQL, for the events in ``(after, upto]``."""
        query = cases.filtered(
            cases.CaseFilter(
                jurisdiction_code=self.jurisdiction_code, department_code=self.department_code
            ),
            self.actor,
        )
        if self.case_number is not None:
            query = query.where(Case.number == self.case_number)
        return _between(
            CaseEvent, CaseEvent.case_id.in_(query.with_only_columns(Case.id)), after, upto
        )


@dataclass(frozen=True, slots=True)
class WhistleSelection:
    """The whistle events one subscriber asked for and may see."""

    actor: Actor
    whistle_number: str | None = None
    jurisdiction_code: str | None = None
    department_code: str | None = None

    def matches(self, facts: WhistleFacts) -> bool:
        whistle, prefix = facts.whistle, _prefix(self.jurisdiction_code)
        if self.whistle_number is not None and whistle.number != self.whistle_number:
            return False
        if prefix is not None and not (
            whistle.caller_code.startswith(prefix)
            or any((row.partner_code or "").startswith(prefix) for row in facts.summons)
        ):
            return False
        if self.department_code is not None and not any(
            row.department_code == self.department_code for row in facts.summons
        ):
            return False
        return may_read_whistles(self.actor) and may_see_whistle(
            self.actor, whistle, facts.summons, facts.seats
        )

    @property
    def key(self) -> tuple[object, ...]:
        actor = self.actor
        viewer = (actor.role, actor.jurisdiction_code, actor.department_code)
        filters = (self.whistle_number, self.jurisdiction_code, self.department_code)
        return ("whistle", *viewer, *filters)

    def replay(self, after: int, upto: int) -> Select[WhistleEvent]:
        query = whistles.filtered(
            whistles.WhistleFilter(
                jurisdiction_code=self.jurisdiction_code, department_code=self.department_code
            ),
            self.actor,
        )
        if not may_read_whistles(self.actor):
            query = query.where(Whistle.id.is_(None))
        if self.whistle_number is not None:
            query = query.where(Whistle.number == self.whistle_number)
        owned = WhistleEvent.whistle_id.in_(query.with_only_columns(Whistle.id))
        return _between(WhistleEvent, owned, after, upto)


def _between(model: type[E], owned: Any, after: int, upto: int) -> Select[E]:
    return select(model).where(owned, model.id > after, model.id <= upto).order_by(model.id)


def owners(source: Source[E, Any], rows: Sequence[E]) -> list[int]:
    return sorted({source.owner(row) for row in rows})
