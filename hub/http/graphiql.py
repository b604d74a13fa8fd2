"""GraphiQL from the hub's own files: the page at ``GET /graphql`` and its bundle under
``/graphiql/``, built from the npm packages by ``make graphiql`` (``web/graphiql/``).

Strawberry's stock page loads React and GraphiQL from a public CDN, which a city network does
not reach. This page loads one script and one stylesheet from the hub itself, and its
``Content-Security-Policy`` lets it reach nothing but the hub. The demo offers its sample
tokens in the page (``HUB_GRAPHIQL_DEMO_TOKENS``, set by ``hub demo``).
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from hub.auth.samples import sample_tokens
from hub.config import Settings

ASSETS = Path(__file__).with_name("graphiql")
ASSETS_PATH = "/graphiql"
POLICY = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:;"
    " style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
)
DEFAULT_QUERY = """\
# The hub's graph. Reference data needs no token; cases and whistles do
# (choose a demo identity above, or put yours in the Headers tab).
{
  jurisdiction(code: "110102") {
    name
    children { code name }
  }
}
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The hub · GraphiQL</title>
<link rel="stylesheet" href="{assets}/graphiql.css">
</head>
<body>
<div id="graphiql">{fallback}</div>
<script id="hub-graphiql" type="application/json">{config}</script>
<script src="{assets}/graphiql.js"></script>
</body>
</html>
"""


def built() -> bool:
    return (ASSETS / "graphiql.js").is_file()


def graphiql_page(settings: Settings, endpoint: str = "/graphql") -> str:
    """The IDE's HTML, with the demo's tokens when the hub offers them."""
    tokens = sample_tokens(settings) if settings.graphiql_demo_tokens else []
    config = {
        "endpoint": endpoint,
        "defaultQuery": DEFAULT_QUERY,
        "tokens": [{"label": f"{label} ({role.value})", "token": t} for label, role, t in tokens],
    }
    fallback = (
        "Loading GraphiQL…"
        if built()
        else "GraphiQL's files are not built: run <code>make graphiql</code>."
    )
    text = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    return PAGE.format(assets=ASSETS_PATH, fallback=fallback, config=text)


def graphiql_assets() -> Mount:
    return Mount(ASSETS_PATH, StaticFiles(directory=ASSETS, check_dir=False), name="graphiql")
