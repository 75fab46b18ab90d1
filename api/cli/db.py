"""``patchmap db``: apply and revert migrations, show the revision and row counts."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import database, domain_errors, option, terminal
from layers import migrate
from layers.settings import Settings

app: typer.Typer = typer.Typer(help="Database: migrations and status.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, option("REVISION", "The migration to upgrade to; head is the newest.")] = "head",
) -> None:
    """Apply migrations (creates the PostGIS extension if it is missing)."""
    settings = Settings()
    with domain_errors():
        migrate.upgrade(settings.database, revision)
    terminal().print(f"database at revision {migrate.current(settings.database)}")


@app.command("downgrade")
def db_downgrade(
    revision: Annotated[
        str,
        typer.Argument(
            metavar="REVISION", help="The migration to go back to; base reverts them all (an empty database)."
        ),
    ] = "base",
) -> None:
    """Revert migrations down to REVISION (default: base, an empty database)."""
    settings = Settings()
    with domain_errors():
        migrate.downgrade(settings.database, revision)


@app.command("status")
def db_status() -> None:
    """Show the migration revision and row counts."""
    from layers.importers.demo import table_counts

    settings = Settings()
    terminal().print(f"revision: {migrate.current(settings.database)}")
    with database(settings) as engine, engine.connect() as conn:
        for table, n in table_counts(conn).items():
            terminal().print(f"  {table}: {n}")
