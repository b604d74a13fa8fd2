"""Benchmark: the whistle board (/board) in Debian's chromium, with 1,000 whistles on it.

Run: .venv/bin/python -m bench.bench_board [--whistles N] [--rounds R]

A real `hub serve` process on a fresh SQLite file (Beijing and the seed stories loaded, no
synthetic month), the board built (`make board`), a Shijingshan district platform's token. Each
load is a fresh browser context (cold cache), the network off the hub refused.

- first paint (the browser's first-contentful-paint), the time until the first page of
  whistles is in the list (the page's ``board-first-rows`` mark) and until the lists are loaded
  (``board-ready``), and the bytes it downloads (navigation and resources,
  as the browser's resource timing reports them), with no whistles and with N (default 1,000);
  baseline in the same run: the first paint of a bare page of the hub (/healthz);
- event to list: R times (default 20), a whistle is blown over HTTP; the latency is from just
  before the request is sent to its row appearing in the board's list (a MutationObserver in the
  page notes it); baseline in the same run: the same event's arrival on a bare graphql-ws socket
  of the same token.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from bench.bench_demo import run_hub, sqlite_database
from bench.bench_subscriptions import SECRET, SETTINGS, hub_process
from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.board import STATIC

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
FLAGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHIJINGSHAN = "110107"
WATCH = """() => {
  window.seen = {};
  new MutationObserver((changes) => {
    const at = performance.timeOrigin + performance.now();
    for (const change of changes) for (const node of change.addedNodes) {
      const number = node.dataset?.whistleNumber;
      if (number && !(number in window.seen)) window.seen[number] = at;
    }
  }).observe(document.querySelector(".whistle-list"), { childList: true });
}"""
LOAD_FIGURES = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const ready = performance.getEntriesByName("board-ready")[0];
  const first = performance.getEntriesByName("board-first-rows")[0];
  const entries = [...performance.getEntriesByType("navigation"),
                   ...performance.getEntriesByType("resource")];
  return { paint: paint ? paint.startTime : null, ready: ready ? ready.startTime : null,
           first: first ? first.startTime : null,
           bytes: entries.reduce((sum, e) => sum + e.transferSize, 0),
           rows: document.querySelectorAll(".whistle-list [data-whistle-number]").length };
}"""
REPORT = "mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { number } } }"
BLOW = """mutation($input: BlowWhistleInput!) { blowWhistle(input: $input) {
  whistle { number } errors { code message } } }"""
STREETS = """query($code: String!) { jurisdiction(code: $code) { children { code } } }"""
LOCATE = "query($p: GeoPointInput!) { locate(point: $p) { subdistrict { code } } }"
EVENTS = "subscription { whistleEvents { id type whistle { number } } }"


@dataclass
class Load:
    paint_ms: float
    first_rows_ms: float
    ready_ms: float
    kib: float
    rows: int


async def graphql(client: httpx.AsyncClient, query: str, token: str, **variables: Any) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def open_board(browser: Browser, url: str, token: str) -> tuple[Page, Load]:
    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    host = url.split("//", 1)[1]
    await context.route(
        "**/*",
        lambda route: route.continue_() if host in route.request.url else route.abort(),
    )
    await context.add_init_script(f"sessionStorage.setItem('hub.token', {json.dumps(token)})")
    page = await context.new_page()
    await page.goto(f"{url}/board")
    await page.wait_for_selector("body[data-ready=true]", state="attached", timeout=120_000)
    figures = await page.evaluate(LOAD_FIGURES)
    load = Load(
        figures["paint"],
        figures["first"],
        figures["ready"],
        figures["bytes"] / 1024,
        figures["rows"],
    )
    return page, load


async def bare_paint(browser: Browser, url: str) -> float:
    page = await browser.new_page()
    await page.goto(f"{url}/healthz")
    await page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length")
    paint: float = await page.evaluate(
        "performance.getEntriesByName('first-contentful-paint')[0].startTime"
    )
    await page.close()
    return paint


async def callers(client: httpx.AsyncClient, token: str) -> list[tuple[str, str]]:
    """(street office, a case of it) for each of Shijingshan's street offices with a case."""
    found: list[tuple[str, str]] = []
    streets = {s["code"] for s in (await graphql(client, STREETS, token, code=SHIJINGSHAN))[
        "jurisdiction"]["children"]}  # fmt: skip
    for step in range(40):
        point = {"lat": 39.88 + 0.004 * (step % 10), "lng": 116.15 + 0.01 * (step // 10)}
        located = (await graphql(client, LOCATE, token, p=point))["locate"]["subdistrict"]
        if located is None or located["code"] not in streets - {code for code, _ in found}:
            continue
        street = mint(SETTINGS, role=Role.STREET_OFFICE, jurisdiction=located["code"])
        case = await graphql(
            client, REPORT, street,
            input={"description": "占道经营", "categoryCode": "STREET_VENDOR",
                   "source": "GRID_PATROL", "location": point},
        )  # fmt: skip
        found.append((located["code"], case["reportCase"]["case"]["number"]))
    return found


async def blow(client: httpx.AsyncClient, caller: str, case: str, reason: str) -> str:
    token = mint(SETTINGS, role=Role.STREET_OFFICE, jurisdiction=caller)
    data = await graphql(
        client, BLOW, token,
        input={"callerCode": caller, "kind": "DAILY_ENFORCEMENT", "caseNumbers": [case],
               "departmentCodes": [f"{caller}.URBAN_MANAGEMENT"], "reason": reason},
    )  # fmt: skip
    assert data["blowWhistle"]["errors"] == [], data
    return str(data["blowWhistle"]["whistle"]["number"])


async def seed(url: str, token: str, whistles: int) -> list[tuple[str, str]]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        places = await callers(client, token)
        gate = asyncio.Semaphore(2)  # one SQLite writer: more only queue

        async def one(index: int) -> None:
            caller, case = places[index % len(places)]
            async with gate:
                await blow(client, caller, case, f"占道经营整治 {index}")

        await asyncio.gather(*(one(index) for index in range(whistles)))
    return places


class Arrivals:
    """When each whistle's first event reached the bare socket (epoch ms)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.changed = asyncio.Event()

    def note(self, number: str) -> None:
        self.at.setdefault(number, time.time() * 1000)
        self.changed.set()

    async def of(self, number: str) -> float:
        while number not in self.at:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 60)
        return self.at[number]


async def bare_socket(url: str, token: str, arrivals: Arrivals) -> None:
    async with websockets.connect(
        url.replace("http", "ws", 1) + "/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    ) as socket:
        init = {"authorization": f"Bearer {token}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": init}))
        await socket.recv()
        payload = {"query": EVENTS}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        async for raw in socket:
            message = json.loads(raw)
            if message["type"] == "ping":
                await socket.send('{"type":"pong"}')
            elif message["type"] == "next":
                number = message["payload"]["data"]["whistleEvents"]["whistle"]["number"]
                arrivals.note(number)


async def event_to_list(
    page: Page, url: str, token: str, places: list[tuple[str, str]], rounds: int
) -> tuple[list[float], list[float]]:
    await page.evaluate(WATCH)
    arrivals = Arrivals()
    listener = asyncio.create_task(bare_socket(url, token, arrivals))
    board, bare = [], []
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        await blow(client, *places[0], "预热")  # the bare socket is subscribed once this arrives
        for index in range(rounds):
            sent = time.time() * 1000
            number = await blow(client, *places[index % len(places)], f"延迟测量 {index}")
            try:
                handle = await page.wait_for_function(
                    "(n) => window.seen[n]", arg=number, polling=50, timeout=20_000
                )
            except PlaywrightTimeout:
                state = await page.get_attribute("[data-live-state]", "data-live-state")
                print(f"round {index}: {number} not in the list after 20 s (socket {state})")
                continue
            board.append(await handle.json_value() - sent)
            bare.append(await arrivals.of(number) - sent)
    listener.cancel()
    return board, bare


def line(name: str, values: list[float], unit: str = "ms") -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name}: median {statistics.median(values):.0f} {unit}, p95 {p95:.0f}, "
        f"max {ordered[-1]:.0f} ({len(values)} samples)"
    )


def report_loads(baseline: list[float], empty: list[Load], full: list[Load], whistles: int) -> None:
    base = statistics.median(baseline)
    for name, loads in (("no whistles", empty), (f"{whistles} whistles", full)):
        paint = statistics.median(load.paint_ms for load in loads)
        first = statistics.median(load.first_rows_ms for load in loads)
        ready = statistics.median(load.ready_ms for load in loads)
        print(
            f"board, {name} ({loads[0].rows} rows): first paint {paint:.0f} ms "
            f"({paint / base:.1f}× a bare hub page's {base:.0f} ms), first rows {first:.0f} ms, "
            f"lists loaded {ready:.0f} ms, downloaded {loads[0].kib:.0f} KiB"
        )


async def measure(url: str, whistles: int, rounds: int) -> None:
    token = mint(SETTINGS, role=Role.DISTRICT_PLATFORM, jurisdiction=SHIJINGSHAN)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        baseline = [await bare_paint(browser, url) for _ in range(3)]
        empty = []
        for _ in range(3):
            page, load = await open_board(browser, url, token)
            empty.append(load)
            await page.context.close()
        started = time.perf_counter()
        places = await seed(url, token, whistles)
        print(f"seeded {whistles} whistles in {time.perf_counter() - started:.0f} s")
        full = [(await open_board(browser, url, token)) for _ in range(3)]
        report_loads(baseline, empty, [f[1] for f in full], whistles)
        for other, _ in full[:-1]:
            await other.context.close()
        page = full[-1][0]
        board, bare = await event_to_list(page, url, token, places, rounds)
        await browser.close()
    print(line("event to list (board)", board))
    print(line("event to a bare graphql-ws socket (baseline)", bare))
    ratio = statistics.median(board) / statistics.median(bare)
    print(f"ratio board / bare socket (medians): {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--whistles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    assert (STATIC / "index.html").is_file(), "build the board first: make board"
    with sqlite_database() as url:
        run_hub(url, "demo", "--no-serve", "--cases-per-day", "0")
        with hub_process(url, HUB_JWT_SECRET=SECRET, HUB_REQUEST_TIMEOUT_SECONDS="60") as hub:
            asyncio.run(measure(hub.url, options.whistles, options.rounds))


if __name__ == "__main__":
    main()
