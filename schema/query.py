"""The root Query: every domain's root fields under one type, and nodes by global id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from hub.errors import TooManyIdsError
from schema.adapters.queries import AdapterQuery, load_adapter_run
from schema.audit.queries import AuditQuery
from schema.auth.queries import AuthQuery
from schema.cases.queries import CaseQuery, visible_case
from schema.connections.operations import ConnectionQuery, load_connection_node
from schema.context import Info
from schema.core.relay import InvalidGlobalIdError, Node, from_global_id
from schema.departments.queries import (
    CategoryQuery,
    DepartmentQuery,
    load_category_node,
    load_department_node,
)
from schema.geo.queries import GeoQuery, load_grid_node, load_jurisdiction_node
from schema.live.cursors import LiveQuery
from schema.metrics.assessment import AssessmentQuery
from schema.metrics.queries import MetricsQuery
from schema.themes.queries import ThemeQuery, load_theme_node
from schema.webhooks.operations import WebhookQuery, load_webhook_node
from schema.whistles.queries import WhistleQuery, load_summons_node, load_whistle_node

MAX_NODES = 100

NODE_LOADERS: dict[str, Callable[[Info, str], Awaitable[Node | None]]] = {
    "Jurisdiction": load_jurisdiction_node,
    "Grid": load_grid_node,
    "Department": load_department_node,
    "Category": load_category_node,
    "Case": visible_case,
    "AdapterRun": load_adapter_run,
    "Whistle": load_whistle_node,
    "Summons": load_summons_node,
    "MonthlyTheme": load_theme_node,
    "Connection": load_connection_node,
    "Webhook": load_webhook_node,
}


async def resolve_node(info: Info, global_id: str) -> Node | None:
    """Any entity by global id; an unknown or malformed id is simply not found."""
    try:
        type_name, key = from_global_id(global_id)
    except InvalidGlobalIdError:
        return None
    loader = NODE_LOADERS.get(type_name)
    return await loader(info, key) if loader else None


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Fetches an object given its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Fetches objects given their global ids (at most 100).")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise TooManyIdsError(f"at most {MAX_NODES} ids at once")
        return [await resolve_node(info, global_id) for global_id in ids]


# The order of the bases is the order of the fields in the SDL.
@strawberry.type
class Query(
    MetricsQuery,
    WhistleQuery,
    AdapterQuery,
    AuditQuery,
    NodeQuery,
    AuthQuery,
    GeoQuery,
    DepartmentQuery,
    CaseQuery,
    CategoryQuery,
    ThemeQuery,
    AssessmentQuery,
    WebhookQuery,
    ConnectionQuery,
    LiveQuery,
):
    pass
