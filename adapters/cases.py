"""Writing cases from a source: intake, then the lifecycle, keyed by (system, id there).

Used by every adapter that brings cases (hotline, Open311, digital urban management):

- a record the hub has never seen is taken in (``hub.cases.intake.report``) and moved to the
  stage its source gives (``adapters.lifecycle``); in a batch, brand-new cases go in through the
  bulk path (``adapters.bulk``) instead, which writes the same rows with a few statements;
- a record the hub has is compared by version (``case_external_ref.source_version``): an older
  or equal version changes nothing, a newer one moves the case on through the case service.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters import bulk
from adapters.contract import AdapterContext, Outcome, Parsed, Rejection, Writer, write_one
from adapters.lifecycle import AdapterActors, CaseUpdate, Stage, apply_steps, plan
from hub.cases import intake, service
from hub.cases.models import Case, CaseEvent, CaseExternalRef, CaseSource, Priority
from hub.categories.models import Category
from hub.geo.models import Jurisdiction, JurisdictionLevel

log = logging.getLogger("adapters.cases")


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case as a source describes it, already validated, mapped and located."""

    description: str
    category_code: str
    source: CaseSource
    reported_at: dt.datetime
    subdistrict_code: str
    point: tuple[float, float] | None = None  # WGS84 (lng, lat), inside ``grid_code``
    grid_code: str | None = None
    address: str | None = None
    contact: str | None = None
    priority: Priority = Priority.ROUTINE
    update: CaseUpdate = field(default_factory=lambda: CaseUpdate(Stage.RECEIVED))


@dataclass(frozen=True, slots=True)
class Names:
    """Names the intake puts in a case's title, loaded once per run."""

    categories: dict[str, str]
    streets: dict[str, str]

    @classmethod
    async def load(cls, session: AsyncSession) -> Names:
        categories = dict((await session.execute(select(Category.code, Category.name))).all())
        streets = dict(
            (
                await session.execute(
                    select(Jurisdiction.code, Jurisdiction.name).where(
                        Jurisdiction.level == JurisdictionLevel.SUBDISTRICT
                    )
                )
            ).all()
        )
        return cls(categories, streets)


@dataclass(frozen=True, slots=True)
class _Known:
    case_id: int
    version: dt.datetime | None


class CaseWriter:
    """Puts ``CaseRecord``s of one source system into the hub."""

    def __init__(
        self,
        *,
        system: str,
        actors: AdapterActors,
        context: AdapterContext,
        versioned: bool = True,
        use_bulk: bool = True,
    ) -> None:
        self.system = system
        self.actors = actors
        self.context = context
        self.versioned = versioned
        self.use_bulk = use_bulk
        self.names = Names({}, {})

    async def prepare(self, session: AsyncSession) -> None:
        self.names = await Names.load(session)

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
        """A batch: duplicates settled in memory, new cases in bulk, known ones one by one."""
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
        if self.use_bulk and items:
            try:
                async with session.begin_nested():
                    await bulk.insert_cases(
                        session, items, system=self.system, actors=self.actors, writer=self
                    )
                return [Outcome.CREATED] * len(items)
            except SQLAlchemyError as error:
                # A race with another writer, or a row the bulk path did not foresee: the slow
                # path below isolates the record at fault.
                log.warning("bulk intake failed, going record by record: %s", error)
        return [await write_one(self.write, session, item) for item in items]

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
                CaseExternalRef.system == self.system,
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
            external_ref=(self.system, item.provenance.source_id),
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
        steps = plan(
            status=case.status,
            dispatched=frozenset(await service.dispatched_to(session, case)),
            update=item.item.update,
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
                    CaseExternalRef.system == self.system,
                    CaseExternalRef.external_id == item.provenance.source_id,
                )
            )
            assert ref is not None
            ref.source_version = version
        return Outcome.UPDATED if steps else Outcome.UNCHANGED
