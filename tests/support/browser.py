"""A real browser for page tests: Debian's chromium driven by Playwright, on a closed network.

``browser`` launches chromium once per test module (``/usr/bin/chromium``, never a downloaded
browser; ``make test`` installs the Debian package when it is missing). Playwright's ``launch``
gives every launch a fresh, temporary user-data directory of its own and removes it afterwards.

``open_page(hub_url)`` opens a page in a new browser context (its own cookies and storage) in
which every request goes only to the hub under test: any other HTTP(S) request and any other
WebSocket is refused and its URL recorded in ``HubPage.offsite``, so a test asserts that nothing
left the machine. The hub's own WebSockets pass through a proxy the test controls
(``drop_sockets`` / ``restore_sockets``), to cut a page's live connection and give it back.

    async def test_board(hub_server, open_page):
        view = await open_page(hub_server.url)
        await view.page.goto(f"{hub_server.url}/board")
        ...
        assert view.offsite == []

Screenshots go to ``var/screenshots/<test module>/`` (ignored by git): look at them.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Route,
    WebSocketRoute,
    async_playwright,
)

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "HubPage", "browser", "open_page"]

CHROMIUM = Path(os.environ.get("HUB_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# A laptop-sized window by default; tests of the command-centre screen ask for 1920×1080.
VIEWPORT = {"width": 1440, "height": 900}
EVERYTHING = re.compile(r".*")


def _origin(url: str) -> tuple[str, str]:
    """(host:port, scheme family) — http and ws of one host:port are the same origin here."""
    parts = urlsplit(url)
    family = "https" if parts.scheme in ("https", "wss") else "http"
    return parts.netloc, family


@dataclass
class HubPage:
    """A page that may reach only the hub at ``hub_url``."""

    page: Page
    context: BrowserContext
    hub_url: str
    screenshots: Path
    offsite: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sockets: list[WebSocketRoute] = field(default_factory=list)
    sockets_down: bool = False

    def is_hub(self, url: str) -> bool:
        return _origin(url) == _origin(self.hub_url)

    async def _request(self, route: Route) -> None:
        url = route.request.url
        if self.is_hub(url):
            await route.continue_()
        else:
            self.offsite.append(url)
            await route.abort("blockedbyclient")

    async def _socket(self, route: WebSocketRoute) -> None:
        if not self.is_hub(route.url):
            self.offsite.append(route.url)
            await route.close(code=1008, reason="offsite")
            return
        if self.sockets_down:
            await route.close(code=1012, reason="dropped by the test")
            return
        route.connect_to_server()
        self.sockets.append(route)

    async def drop_sockets(self) -> None:
        """Cut every open WebSocket to the hub and refuse new ones until ``restore_sockets``."""
        self.sockets_down = True
        dropped, self.sockets = self.sockets, []
        for route in dropped:
            await route.close(code=1012, reason="dropped by the test")

    def restore_sockets(self) -> None:
        self.sockets_down = False

    async def screenshot(self, name: str) -> Path:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=False)
        return path


def _chromium() -> str:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `apt-get install -y chromium`"
    return str(CHROMIUM)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium, launched once for the test module."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            await launched.close()


OpenPage = Callable[..., Awaitable[HubPage]]


@pytest.fixture
async def open_page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[OpenPage]:
    """Open pages confined to one hub; their contexts close when the test ends."""
    opened: list[HubPage] = []
    module = request.node.module.__name__.rsplit(".", 1)[-1]

    async def open_(hub_url: str, *, viewport: dict[str, int] | None = None) -> HubPage:
        context = await browser.new_context(
            viewport=viewport or VIEWPORT,  # type: ignore[arg-type]
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            service_workers="block",
        )
        page = await context.new_page()
        view = HubPage(page, context, hub_url.rstrip("/"), SCREENSHOTS / module)
        await context.route(EVERYTHING, view._request)
        await context.route_web_socket(EVERYTHING, view._socket)
        page.on("pageerror", lambda error: view.errors.append(str(error)))
        opened.append(view)
        return view

    yield open_
    for view in opened:
        await view.context.close()
