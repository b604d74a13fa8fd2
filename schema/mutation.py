"""The root Mutation: every domain's mutations under one type."""

from __future__ import annotations

import strawberry

from schema.cases.mutations import CaseMutations
from schema.cases.order_mutations import OrderMutations
from schema.connections.operations import ConnectionMutations
from schema.themes.queries import ThemeMutations
from schema.webhooks.operations import WebhookMutations
from schema.whistles.mutations import WhistleMutations


@strawberry.type
class Mutation(
    CaseMutations,
    WhistleMutations,
    OrderMutations,
    ThemeMutations,
    WebhookMutations,
    ConnectionMutations,
):
    pass
