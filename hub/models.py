"""Every mapped model, imported once so the metadata (and Alembic) sees the whole schema."""

from adapters.models import AdapterCursor, AdapterRun, QuarantinedRecord
from hub.audit.models import AuditEntry
from hub.cases.models import Case, CaseDispatch, CaseEvent, CaseExternalRef, CaseJurisdiction
from hub.categories.models import Category, Responsibility
from hub.connections.models import ConnectionRun, StandingConnection
from hub.db import Base
from hub.departments.models import Department
from hub.geo.models import Grid, Jurisdiction
from hub.numbers import NumberSequence
from hub.open311.models import Open311Key
from hub.webhooks.models import Webhook, WebhookDelivery
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
    "ConnectionRun",
    "Department",
    "Grid",
    "Jurisdiction",
    "NumberSequence",
    "Open311Key",
    "QuarantinedRecord",
    "Responsibility",
    "StandingConnection",
    "Summons",
    "Webhook",
    "WebhookDelivery",
    "Whistle",
    "WhistleCase",
    "WhistleEvent",
]
