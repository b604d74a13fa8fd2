"""``python -m hub.cli``: the same command line as the ``hub`` script."""

from hub.app import cli

cli()
