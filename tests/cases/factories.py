"""Building cases through the API, as a client would; many at once through the batch path."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.auth.actors import Role
from hub.cases import service as cases
from hub.config import Settings
from hub.db import create_engine, create_sessionmaker
from hub.demo.synthetic import Plan, generate
from hub.geo.index import GeoIndex
from tests.conftest import MUTABLE_TABLES, GraphQLClient, HubServer

CASE_FIELDS = """
  number title status priority source reportedAt respondBy resolveBy respondedAt resolvedAt
  closedAt crossesBoundary reporterContact respondOverdue resolveOverdue reopenCount
  category { code } location { lat lng } address
  grid { code } community { code } subdistrict { code name } district { code }
  jurisdictionsCrossed { code }
  dispatches { department { code } status dispatchedAt respondedAt resolvedAt }
  feedback { resolved satisfied comment }
  events { id type note actor { sub role } }
  externalRefs { system id }
"""

REPORT = f"""
mutation($input: ReportCaseInput!) {{
  reportCase(input: $input) {{ case {{ {CASE_FIELDS} }} errors {{ code message field }} }}
}}"""


def step(mutation: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {mutation}(input: $input) {{ case {{ {CASE_FIELDS} }} errors {{ code message field }} }}
}}"""


DISPATCH = step("dispatchCase", "DispatchCaseInput")
RESPOND = step("respondToCase", "CaseStepInput")
RESOLVE = step("resolveCase", "CaseStepInput")
CLOSE = step("closeCase", "CaseStepInput")
FEEDBACK = step("recordFeedback", "RecordFeedbackInput")


class Actors:
    """Tokens for the people in the stories."""

    def __init__(self, server: HubServer) -> None:
        self.city = server.token(Role.CITY_PLATFORM, jurisdiction="110000", sub="city-desk")
        self.hotline = server.token(Role.HOTLINE, jurisdiction="110000", sub="12345-agent")
        self.observer = server.token(Role.OBSERVER, jurisdiction="110000", sub="reporter")

    @staticmethod
    def street(server: HubServer, code: str) -> str:
        return server.token(Role.STREET_OFFICE, jurisdiction=code, sub=f"street-{code}")

    @staticmethod
    def department(server: HubServer, code: str) -> str:
        return server.token(
            Role.DEPARTMENT, jurisdiction=code.split(".")[0], department=code, sub=f"dept-{code}"
        )


async def mutate(gql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    """Run a mutation; return its payload (``case`` and ``errors``)."""
    data = await gql.execute(query, {"input": input}, token=token)
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


async def ok(gql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    payload = await mutate(gql, query, token, **input)
    assert payload["errors"] == [], payload["errors"]
    case: dict[str, Any] = payload["case"]
    return case


async def report_noise(
    gql: GraphQLClient,
    token: str,
    where: dict[str, float],
    text: str,
    *,
    source: str = "GRID_PATROL",
) -> str:
    """Report a noise case at ``where`` (lat, lng); its number."""
    case = await ok(
        gql,
        REPORT,
        token,
        description=text,
        categoryCode="NOISE",
        source=source,
        location=where,
    )
    return str(case["number"])


ORDER_FIELDS = """
  number status warningLevel resolveBy resolveOverdue
  mergedInto { number } duplicates { number }
  dispatches { department { code } role status signedAt signBy }
  returns { department { code } reason note decision decidedBy { sub } redispatchedTo { code } }
  extensions { until previousDeadline reason decision decidedBy { sub } }
  events { type note }
"""


def order_step(mutation: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {mutation}(input: $input) {{ case {{ {ORDER_FIELDS} }} errors {{ code message field }} }}
}}"""


SIGN = order_step("signForCase", "CaseNoteInput")
RETURN = order_step("returnCase", "ReturnCaseInput")
REVIEW_RETURN = order_step("reviewReturn", "ReviewReturnInput")
REQUEST_EXTENSION = order_step("requestExtension", "RequestExtensionInput")
REVIEW_EXTENSION = order_step("reviewExtension", "ReviewCaseInput")
URGE = order_step("urgeCase", "CaseNoteInput")
SUPERVISE = order_step("superviseCase", "CaseNoteInput")
MERGE = order_step("mergeCases", "MergeCasesInput")
DECLINE = order_step("declineCase", "DeclineCaseInput")
REVIEW_CLOSURE = order_step("reviewClosure", "ReviewCaseInput")
CREATE_THEME = """
mutation($input: CreateMonthlyThemeInput!) {
  createMonthlyTheme(input: $input) { theme { id month title } errors { code message field } }
}"""


async def refused(gql: GraphQLClient, query: str, token: str, **input: Any) -> str:
    """Run a mutation that must be refused; its error code."""
    payload = await mutate(gql, query, token, **input)
    assert payload["errors"], payload
    return str(payload["errors"][0]["code"])


@contextlib.asynccontextmanager
async def synthetic_cases(
    settings: Settings, plan: Plan, *, swept: bool = False
) -> AsyncIterator[AsyncEngine]:
    """The synthetic cases of ``plan``, written by the batch path (and ``swept`` for overdue as
    of its end), on an engine of their own; on leaving, everything tests write is deleted."""
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        geo = GeoIndex()
        await geo.load(sessionmaker)
        async with sessionmaker() as session, session.begin():
            await generate(session=session, geo=geo, plan=plan)
            if swept:
                await cases.sweep_overdue(session=session, now=plan.end)
        yield engine
        async with engine.begin() as connection:
            for table in MUTABLE_TABLES:
                await connection.execute(text(f'DELETE FROM "{table}"'))
    finally:
        await engine.dispose()
