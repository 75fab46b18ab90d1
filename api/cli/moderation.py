"""``patchmap moderation``: housekeeping of residents' offers."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import Connection

from api.cli.common import audit, in_transaction, option, terminal
from layers.settings import Settings

app: typer.Typer = typer.Typer(help="Moderation of residents' offers.", no_args_is_help=True)


@app.command("erase-expired")
def moderation_erase_expired_cmd(
    days: Annotated[
        int | None,
        option(
            "DAYS",
            "Keep personal details this many days after the decision (default: PATCHMAP_RETENTION_DAYS, or 365).",
        ),
    ] = None,
) -> None:
    """Erase the contact and personal details of rejected or withdrawn submissions past retention."""
    from layers.offers import moderation

    settings = Settings()
    retention = days or settings.access.retention_days

    def step(conn: Connection) -> int:
        count = moderation.erase_expired(conn, retention_days=retention)
        if count:
            audit(conn, "submissions-erase", object_type="submission",
                  detail={"count": count, "retention_days": retention})  # fmt: skip
        return count

    count = in_transaction(settings, step)
    terminal().print(f"{count} submissions erased (kept {retention} days).", highlight=False)
