"""The one contract every department adapter keeps.

Airbyte's connector kit has ``spec / check / read`` and a free-form state dict. Ours is typed
end to end:

- **spec**: ``name``, ``summary`` and ``settings_model`` (a pydantic settings class: each field
  with its type, default and description, also read from ``HUB_<ADAPTER>_<FIELD>``);
- **check**: ``check()`` raises ``SourceUnavailableError`` saying why the source cannot be read;
- **read**: ``read(cursor)`` yields ``Batch``es of ``SourceRecord``s since a typed ``Cursor``
  (a frozen pydantic model per adapter), each batch with the cursor to store once it is in;
- **map**: ``parse(records)`` turns raw records into ``Parsed`` items carrying their
  ``Provenance`` (source system, id there, version), or ``Rejection``s saying why not;
- **write**: ``write(session, item)`` puts one item into the hub and says what happened
  (``Outcome``); ``write_many`` may do a whole batch at once (the bulk path).

The runner (``adapters.runner``) owns transactions: one per batch with the cursor advance,
a savepoint per record, the run's counts and the quarantine. Adapters never commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.config import Settings as HubSettings
from hub.errors import ConflictError, DomainError, ErrorCode
from hub.geo.index import GeoIndex

DEFAULT_BATCH_SIZE = 1_000


class AdapterSettings(BaseSettings):
    """What every adapter needs; subclasses add their own fields and an ``env_prefix``."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="Where to read: a file or directory path, or a URL.")
    batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE,
        ge=1,
        le=50_000,
        description="Records per transaction (each batch commits with its cursor advance).",
    )


class Cursor(BaseModel):
    """A source's watermark; each adapter defines its own fields. The default is the start."""

    model_config = ConfigDict(frozen=True, extra="forbid")


SettingsT = TypeVar("SettingsT", bound=AdapterSettings)
CursorT = TypeVar("CursorT", bound=Cursor)
ItemT = TypeVar("ItemT")


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record as the source sent it (kept whole for the quarantine) and its id there."""

    raw: dict[str, Any]
    source_id: str | None
    # Set when the record could not even be decoded (a line that is not JSON, …).
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a hub record came from: the source system, its id there, its version."""

    system: str
    source_id: str
    version: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Parsed(Generic[ItemT]):
    record: SourceRecord
    provenance: Provenance
    item: ItemT


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a record was refused; the runner quarantines it with the raw record."""

    record: SourceRecord
    reason: str


class Outcome(enum.StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"


@dataclass(frozen=True, slots=True)
class Batch(Generic[CursorT]):
    """Records read together, and the cursor to store once they are all in."""

    records: list[SourceRecord]
    cursor: CursorT
    done: int | None = None  # progress so far (records, bytes, …) out of ``total``
    total: int | None = None


class RecordRejectedError(DomainError):
    """Raised by ``parse`` or ``write`` for a record that cannot go in; carries the reason."""

    code = ErrorCode.REJECTED


class SourceUnavailableError(Exception):
    """The source cannot be read at all (missing file, refused connection, bad answer)."""


@dataclass
class AdapterContext:
    """What the hub lends an adapter for a run."""

    settings: HubSettings
    geo: GeoIndex
    now: Callable[[], dt.datetime]
    # Things a reader of the run should know that are not rejections, counted.
    notes: Counter[str] = field(default_factory=Counter)


class Adapter(ABC, Generic[SettingsT, CursorT, ItemT]):
    """Subclass this, fill in the class attributes, and register the class (``adapters``)."""

    name: ClassVar[str]
    summary: ClassVar[str]
    settings_model: ClassVar[type[AdapterSettings]]
    cursor_model: ClassVar[type[Cursor]]
    # Whether ``parse``/``write`` locate places (the runner loads the geography for them).
    needs_geo: ClassVar[bool] = False

    def __init__(self, settings: SettingsT, context: AdapterContext) -> None:
        self.settings = settings
        self.context = context

    def source_key(self) -> str:
        """The source's identity for its cursor: a URL as given, a path made absolute."""
        source = self.settings.source
        if "://" in source:
            return source.rstrip("/")
        return str(Path(source).expanduser().resolve())

    @abstractmethod
    async def check(self) -> None:
        """Raise ``SourceUnavailableError`` unless the source can be read."""

    @abstractmethod
    def read(self, cursor: CursorT) -> AsyncIterator[Batch[CursorT]]:
        """Batches of records changed since ``cursor``, in order."""

    async def prepare(self, session: AsyncSession) -> None:
        """Load what ``parse`` needs from the hub (reference names, codes) once per run."""

    @abstractmethod
    def parse(self, records: Sequence[SourceRecord]) -> list[Parsed[ItemT] | Rejection]:
        """Validate and map records to the hub's model; one result per record, in order."""

    @abstractmethod
    async def write(self, session: AsyncSession, item: Parsed[ItemT]) -> Outcome:
        """Put one item into the hub (raise a ``DomainError`` to reject it)."""

    async def write_many(
        self, session: AsyncSession, items: Sequence[Parsed[ItemT]]
    ) -> list[Outcome | Rejection]:
        """Put a batch in: by default record by record, each in its own savepoint."""
        return [await write_one(self.write, session, item) for item in items]

    def note(self, text: str) -> None:
        """Tell the run's reader something that is not a rejection (a repair, an unknown name)."""
        self.context.notes[text] += 1


Writer = Callable[[AsyncSession, Parsed[ItemT]], Awaitable[Outcome]]


async def write_one(
    write: Writer[ItemT], session: AsyncSession, item: Parsed[ItemT]
) -> Outcome | Rejection:
    """One record in its own savepoint: a refusal rolls back that record only."""
    try:
        async with session.begin_nested():
            return await write(session, item)
    except DomainError as error:
        return Rejection(item.record, f"{error.code}: {error.message}")
    except (SQLAlchemyError, ConflictError) as error:
        # A constraint the adapter did not foresee: this record only, with the database's word.
        cause = error.__cause__ if isinstance(error, ConflictError) else error
        return Rejection(
            item.record, f"DATABASE: {str(getattr(cause, 'orig', None) or cause)[:500]}"
        )


def describe_settings(model: type[AdapterSettings]) -> list[tuple[str, str, str, str]]:
    """(name, type, default, description) of each setting, for ``hub adapters``."""
    rows = []
    for name, info in model.model_fields.items():
        if get_origin(info.annotation) is Literal:
            annotation = " | ".join(str(arg) for arg in get_args(info.annotation))
        else:
            annotation = getattr(info.annotation, "__name__", str(info.annotation))
        if info.is_required():
            default = "required"
        else:
            default = repr(info.get_default(call_default_factory=True, validated_data={}))
        rows.append((name, annotation, default, info.description or ""))
    return rows
