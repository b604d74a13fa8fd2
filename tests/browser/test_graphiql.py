"""GraphiQL at /graphql works on a closed network: the editor loads from the hub's own files,
offers the demo's tokens and runs a query."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.app import create_app
from hub.config import Settings
from tests.support.browser import OpenPage
from tests.support.server import serve_in_thread

QUERY = '{ me { role } jurisdiction(code: "110102") { name } }'
RESULT = ".graphiql-response .CodeMirror"


@pytest.fixture(scope="module")
def demo_hub(settings: Settings) -> Iterator[str]:
    """A hub whose GraphiQL offers the sample tokens, as `hub demo` serves it."""
    app = create_app(settings.model_copy(update={"graphiql_demo_tokens": True}))
    with serve_in_thread(app, startup_timeout=60) as url:
        yield url


async def test_graphiql_runs_a_query_as_a_demo_identity_without_the_internet(
    demo_hub: str, open_page: OpenPage
) -> None:
    view = await open_page(demo_hub)
    page = view.page
    # given the IDE, loaded from the hub alone
    await page.goto(f"{demo_hub}/graphql")
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    await editor.wait_for(timeout=30_000)
    # when the city platform's sample token is chosen and a query is run
    await page.select_option("[data-testid=sign-in]", label="city platform (CITY_PLATFORM)")
    await editor.wait_for()
    headers = await page.evaluate(
        "() => [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]"
        ".map((editor) => editor.CodeMirror.getValue()).join()"
    )
    await page.evaluate(
        "(query) => document.querySelector('.graphiql-query-editor .CodeMirror')"
        ".CodeMirror.setValue(query)",
        QUERY,
    )
    await page.click(".graphiql-execute-button")
    # then the answer is the city platform's, and nothing left the machine
    result = page.locator(RESULT)
    await result.filter(has_text="西城区").wait_for(timeout=30_000)
    text = await result.inner_text()
    await view.screenshot("graphiql")
    assert "Bearer ey" in headers
    assert "CITY_PLATFORM" in text
    assert view.offsite == []
    assert view.errors == []
