"""The base of the adapters that bring cases (hotline, Open311, digital urban management).

A case adapter reads its source and parses records into ``CaseRecord``s; the writing is the
hub's. Records are keyed by (system, id there) and compared by version
(``case_external_ref.source_version``):

- a record the hub has never seen is taken in and moved to the stage its source gives: in a
  batch through ``hub.cases.batch.report_many``, alone through ``hub.cases.intake.report``
  and the case service (``hub.cases.progress.apply_steps``) — one row builder and one
  lifecycle either way;
- a record the hub has is moved on through the case service if its version is newer; an
  older or equal version changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.contract import (
    Adapter,
    AdapterContext,
    CursorT,
    Outcome,
    Parsed,
    Rejection,
    SettingsT,
    Writer,
    write_one,
)
from adapters.roster import Roster
from hub.auth.actors import Role
from hub.cases import intake, service
from hub.cases.batch import CaseRecord, Names, RecordsRefusedError, Reference, report_many
from hub.cases.models import (
    Case,
    CaseEvent,
    CaseExtension,
    CaseExternalRef,
    Decision,
    DispatchStatus,
)
from hub.cases.progress import StepActors, apply_steps, plan
from hub.errors import DomainError

__all__ = ["CaseAdapter", "CaseRecord"]

log = logging.getLogger("adapters.cases")


@dataclass(frozen=True, slots=True)
class _Known:
    case_id: int
    version: dt.datetime | None


class CaseAdapter(Adapter[SettingsT, CursorT, CaseRecord]):
    """Subclass with ``read`` and ``parse``; set ``role`` (who the source acts as) and
    ``versioned`` (whether a record's version orders its changes)."""

    needs_geo = True
    role: ClassVar[Role] = Role.CITY_PLATFORM
    versioned: ClassVar[bool] = True

    def __init__(self, settings: SettingsT, context: AdapterContext) -> None:
        super().__init__(settings, context)
        self.actors = StepActors.of(self.name, self.role)
        self.names = Names({}, {})
        self.roster = Roster()
        self.category_by_name: dict[str, str] = {}

    @property
    def batch_intake(self) -> bool:
        """Whether new cases of a batch go in together (``report_many``) or one by one."""
        return True

    async def prepare(self, session: AsyncSession) -> None:
        self.names = await Names.load(session)
        self.roster = await Roster.load(session)
        self.category_by_name = {name: code for code, name in self.names.categories.items()}

    async def write(self, session: AsyncSession, item: Parsed[CaseRecord]) -> Outcome:
        """One record through the intake and the case service (the API's own path)."""
        known = await self._known(session, [item.provenance.source_id])
        found = known.get(item.provenance.source_id)
        if found is None:
            await self._report(session, item)
            return Outcome.CREATED
        if self._stale(item, found):
            return Outcome.UNCHANGED
        return await self._advance(session, item, found)

    async def write_many(
        self, session: AsyncSession, items: Sequence[Parsed[CaseRecord]]
    ) -> list[Outcome | Rejection]:
        """A batch: duplicates settled in memory, new cases together, known ones one by one."""
        outcomes: list[Outcome | Rejection] = [Outcome.UNCHANGED] * len(items)
        chosen = self._latest_of_each(items)
        known = await self._known(session, [items[i].provenance.source_id for i in chosen])
        fresh = [i for i in chosen if items[i].provenance.source_id not in known]
        for i in chosen:
            found = known.get(items[i].provenance.source_id)
            if found is not None and not self._stale(items[i], found):
                outcomes[i] = await write_one(self._advancer(found), session, items[i])
        created = await self._create(session, [items[i] for i in fresh])
        for i, outcome in zip(fresh, created, strict=True):
            outcomes[i] = outcome
        return outcomes

    async def _create(
        self, session: AsyncSession, items: list[Parsed[CaseRecord]]
    ) -> list[Outcome | Rejection]:
        """New cases, together where they can be: a record whose steps the lifecycle refuses
        is taken out of the batch and goes alone (to its coded rejection), the rest together."""
        together = list(range(len(items))) if self.batch_intake else []
        alone: list[int] = [] if self.batch_intake else list(range(len(items)))
        outcomes: list[Outcome | Rejection] = [Outcome.CREATED] * len(items)
        # Twice at most: the refused records are all named by the first attempt.
        for _ in range(2):
            if not together:
                break
            try:
                async with session.begin_nested():
                    await report_many(
                        session,
                        [items[i].item for i in together],
                        references=[self._reference(items[i]) for i in together],
                        settings=self.context.settings,
                        names=self.names,
                        actors=self.actors,
                        now=self.context.now(),
                        versioned=self.versioned,
                    )
                together = []
            except RecordsRefusedError as error:
                alone += (together[k] for k in error.refused)
                together = [i for k, i in enumerate(together) if k not in error.refused]
            except (SQLAlchemyError, DomainError) as error:
                # A race with another writer, or a row the database refuses: one by one, the
                # record at fault is rejected alone.
                log.warning("batch intake failed, going record by record: %s", error)
                alone += together
                together = []
        alone += together
        for i in sorted(alone):
            outcomes[i] = await write_one(self.write, session, items[i])
        return outcomes

    def _reference(self, item: Parsed[CaseRecord]) -> Reference:
        return Reference(self.name, item.provenance.source_id, item.provenance.version)

    def _latest_of_each(self, items: Sequence[Parsed[CaseRecord]]) -> list[int]:
        """Index of the newest version (furthest stage when unversioned) of each source id."""
        best: dict[str, int] = {}
        for i, item in enumerate(items):
            key = item.provenance.source_id
            if key not in best or self._rank(item) > self._rank(items[best[key]]):
                best[key] = i
        return sorted(best.values())

    def _rank(self, item: Parsed[CaseRecord]) -> tuple[dt.datetime, int]:
        version = item.provenance.version or dt.datetime.min.replace(tzinfo=dt.UTC)
        return version, int(item.item.update.stage)

    def _stale(self, item: Parsed[CaseRecord], found: _Known) -> bool:
        version = item.provenance.version
        if not self.versioned or version is None or found.version is None:
            return False
        return version <= found.version

    async def _known(self, session: AsyncSession, source_ids: list[str]) -> dict[str, _Known]:
        rows = await session.execute(
            select(
                CaseExternalRef.external_id,
                CaseExternalRef.case_id,
                CaseExternalRef.source_version,
            ).where(
                CaseExternalRef.system == self.name,
                CaseExternalRef.external_id.in_(source_ids),
            )
        )
        return {external_id: _Known(case_id, version) for external_id, case_id, version in rows}

    def intake_of(self, item: Parsed[CaseRecord]) -> intake.Intake:
        record = item.item
        return intake.Intake(
            description=record.description,
            category_code=record.category_code,
            source=record.source,
            priority=record.priority,
            point=(*record.point, "WGS84") if record.point else None,
            address=record.address,
            reported_at=record.reported_at,
            reporter_contact=record.contact,
            external_ref=(self.name, item.provenance.source_id),
            source_version=item.provenance.version,
        )

    async def _report(self, session: AsyncSession, item: Parsed[CaseRecord]) -> None:
        case, _ = await intake.report(
            session=session,
            geo=self.context.geo,
            settings=self.context.settings,
            intake=self.intake_of(item),
            actor=self.actors.system,
            now=self.context.now(),
        )
        update = item.item.update
        steps = plan(
            status=case.status,
            dispatched=frozenset(),
            update=update,
            since=case.reported_at,
            versioned=self.versioned,
        )
        await apply_steps(
            session=session, case=case, steps=steps, update=update, actors=self.actors
        )

    @staticmethod
    async def _extensions(session: AsyncSession, case: Case) -> dict[dt.datetime, Decision]:
        """The case's extensions by the deadline asked for: what the centre decided on each."""
        rows = await session.execute(
            select(CaseExtension.until, CaseExtension.decision)
            .where(CaseExtension.case_id == case.id)
            .order_by(CaseExtension.id)
        )
        return dict(rows.tuples().all())

    def _advancer(self, found: _Known) -> Writer[CaseRecord]:
        async def advance(session: AsyncSession, item: Parsed[CaseRecord]) -> Outcome:
            return await self._advance(session, item, found)

        return advance

    async def _advance(
        self, session: AsyncSession, item: Parsed[CaseRecord], found: _Known
    ) -> Outcome:
        """A newer version of a known record: move its case on, then remember the version."""
        case = await session.scalar(select(Case).where(Case.id == found.case_id).with_for_update())
        assert case is not None, "an external reference without its case"
        last = await session.scalar(
            select(func.max(CaseEvent.at)).where(CaseEvent.case_id == case.id)
        )
        dispatches = await service.dispatches_of(session, case)
        update = item.item.update
        steps = plan(
            status=case.status,
            dispatched=frozenset(row.department_code for row in dispatches),
            signed=frozenset(row.department_code for row in dispatches if row.signed_at),
            returning=frozenset(
                row.department_code for row in dispatches if row.status is DispatchStatus.RETURNED
            ),
            withdrawn=frozenset(
                row.department_code for row in dispatches if row.status is DispatchStatus.WITHDRAWN
            ),
            extensions=await self._extensions(session, case) if update.extension else None,
            update=update,
            since=last or case.reported_at,
            versioned=self.versioned,
        )
        await apply_steps(
            session=session, case=case, steps=steps, update=item.item.update, actors=self.actors
        )
        version = item.provenance.version
        if version is not None and (found.version is None or version > found.version):
            ref = await session.scalar(
                select(CaseExternalRef).where(
                    CaseExternalRef.system == self.name,
                    CaseExternalRef.external_id == item.provenance.source_id,
                )
            )
            assert ref is not None
            ref.source_version = version
        return Outcome.UPDATED if steps else Outcome.UNCHANGED
