"""Every mapped model, the hub's and the adapters', imported once so Alembic sees them all."""

from adapters.models import AdapterCursor, AdapterRun, QuarantinedRecord
from hub.audit.models import AuditEntry
from hub.cases.models import (
    Case,
    CaseDispatch,
    CaseEvent,
    CaseExtension,
    CaseExternalRef,
    CaseJurisdiction,
    CaseReturn,
    CaseSupervision,
)
from hub.categories.models import Category, Responsibility
from hub.connections.models import ConnectionRun, StandingConnection
from hub.db import Base
from hub.departments.models import Department
from hub.geo.models import Grid, Jurisdiction
from hub.numbers import NumberSequence
from hub.open311.models import Open311Key
from hub.themes.models import MonthlyTheme, ThemeCase
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
    "CaseExtension",
    "CaseExternalRef",
    "CaseJurisdiction",
    "CaseReturn",
    "CaseSupervision",
    "Category",
    "ConnectionRun",
    "Department",
    "Grid",
    "Jurisdiction",
    "MonthlyTheme",
    "NumberSequence",
    "Open311Key",
    "QuarantinedRecord",
    "Responsibility",
    "StandingConnection",
    "Summons",
    "ThemeCase",
    "Webhook",
    "WebhookDelivery",
    "Whistle",
    "WhistleCase",
    "WhistleEvent",
]
