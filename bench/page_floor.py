"""The executor's floor for a front end's page: its document executed over its answer, in memory.

No HTTP, no token, no database: the page's own answer (as the hub gave it) is the root value,
and every field is read by the executor's default resolver from a dict (graphql-core) or an
attribute (strawberry), with the document parsed and validated once beforehand. What is timed
is nothing but per-field execution and the answer's JSON encoding, so no server built on either
executor can serve the page faster than this, on one core, whatever it does about its I/O.

    from bench.page_floor import executor_floor
    executor_floor(answer, query, variables)   # {"graphql-core": pages/s, "strawberry": pages/s}
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import ExecutionResult, GraphQLSchema, build_schema, execute_sync, parse, validate

SDL = """
type Query { cases(first: Int!, filter: CaseFilterInput): CaseConnection }
input CaseFilterInput { jurisdictionCode: String }
type CaseConnection { pageInfo: PageInfo edges: [CaseEdge] }
type PageInfo { hasNextPage: Boolean endCursor: String }
type CaseEdge { node: Case }
type Case {
  number: String title: String status: String reportedAt: String respondBy: String
  address: String category: Named subdistrict: Named district: Named
  dispatches: [Dispatch] events(last: Int): [Event]
}
type Named { code: String name: String }
type Dispatch { status: String department: Named }
type Event { type: String at: String }
"""


@strawberry.type
class Named:
    code: str | None
    name: str | None


@strawberry.type
class Dispatch:
    status: str | None
    department: Named | None


@strawberry.type
class Event:
    type: str | None
    at: str | None


@strawberry.type
class Case:
    number: str | None
    title: str | None
    status: str | None
    reported_at: str | None
    respond_by: str | None
    address: str | None
    category: Named | None
    subdistrict: Named | None
    district: Named | None
    dispatches: list[Dispatch]
    events_held: strawberry.Private[list[Event]]

    @strawberry.field
    def events(self, last: int | None = None) -> list[Event]:
        return self.events_held if last is None else self.events_held[-last:]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CaseEdge:
    node: Case


@strawberry.type
class CaseConnection:
    page_info: PageInfo
    edges: list[CaseEdge]


@strawberry.input
class CaseFilterInput:
    jurisdiction_code: str | None = None


def _named(value: dict[str, Any] | None) -> Named | None:
    return Named(code=value["code"], name=value["name"]) if value else None


def _objects(page: dict[str, Any]) -> CaseConnection:
    edges = []
    for edge in page["edges"]:
        node = edge["node"]
        edges.append(
            CaseEdge(
                node=Case(
                    number=node["number"],
                    title=node["title"],
                    status=node["status"],
                    reported_at=node["reportedAt"],
                    respond_by=node["respondBy"],
                    address=node["address"],
                    category=_named(node["category"]),
                    subdistrict=_named(node["subdistrict"]),
                    district=_named(node["district"]),
                    dispatches=[
                        Dispatch(status=d["status"], department=_named(d["department"]))
                        for d in node["dispatches"]
                    ],
                    events_held=[Event(type=e["type"], at=e["at"]) for e in node["events"]],
                )
            )
        )
    info = page["pageInfo"]
    return CaseConnection(
        page_info=PageInfo(has_next_page=info["hasNextPage"], end_cursor=info["endCursor"]),
        edges=edges,
    )


def _rate(run: Callable[[], object], seconds: float) -> float:
    """Pages per second of ``run`` over about ``seconds`` of one core."""
    run()  # warm
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        run()
        done += 1
    return done / elapsed


def executor_floor(
    answer: dict[str, Any], query: str, variables: dict[str, Any], seconds: float = 3.0
) -> dict[str, float]:
    """Pages/s of each executor serving ``query`` over ``answer`` (a ``{"data": …}`` the hub
    gave for it) from memory, encoded to JSON as a server would send it."""
    document = parse(query)
    core_schema = build_schema(SDL)
    if validate(core_schema, document):
        raise AssertionError(validate(core_schema, document))
    page = answer["data"]["cases"]

    connection = _objects(page)

    @strawberry.type
    class Query:
        @strawberry.field
        def cases(self, first: int, filter: CaseFilterInput | None = None) -> CaseConnection:
            return connection

    berry = strawberry.Schema(query=Query)._schema  # strawberry's fields, graphql-core's executor

    def run(schema: GraphQLSchema, root: object) -> Callable[[], object]:
        def page() -> object:
            result = execute_sync(schema, document, root, variable_values=variables)
            if not isinstance(result, ExecutionResult) or result.errors:
                raise AssertionError(result)
            json.dumps({"data": result.data}, ensure_ascii=False, separators=(",", ":"))
            return result.data

        return page

    core, straw = run(core_schema, {"cases": page}), run(berry, None)
    if core() != answer["data"] or straw() != answer["data"]:
        raise AssertionError("the executors' page differs from the hub's answer")
    return {"graphql-core": _rate(core, seconds), "strawberry": _rate(straw, seconds)}
