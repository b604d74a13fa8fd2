"""The webhook list with each webhook's delivery log costs the same statements for 1 or 6."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hub.config import Settings
from tests.conftest import GraphQLClient, quiet_hub
from tests.webhooks.conftest import city, register

pytestmark = pytest.mark.usefixtures("clean")

LIST = """
query($first: Int!) {
  webhooks(first: $first) {
    edges { node { url active deliveries(first: 5) { edges { node { id status attempts } } } } }
  }
}"""


async def test_the_webhook_list_with_delivery_logs_costs_constant_statements(
    settings: Settings,
) -> None:
    allowed = settings.model_copy(update={"webhook_allow_hosts": "127.0.0.1"})
    token = city(settings)
    with quiet_hub(allowed) as (url, counter):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            gql = GraphQLClient(client)
            for port in range(9101, 9107):
                await register(gql, token, port)
            await gql.execute(LIST, {"first": 1}, token=token)  # warm-up: the feed's first look

            async def statements_for(first: int) -> tuple[int, list[dict[str, Any]]]:
                before = counter.count
                data = await gql.execute(LIST, {"first": first}, token=token)
                return counter.count - before, data["webhooks"]["edges"]

            one, _ = await statements_for(1)
            six, edges = await statements_for(6)
    assert one == six, f"1 webhook: {one} statements, 6 webhooks: {six}"
    assert len(edges) == 6
    assert all(edge["node"]["deliveries"]["edges"] == [] for edge in edges)
