"""The webhook list with each webhook's delivery log costs the same statements for 1 or 6."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from schema.core.relay import to_global_id
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


NODE = """query($id: ID!) { node(id: $id) { id ... on Webhook { url active } } }"""


async def test_a_webhook_by_its_global_id_is_its_owners_and_the_citys_only(
    settings: Settings,
) -> None:
    allowed = settings.model_copy(update={"webhook_allow_hosts": "127.0.0.1"})
    owner = mint(settings, role=Role.DEPARTMENT, department="110105.URBAN_MANAGEMENT", sub="cg")
    other = mint(settings, role=Role.DEPARTMENT, department="110105.URBAN_MANAGEMENT", sub="x")
    with quiet_hub(allowed) as (url, _):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            gql = GraphQLClient(client)
            webhook_id, _secret = await register(gql, owner, 9111)

            async def node(token: str | None, global_id: str = webhook_id) -> Any:
                return (await gql.execute(NODE, {"id": global_id}, token=token))["node"]

            expected = {"id": webhook_id, "url": "http://127.0.0.1:9111/hook", "active": True}
            assert await node(owner) == expected
            assert await node(city(settings)) == expected
            assert await node(other) is None
            assert await node(None) is None
            # a key past 64 bits is simply not found
            assert await node(owner, to_global_id("Webhook", "9" * 23)) is None
