"""``departments-csv``: a deployment's own roster and responsibility list, from two CSV files.

The source is a directory holding ``departments.csv`` (``code,name,kind,level,
jurisdiction_code,is_fallback``) and ``responsibilities.csv`` (``category_code,
department_kind,level[,rank]``: which kind of department at which level answers for which
category, like Miyun's "16 categories, 99 items"). Rows are upserted by their keys; nothing is
deleted (a department that cases were sent to must stay), so retiring one is a decision for a
person, not for an export.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.contract import (
    Adapter,
    AdapterSettings,
    Batch,
    Outcome,
    Parsed,
    Provenance,
    RecordRejectedError,
    Rejection,
    SourceRecord,
    SourceUnavailableError,
)
from adapters.files import (
    Encoding,
    FileCursor,
    batches,
    csv_rows,
    decode,
    digest_of,
    read_bytes,
    text_field,
)
from hub.categories.models import Category, Responsibility
from hub.departments.models import Department, DepartmentKind
from hub.errors import DomainError
from hub.geo.models import Jurisdiction, JurisdictionLevel, level_of_code

FILES = ("departments.csv", "responsibilities.csv")
LEVELS = {JurisdictionLevel.CITY, JurisdictionLevel.DISTRICT, JurisdictionLevel.SUBDISTRICT}
TRUE = {"true", "1", "yes", "y", "是"}
FALSE = {"false", "0", "no", "n", "否", ""}


class DepartmentSettings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_DEPARTMENTS_", frozen=True, extra="forbid")

    encoding: Encoding = Field(default="auto", description="auto (UTF-8, else GB18030) or fixed.")


@dataclass(frozen=True, slots=True)
class DepartmentItem:
    code: str
    name: str
    kind: DepartmentKind
    level: JurisdictionLevel
    jurisdiction_code: str
    is_fallback: bool


@dataclass(frozen=True, slots=True)
class ResponsibilityItem:
    category_code: str
    department_kind: DepartmentKind
    level: JurisdictionLevel
    rank: int


Item = DepartmentItem | ResponsibilityItem


E = TypeVar("E", DepartmentKind, JurisdictionLevel)


def _enum(kind: type[E], value: str, field: str) -> E:
    try:
        return kind(value.strip().upper())
    except ValueError:
        raise RecordRejectedError(f"{field} is not one of {', '.join(kind)}: {value!r}") from None


class DepartmentsAdapter(Adapter[DepartmentSettings, FileCursor, Item]):
    name = "departments-csv"
    summary = "A department roster and responsibility list: departments.csv, responsibilities.csv."
    settings_model = DepartmentSettings
    cursor_model = FileCursor
    jurisdictions: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()

    def _paths(self) -> list[Path]:
        folder = Path(self.settings.source)
        return [folder / name for name in FILES if (folder / name).is_file()]

    async def check(self) -> None:
        if not self._paths():
            raise SourceUnavailableError(f"neither of {', '.join(FILES)} in {self.settings.source}")

    async def read(self, cursor: FileCursor) -> AsyncIterator[Batch[FileCursor]]:
        contents = [(path.name, await read_bytes(path)) for path in self._paths()]
        records = itertools.chain.from_iterable(
            self._records(name, decode(data, self.settings.encoding)) for name, data in contents
        )
        digest = digest_of(*(data for _, data in contents))
        async for batch in batches(
            records, cursor=cursor, digest=digest, size=self.settings.batch_size
        ):
            yield batch

    @staticmethod
    def _records(name: str, text: str) -> Iterator[SourceRecord]:
        table = name.removesuffix(".csv")
        for record in csv_rows(text, lambda _: None):
            raw = {"file": name, **record.raw} if record.problem is None else record.raw
            key = (
                text_field(raw, "code")
                if table == "departments"
                else ":".join(
                    text_field(raw, f) for f in ("category_code", "department_kind", "level")
                )
            )
            yield SourceRecord(raw=raw, source_id=f"{table}:{key}", problem=record.problem)

    async def prepare(self, session: AsyncSession) -> None:
        self.jurisdictions = frozenset(await session.scalars(select(Jurisdiction.code)))
        self.categories = frozenset(await session.scalars(select(Category.code)))

    def parse(self, records: Sequence[SourceRecord]) -> list[Parsed[Item] | Rejection]:
        results: list[Parsed[Item] | Rejection] = []
        for record in records:
            try:
                if record.problem is not None:
                    raise RecordRejectedError(record.problem)
                item = self._parse(record)
                source_id = record.source_id or ""
                results.append(Parsed(record, Provenance(self.name, source_id, None), item))
            except DomainError as error:
                results.append(Rejection(record, error.message))
        return results

    def _parse(self, record: SourceRecord) -> Item:
        raw = record.raw
        if raw.get("file") == "responsibilities.csv":
            return self._responsibility(raw)
        code, name = text_field(raw, "code"), text_field(raw, "name")
        if not code or len(code) > 64 or not name or len(name) > 100:
            raise RecordRejectedError("code (≤ 64) and name (≤ 100 characters) are required")
        level = _enum(JurisdictionLevel, text_field(raw, "level"), "level")
        jurisdiction = text_field(raw, "jurisdiction_code")
        if jurisdiction not in self.jurisdictions:
            raise RecordRejectedError(f"no jurisdiction {jurisdiction!r} in the hub")
        if level not in LEVELS or level_of_code(jurisdiction) is not level:
            raise RecordRejectedError(f"level {level} does not fit jurisdiction {jurisdiction}")
        flag = text_field(raw, "is_fallback").lower()
        if flag not in TRUE | FALSE:
            raise RecordRejectedError(f"is_fallback is not true or false: {flag!r}")
        kind = _enum(DepartmentKind, text_field(raw, "kind"), "kind")
        return DepartmentItem(code, name, kind, level, jurisdiction, flag in TRUE)

    def _responsibility(self, raw: dict[str, str]) -> ResponsibilityItem:
        category = text_field(raw, "category_code")
        if category not in self.categories:
            raise RecordRejectedError(f"no category {category!r} in the hub")
        rank = text_field(raw, "rank") or "0"
        if not rank.isdigit():
            raise RecordRejectedError(f"rank is not a number: {rank!r}")
        return ResponsibilityItem(
            category,
            _enum(DepartmentKind, text_field(raw, "department_kind"), "department_kind"),
            _enum(JurisdictionLevel, text_field(raw, "level"), "level"),
            int(rank),
        )

    async def write(self, session: AsyncSession, item: Parsed[Item]) -> Outcome:
        if isinstance(item.item, ResponsibilityItem):
            return await _upsert_responsibility(session, item.item)
        return await _upsert_department(session, item.item)


async def _upsert_department(session: AsyncSession, item: DepartmentItem) -> Outcome:
    row = await session.get(Department, item.code)
    values = {
        "name": item.name,
        "kind": item.kind,
        "level": item.level,
        "jurisdiction_code": item.jurisdiction_code,
        "is_fallback": item.is_fallback,
    }
    if row is None:
        session.add(Department(code=item.code, **values))
        await session.flush()
        return Outcome.CREATED
    if all(getattr(row, key) == value for key, value in values.items()):
        return Outcome.UNCHANGED
    for key, value in values.items():
        setattr(row, key, value)
    await session.flush()
    return Outcome.UPDATED


async def _upsert_responsibility(session: AsyncSession, item: ResponsibilityItem) -> Outcome:
    row = await session.get(Responsibility, (item.category_code, item.department_kind, item.level))
    if row is None:
        session.add(
            Responsibility(
                category_code=item.category_code,
                department_kind=item.department_kind,
                level=item.level,
                rank=item.rank,
            )
        )
        await session.flush()
        return Outcome.CREATED
    if row.rank == item.rank:
        return Outcome.UNCHANGED
    row.rank = item.rank
    await session.flush()
    return Outcome.UPDATED
