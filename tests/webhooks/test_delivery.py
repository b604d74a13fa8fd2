"""Webhooks out, delivered by two real `hub serve` processes to real receivers on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import Settings
from tests.adapters.support import scalar
from tests.conftest import GraphQLClient
from tests.support.databases import closed_port
from tests.support.processes import HubProcess, eventually, wait_for
from tests.webhooks.conftest import (
    accepted,
    city,
    numbers_of,
    received,
    receiver,
    register,
    report,
)

DELIVERIES = """
query { webhooks(first: 10) { nodes { id deliveries(first: 10) { nodes {
  id eventId eventType messageId status attempts lastStatusCode lastError nextAttemptAt } } } } }"""
REDELIVER = """
mutation($input: RedeliverWebhookInput!) {
  redeliverWebhook(input: $input) { delivery { id status attempts } errors { code } } }"""
ROTATE = """
mutation($input: WebhookInput!) {
  rotateWebhookSecret(input: $input) { webhook { id rotatedAt } secret errors { code } } }"""
DISPATCH = """
mutation($input: DispatchCaseInput!) { dispatchCase(input: $input) { errors { code } } }"""


async def deliveries(gql: GraphQLClient, token: str, webhook: str) -> list[dict[str, Any]]:
    """The webhook's delivery log, oldest first."""
    data = await gql.execute(DELIVERIES, token=token)
    (found,) = [w for w in data["webhooks"]["nodes"] if w["id"] == webhook]
    return list(reversed(found["deliveries"]["nodes"]))


def accepted_in_order(log: Path, count: int) -> list[dict[str, Any]] | None:
    found = accepted(log)
    return found if len(found) >= count else None


async def test_a_receiver_failing_three_times_gets_every_event_once_in_order(
    settings: Settings, gql: GraphQLClient, tmp_path: Path
) -> None:
    token, port, log = city(settings), closed_port(), tmp_path / "received.jsonl"
    webhook, secret = await register(gql, token, port, eventTypes=["case.REPORTED"])
    with receiver(secret, port, log, fail_first=3):
        numbers = await report(gql, token, 3)
        wait_for(lambda: accepted_in_order(log, 3))
    everything, delivered = received(log), accepted(log)
    assert numbers_of(delivered) == numbers  # once each, in order, by both processes together
    assert all(record["verified"] for record in everything)
    assert [record["status"] for record in everything[:3]] == [500, 500, 500]
    assert {record["id"] for record in everything[:4]} == {delivered[0]["id"]}
    assert len({record["id"] for record in delivered}) == 3
    log_rows = await deliveries(gql, token, webhook)
    assert [(d["status"], d["attempts"], d["lastStatusCode"]) for d in log_rows] == [
        ("DELIVERED", 4, 200),
        ("DELIVERED", 1, 200),
        ("DELIVERED", 1, 200),
    ]
    assert [d["messageId"] for d in log_rows] == [record["id"] for record in delivered]


async def test_a_receiver_down_for_a_while_gets_the_backlog(
    settings: Settings, gql: GraphQLClient, tmp_path: Path
) -> None:
    token, port, log = city(settings), closed_port(), tmp_path / "received.jsonl"
    webhook, secret = await register(gql, token, port, eventTypes=["case.*"])
    numbers = await report(gql, token, 3)

    async def failing() -> dict[str, Any] | None:
        rows = await deliveries(gql, token, webhook)
        head = rows[0] if rows else None
        return head if head and head["attempts"] >= 2 else None

    head = await eventually(failing)
    assert head["status"] == "PENDING"
    assert head["lastStatusCode"] is None
    assert "Connect" in head["lastError"]
    assert head["nextAttemptAt"] is not None
    with receiver(secret, port, log):
        wait_for(lambda: accepted_in_order(log, 3))
    assert numbers_of(accepted(log)) == numbers


async def test_after_the_last_attempt_a_delivery_is_dead_until_redelivered(
    settings: Settings, gql: GraphQLClient, tmp_path: Path
) -> None:
    token, port, log = city(settings), closed_port(), tmp_path / "received.jsonl"
    webhook, secret = await register(gql, token, port, eventTypes=["case.REPORTED"])
    with receiver(secret, port, log, fail_first=6):  # HUB_WEBHOOK_MAX_ATTEMPTS
        numbers = await report(gql, token, 2)
        wait_for(lambda: accepted_in_order(log, 1))
        assert numbers_of(accepted(log)) == numbers[1:]  # the dead one holds up nothing
        dead, _ = await deliveries(gql, token, webhook)
        assert (dead["status"], dead["attempts"], dead["lastStatusCode"]) == ("DEAD", 6, 500)
        assert dead["nextAttemptAt"] is None
        again = await gql.execute(REDELIVER, {"input": {"deliveryId": dead["id"]}}, token=token)
        assert not again["redeliverWebhook"]["errors"]
        wait_for(lambda: accepted_in_order(log, 2))
    assert numbers_of(accepted(log)) == [numbers[1], numbers[0]]
    assert accepted(log)[1]["id"] == dead["messageId"]


async def test_a_rotated_secret_signs_from_then_on(
    settings: Settings, gql: GraphQLClient, tmp_path: Path
) -> None:
    token, port, log = city(settings), closed_port(), tmp_path / "received.jsonl"
    webhook, old = await register(gql, token, port, eventTypes=["case.REPORTED"])
    rotated = await gql.execute(ROTATE, {"input": {"webhookId": webhook}}, token=token)
    new = rotated["rotateWebhookSecret"]["secret"]
    assert new.startswith("whsec_")
    assert new != old
    with receiver(new, port, log):
        await report(gql, token, 1)
        wait_for(lambda: accepted_in_order(log, 1))
    assert accepted(log)[0]["verified"]


async def test_a_department_hears_only_what_is_dispatched_to_it(
    settings: Settings, gql: GraphQLClient, tmp_path: Path
) -> None:
    city_token, port, log = city(settings), closed_port(), tmp_path / "received.jsonl"
    mine, _other = await report(gql, city_token, 2)
    found = await gql.execute(
        "query($n: String!) { case(number: $n) { subdistrict { code } } }",
        {"n": mine},
        token=city_token,
    )
    department = f"{found['case']['subdistrict']['code']}.URBAN_MANAGEMENT"
    token = mint(
        settings,
        role=Role.DEPARTMENT,
        jurisdiction=department.split(".")[0],
        department=department,
        sub="dept-system",
    )
    _, secret = await register(gql, token, port)
    with receiver(secret, port, log):
        dispatched = await gql.execute(
            DISPATCH,
            {"input": {"caseNumber": mine, "departmentCodes": [department]}},
            token=city_token,
        )
        assert not dispatched["dispatchCase"]["errors"]
        wait_for(lambda: accepted_in_order(log, 1))
        await report(gql, city_token, 1)  # a later event it may not see either
    types = [(r["body"]["data"]["case"]["number"], r["body"]["type"]) for r in accepted(log)]
    assert (mine, "case.DISPATCHED") in types
    assert {number for number, _ in types} == {mine}  # never ``other``, nor the later one


async def test_a_hub_killed_mid_delivery_is_taken_over_and_sends_what_was_not_accepted(
    settings: Settings, gql: GraphQLClient, hubs: list[HubProcess], tmp_path: Path
) -> None:
    token, port, log = city(settings), closed_port(), tmp_path / "received.jsonl"
    _, secret = await register(gql, token, port, eventTypes=["case.REPORTED"])
    with receiver(secret, port, log, slow_first=1, delay=5):
        numbers = await report(gql, token, 3)
        wait_for(lambda: received(log))  # the first is in flight: the receiver is slow
        holder = await scalar(
            settings.database_url, "SELECT leased_by FROM webhook ORDER BY id DESC LIMIT 1"
        )
        (victim,) = [hub for hub in hubs if holder.startswith(f"{hub.pid}:")]
        victim.kill()
        victim.start()
        wait_for(lambda: accepted_in_order(log, 4))
        wait_for(victim.ready, deadline=300)
    delivered = accepted(log)
    first_seen = list(dict.fromkeys(numbers_of(delivered)))
    assert first_seen == numbers
    ids = [record["id"] for record in delivered]
    assert ids.count(ids[0]) == 2  # the one in flight, again, under the same webhook-id
    assert len(ids) == 4
