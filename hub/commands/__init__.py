"""The hub's own commands: serve, migrate, build the demo, mint tokens, back up and restore.

The ``hub`` command line puts these together with the adapters' commands in ``hub.app``.
Commands are registered here, in the order ``hub --help`` lists them; each module holds one
group: ``serving``, ``setup`` (migrations, init, demo, benchmark data), ``tokens``, ``upkeep``.
"""

from __future__ import annotations

import typer

from hub.commands import serving, setup, tokens, upkeep
from hub.open311.cli import open311_key_app

app = typer.Typer(help="Beijing's integration hub (吹哨报到 · 接诉即办).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(open311_key_app, name="open311-key")

app.command()(serving.serve)
db_app.command("upgrade")(setup.db_upgrade)
db_app.command("downgrade")(setup.db_downgrade)
app.command()(setup.demo)
app.command()(setup.init)
app.command("bench-data")(setup.bench_data)
app.command()(upkeep.sweep)
app.command()(tokens.token)

audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
audit_app.command("verify")(upkeep.audit_verify)

pii_app = typer.Typer(help="Reporter contacts' encryption key.", no_args_is_help=True)
app.add_typer(pii_app, name="pii")
pii_app.command("key")(upkeep.pii_key)
pii_app.command("rotate")(upkeep.pii_rotate)

app.command("backup")(upkeep.backup_command)
app.command("restore")(upkeep.restore_command)
