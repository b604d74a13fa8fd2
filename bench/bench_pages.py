"""Pages of cases at city scale: `cases(first: 20)` unfiltered and by each filter, p50/p99.

Run on a database filled with ``hub bench-data --cases N`` (its URL in ``HUB_DATABASE_URL``):

    .venv/bin/python -m bench.bench_pages [--repeat 50]

Each query goes through the real app (the HTTP request in process, ASGI), as the city
platform; the baseline in the same run is the cheapest GraphQL request (``{ __typename }``),
so the ratio says what a page costs beyond the GraphQL machinery itself. A list view's page
(20 and 50 cases with category, places, dispatches and the latest events) is measured too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx

from hub.app import create_app
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import get_settings

FILTERS: dict[str, str] = {
    "unfiltered": "{}",
    "district": '{jurisdictionCode: "110105"}',
    "street office": '{jurisdictionCode: "110105001"}',
    "status": "{status: DISPATCHED}",
    "open (statuses)": "{statuses: [RECEIVED, DISPATCHED, RESPONDED]}",
    "category": '{categoryCode: "NOISE"}',
    "source": "{source: GRID_PATROL}",
    "department": '{departmentCode: "110105.URBAN_MANAGEMENT"}',
    "overdue": "{overdue: true}",
    "text": '{text: "噪声扰民"}',
}
PAGE = "{ cases(first: 20, filter: FILTER) { edges { node { number } } } }"
LIST_VIEW = """query($first: Int!) { cases(first: $first, filter: {jurisdictionCode: "110105"}) {
  pageInfo { hasNextPage endCursor } edges { node {
    number title status reportedAt respondBy address
    category { code name } subdistrict { code name } district { code name }
    dispatches { status department { code name } } events(last: 3) { type at } } } } }"""


async def _timed(
    client: httpx.AsyncClient, body: dict[str, Any], token: str, repeat: int
) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.post("/graphql", json=body, headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text
    return times


def _line(name: str, times: list[float], base: float) -> str:
    p50 = statistics.median(times) * 1000
    p99 = sorted(times)[max(0, int(len(times) * 0.99) - 1)] * 1000
    return f"| {name} | {p50:.1f} | {p99:.1f} | {base / statistics.median(times):.2f} |"


async def main(repeat: int) -> None:
    settings = get_settings().model_copy(
        update={"rate_limit_per_minute": 0, "sweep_interval_seconds": 0}
    )
    app = create_app(settings)
    token = mint(settings, role=Role.CITY_PLATFORM, jurisdiction="110000")
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://hub", timeout=60) as client,
    ):
        baseline = await _timed(client, {"query": "{ __typename }"}, token, repeat)
        base = statistics.median(baseline)
        print("| query | p50 ms | p99 ms | ratio to `{ __typename }` |")
        print("|---|---|---|---|")
        print(_line("`{ __typename }` (baseline)", baseline, base))
        for name, case_filter in FILTERS.items():
            query = PAGE.replace("FILTER", case_filter)
            times = await _timed(client, {"query": query}, token, repeat)
            print(_line(f"cases(first: 20) {name}", times, base))
        for first in (20, 50):
            body = {"query": LIST_VIEW, "variables": {"first": first}}
            times = await _timed(client, body, token, repeat)
            print(_line(f"list view, {first} cases", times, base))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    asyncio.run(main(parser.parse_args().repeat))
