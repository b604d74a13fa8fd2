"""What the hub's commands share: the console they print to, the host and port options."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

console = Console(soft_wrap=True)  # a path or a token is never broken across lines

Host = Annotated[str, typer.Option(envvar="HUB_HOST", help="Interface to bind.")]
Port = Annotated[int, typer.Option(envvar="HUB_PORT", help="Port to listen on.")]
