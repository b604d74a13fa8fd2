"""Building whistles through the API, as a client would; driving the sweeper's clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from hub.auth.actors import Role
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker, transaction
from hub.whistles.service import sweep_overdue
from tests.cases.factories import REPORT, Actors, mutate
from tests.cases.factories import ok as case_ok
from tests.conftest import GraphQLClient, HubServer

SUMMONS_FIELDS = """
  id status summonedAt reportBy acknowledgedAt arrivedAt completedAt overdue task note
  department { code } partner { code } invitedBy { id } rating { score comment }
  arrivedLocation { lat lng } releaseReason
"""

WHISTLE_FIELDS = f"""
  id number kind scope status reason reportBy openedAt reviewedAt resolvedAt closedAt
  escalationLevel releaseReason feedback overdue reportWithinMinutes
  caller {{ code }} cases {{ number }} jointAction {{ at place }}
  summons {{ {SUMMONS_FIELDS} }}
  events {{ type note actor {{ sub role }} summons {{ id }} }}
"""


def step(mutation: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {mutation}(input: $input) {{
    whistle {{ {WHISTLE_FIELDS} }} summons {{ id status }} errors {{ code message field }}
  }}
}}"""


BLOW = step("blowWhistle", "BlowWhistleInput")
REVIEW = step("reviewWhistle", "ReviewWhistleInput")
ACKNOWLEDGE = step("acknowledgeSummons", "AcknowledgeSummonsInput")
REPORT_IN = step("reportIn", "ReportInInput")
JOIN = step("joinWhistle", "JoinWhistleInput")
SCHEDULE = step("scheduleJointAction", "ScheduleJointActionInput")
COMPLETE = step("completeSummons", "CompleteSummonsInput")
RESOLVE = step("resolveWhistle", "ResolveWhistleInput")
EVALUATE = step("evaluateWhistle", "EvaluateWhistleInput")
CLOSE = step("closeWhistle", "CloseWhistleInput")
ESCALATE = step("escalateWhistle", "EscalateWhistleInput")

GET = f"""
query($number: String!) {{ whistle(number: $number) {{ {WHISTLE_FIELDS} }} }}"""


def platform(server: HubServer, code: str) -> str:
    """A district platform's token (or the city's, for 110000)."""
    role = Role.CITY_PLATFORM if code == "110000" else Role.DISTRICT_PLATFORM
    return server.token(role, jurisdiction=code, sub=f"platform-{code}")


async def ok(gql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    """Run a whistle mutation that must succeed; return the whistle."""
    payload = await mutate(gql, query, token, **input)
    assert payload["errors"] == [], payload["errors"]
    whistle: dict[str, Any] = payload["whistle"]
    return whistle


async def refused(gql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    """Run a whistle mutation that must be refused; return its one error."""
    payload = await mutate(gql, query, token, **input)
    assert payload["whistle"] is None, payload
    assert len(payload["errors"]) == 1, payload["errors"]
    error: dict[str, Any] = payload["errors"][0]
    return error


async def get(gql: GraphQLClient, number: str, token: str) -> dict[str, Any] | None:
    data = await gql.execute(GET, {"number": number}, token=token)
    whistle: dict[str, Any] | None = data["whistle"]
    return whistle


def party(whistle: dict[str, Any], code: str) -> dict[str, Any]:
    """The summons of the department or partner street office ``code``."""
    for summons in whistle["summons"]:
        department = (summons["department"] or {}).get("code")
        partner = (summons["partner"] or {}).get("code")
        if code in (department, partner):
            return dict(summons)
    raise AssertionError(f"{code} is not summoned")


async def report_case(
    gql: GraphQLClient, token: str, description: str, category: str, **more: Any
) -> dict[str, Any]:
    return await case_ok(gql, REPORT, token, description=description, categoryCode=category, **more)


def at(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


async def sweep(settings: Settings, now: dt.datetime) -> int:
    """Run the overdue sweeper as one hub process would, at a given time."""
    engine = create_engine(settings.database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await sweep_overdue(session=session, now=now)
    finally:
        await engine.dispose()


async def sweep_concurrently(settings: Settings, now: dt.datetime, processes: int) -> list[int]:
    """Several hub processes sweeping at the same moment, each with its own engine."""
    return list(await asyncio.gather(*(sweep(settings, now) for _ in range(processes))))


LUGU = "110107011"  # 鲁谷街道, Shijingshan
SITE = {"lat": 39.900, "lng": 116.235}
TEAM, DISTRICT_TEAM = f"{LUGU}.URBAN_MANAGEMENT", "110107.URBAN_MANAGEMENT"


async def garbage_whistle(gql: GraphQLClient, server: HubServer, **more: Any) -> dict[str, Any]:
    """Lugu whistles its own team and the district's for a garbage heap (a DISTRICT whistle)."""
    street = Actors.street(server, LUGU)
    case = await report_case(
        gql, street, "小区门口垃圾堆放", "GARBAGE", source="GRID_PATROL", location=SITE
    )
    call = {
        "callerCode": LUGU,
        "kind": "DAILY_ENFORCEMENT",
        "caseNumbers": [case["number"]],
        "departmentCodes": [TEAM, DISTRICT_TEAM],
        "reason": "垃圾清运",
    }
    return await ok(gql, BLOW, street, **(call | more))
