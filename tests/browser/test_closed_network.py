"""The browser fixture itself: a page reaches the hub under test and nothing else."""

from __future__ import annotations

from tests.conftest import HubServer
from tests.support.browser import OpenPage

OFFSITE_FETCH = """async (url) => {
    try { await fetch(url, {mode: "no-cors"}); return "reached"; }
    catch (error) { return "refused"; }
}"""

SOCKET_OUTCOME = """(url) => new Promise((resolve) => {
    const socket = new WebSocket(url, "graphql-transport-ws");
    socket.onopen = () => socket.send(JSON.stringify({type: "connection_init"}));
    socket.onmessage = (message) => {
        window.hubSocket = socket;
        resolve(JSON.parse(message.data).type);
    };
    socket.onclose = () => resolve("closed");
})"""


async def test_a_page_reaches_the_hub_and_nothing_else(
    hub_server: HubServer, open_page: OpenPage
) -> None:
    view = await open_page(hub_server.url)
    response = await view.page.goto(f"{hub_server.url}/healthz")
    assert response is not None
    assert response.status == 200
    assert '"ok"' in await view.page.inner_text("body")

    assert await view.page.evaluate(OFFSITE_FETCH, "https://unpkg.com/graphiql") == "refused"
    assert await view.page.evaluate(SOCKET_OUTCOME, "wss://tiles.example.org/live") == "closed"
    assert await view.page.evaluate(OFFSITE_FETCH, "/readyz") == "reached"

    assert view.offsite == ["https://unpkg.com/graphiql", "wss://tiles.example.org/live"]
    assert view.errors == []
    await view.screenshot("healthz")


async def test_the_hub_socket_can_be_dropped_and_restored(
    hub_server: HubServer, open_page: OpenPage
) -> None:
    view = await open_page(hub_server.url)
    await view.page.goto(f"{hub_server.url}/healthz")
    socket_url = hub_server.url.replace("http", "ws", 1) + "/graphql"
    assert await view.page.evaluate(SOCKET_OUTCOME, socket_url) == "connection_ack"

    await view.page.evaluate(
        "() => { window.hubClosed = new Promise((resolve) => {"
        " window.hubSocket.onclose = (event) => resolve(event.code); }); }"
    )
    await view.drop_sockets()
    assert await view.page.evaluate("() => window.hubClosed") == 1012
    assert await view.page.evaluate(SOCKET_OUTCOME, socket_url) == "closed"

    view.restore_sockets()
    assert await view.page.evaluate(SOCKET_OUTCOME, socket_url) == "connection_ack"
    assert view.offsite == []
