"""What the hub's commands share: the console they print to, the host and port options."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

# A path or a token is never broken across lines; piped into a file or another command, nothing
# (a table neither) is wrapped at 80 columns: a line per line.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 10_000)

Host = Annotated[str, typer.Option(envvar="HUB_HOST", help="Interface to bind.")]
Port = Annotated[int, typer.Option(envvar="HUB_PORT", help="Port to listen on.")]
