"""``patchmap db``: apply and revert migrations, show the revision and row counts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from api.cli.common import database, domain_errors, fail, option, output, terminal
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
            metavar="REVISION",
            help="The migration to go back to (see `patchmap db status`); base reverts them all, deleting every table.",
        ),
    ],
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask: the data of reverted migrations is deleted.")
    ] = False,
) -> None:
    """Revert migrations down to REVISION, deleting the tables and data they added. Asks first, unless --yes."""
    settings = Settings()
    with domain_errors():
        now = migrate.current(settings.database)
    if now is None:
        fail("The database has no migrations applied: there is nothing to revert.", label="Nothing to do:")
    what = (
        "every table and all the data in them"
        if revision == "base"
        else f"what migrations after {revision} added, with its data"
    )
    if not yes:
        if not sys.stdin.isatty():
            fail(f"This would delete {what}.\nPass --yes to go ahead without being asked.", label="Not done:")
        if not typer.confirm(
            f"Revert the database from {now} to {revision}, deleting {what}?", default=False, err=True
        ):
            fail("Nothing was changed.", label="Not done:")
    with domain_errors():
        migrate.downgrade(settings.database, revision)
    terminal().print(
        f"database at revision {migrate.current(settings.database) or 'none (empty)'}", highlight=False
    )


@app.command("status")
def db_status() -> None:
    """Show the migration revision and row counts (on stdout)."""
    from layers.importers.demo import table_counts

    settings = Settings()
    with domain_errors():
        revision = migrate.current(settings.database)
    if revision is None:
        output().print("revision: none: the database is empty. Run `patchmap db upgrade`.", highlight=False)
        return
    output().print(f"revision: {revision}", highlight=False)
    with database(settings) as engine, engine.connect() as conn:
        for table, n in table_counts(conn).items():
            output().print(f"  {table}: {n}", highlight=False)
