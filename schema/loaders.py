"""Per-request DataLoaders: every relation is batched into one statement per tick.

``Loaders`` is every domain's loaders in one object (``info.context.loaders``); each domain
keeps its own in ``schema/<domain>/loaders.py``.
"""

from __future__ import annotations

from schema.adapters.loaders import AdapterLoaders
from schema.cases.loaders import CaseLoaders
from schema.departments.loaders import DepartmentLoaders
from schema.geo.loaders import GeoLoaders
from schema.webhooks.loaders import WebhookLoaders
from schema.whistles.loaders import WhistleLoaders


class Loaders(
    GeoLoaders, DepartmentLoaders, CaseLoaders, WhistleLoaders, AdapterLoaders, WebhookLoaders
):
    pass
