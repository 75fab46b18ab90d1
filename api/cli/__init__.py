"""The ``patchmap`` command line (Typer): db, import, demo, analyse, serve, users, moderation.

One module per command group; ``common`` holds what they share. ``console`` and ``make_engine`` are
looked up here each time a command runs, so a test can point every command at its own console or
database connection by patching ``api.cli``.
"""

from __future__ import annotations

import typer
from rich.console import Console

from api.cli import analyse, db, demo, imports, moderation, serve, users
from layers.db import make_engine

__all__ = ["app", "console", "make_engine"]

console = Console(stderr=True)

app = typer.Typer(help="Patchmap: community asset mapping for UK councils.", no_args_is_help=True)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(imports.app, name="import")
app.add_typer(analyse.app, name="analyse")
app.add_typer(users.app, name="users")
app.add_typer(moderation.app, name="moderation")
