"""The whistle board (/board): the page's built files, served as they are.

The page is built from ``web/board`` (``make board``: npm packages bundled by esbuild) into
``hub/board/static``, which is not committed. Without a build, ``/board`` says how to make one.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["STATIC", "board_routes"]

STATIC = Path(__file__).parent / "static"


class BoardFiles(StaticFiles):
    """The built files; the page itself is always revalidated, so a new build shows at once."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


async def _to_board(_: Request) -> Response:
    return RedirectResponse("/board/", status_code=308)


async def _not_built(_: Request) -> Response:
    return PlainTextResponse("The board is not built: run `make board`.", status_code=404)


def board_routes(directory: Path = STATIC) -> list[BaseRoute]:
    if not (directory / "index.html").is_file():
        return [Route("/board", _not_built), Route("/board/{path:path}", _not_built)]
    return [
        Route("/board", _to_board),
        Mount("/board", BoardFiles(directory=directory, html=True), name="board"),
    ]
