"""Every mapped model, imported once so the metadata (and Alembic) sees the whole schema."""

from adapters.models import AdapterCursor, AdapterRun, QuarantinedRecord
from hub.audit.models import AuditEntry
from hub.cases.models import Case, CaseDispatch, CaseEvent, CaseExternalRef, CaseJurisdiction
from hub.categories.models import Category, Responsibility
from hub.db import Base
from hub.departments.models import Department
from hub.geo.models import Grid, Jurisdiction
from hub.numbers import NumberSequence
from hub.whistles.models import Summons, Whistle, WhistleCase, WhistleEvent

__all__ = [
    "AdapterCursor",
    "AdapterRun",
    "AuditEntry",
    "Base",
    "Case",
    "CaseDispatch",
    "CaseEvent",
    "CaseExternalRef",
    "CaseJurisdiction",
    "Category",
    "Department",
    "Grid",
    "Jurisdiction",
    "NumberSequence",
    "QuarantinedRecord",
    "Responsibility",
    "Summons",
    "Whistle",
    "WhistleCase",
    "WhistleEvent",
]
