"""Who is acting: the resolved claims of a request's token."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any


class Role(enum.StrEnum):
    CITY_PLATFORM = "CITY_PLATFORM"
    DISTRICT_PLATFORM = "DISTRICT_PLATFORM"
    STREET_OFFICE = "STREET_OFFICE"
    DEPARTMENT = "DEPARTMENT"
    GRID_WORKER = "GRID_WORKER"
    HOTLINE = "HOTLINE"
    OBSERVER = "OBSERVER"


@dataclass(frozen=True, slots=True)
class Actor:
    """The subject behind a request, recorded on every write (events, audit log)."""

    sub: str
    role: Role | None
    jurisdiction_code: str | None = None
    department_code: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.role is None

    def as_record(self) -> dict[str, Any]:
        """The form stored in event logs and the audit log."""
        record = asdict(self)
        record["role"] = self.role.value if self.role else None
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Actor:
        role = record.get("role")
        return cls(
            sub=str(record.get("sub", "")),
            role=Role(role) if role else None,
            jurisdiction_code=record.get("jurisdiction_code"),
            department_code=record.get("department_code"),
        )


ANONYMOUS = Actor(sub="anonymous", role=None)
SYSTEM = Actor(sub="system", role=Role.CITY_PLATFORM, jurisdiction_code="110000")
