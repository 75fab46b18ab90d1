"""The ``patchmap`` command line (Typer): db, import, demo, analyse, serve, users, moderation, messages, people.

One module per command group; ``common`` holds what they share (where commands print, the one error
helper, transactions). A test points every command at its own console or connection by patching
``api.cli.common.console`` or ``api.cli.common.make_engine``.
"""

from __future__ import annotations

import typer

from api.cli import analyse, db, demo, imports, mapped, messages, moderation, people, serve, setup, users

__all__ = ["app"]

app = typer.Typer(help="Patchmap: community asset mapping for UK councils.", no_args_is_help=True)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("setup")(setup.setup)
app.add_typer(db.app, name="db")
app.add_typer(imports.app, name="import")
app.add_typer(analyse.app, name="analyse")
app.add_typer(mapped.app, name="mapped")
app.add_typer(users.app, name="users")
app.add_typer(moderation.app, name="moderation")
app.add_typer(messages.app, name="messages")
app.add_typer(people.app, name="people")
