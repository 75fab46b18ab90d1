"""``patchmap people``: the organisers' freshness reminders, as the app sends them in the background."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy import Connection

from api.cli.common import in_transaction, terminal
from layers.settings import Settings

app: typer.Typer = typer.Typer(help="Organisers: freshness reminders.", no_args_is_help=True)


@app.command("remind")
def people_remind_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be sent and flagged; send and change nothing.")
    ] = False,
) -> None:
    """Email "is this still right?" to organisers of listings about to turn stale; a second reminder after a
    gap; flag for the co-ordinator after another. Running it twice the same day sends nothing twice."""
    from layers.records.freshness import Reminded, remind

    settings = Settings()
    with Progress(TextColumn("Checking listings"), BarColumn(), MofNCompleteColumn(), console=terminal(),
                  transient=True) as bar:  # fmt: skip
        task = bar.add_task("listings", total=None)

        def step(conn: Connection) -> Reminded:
            return remind(conn, access=settings.access, people=settings.people,
                          public_url=settings.booking.public_url, dry_run=dry_run,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))  # fmt: skip

        report = in_transaction(settings, step)
    prefix = "Dry run (nothing sent or changed): " if dry_run else ""
    terminal().print(prefix + report.words(), highlight=False)
    if not settings.mail.smtp_host and not dry_run and (report.first or report.second):
        terminal().print("No SMTP host is set: the messages wait in the outbox (patchmap messages list).")
