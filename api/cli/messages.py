"""``patchmap messages``: the outbox at the command line: what is held, send now, send one again."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy import Connection

from api.cli.common import audit, database, fail, in_transaction, option, terminal
from layers.settings import Settings

app: typer.Typer = typer.Typer(help="Messages (email): list the outbox, send, requeue.", no_args_is_help=True)

#: Most rounds one ``send`` runs (each claims up to a batch); a round that claims nothing ends it sooner.
MOST_ROUNDS = 100


@app.command("list")
def messages_list_cmd(
    status: Annotated[
        str | None, option("STATUS", "Only messages in this status: queued, sending or failed.")
    ] = None,
    district: Annotated[
        list[str] | None, option("CODE", "Only this district's messages, by its code (repeat for more).")
    ] = None,
    limit: Annotated[int, option("N", "Show at most this many (newest first).")] = 50,
) -> None:
    """List messages not sent (no addresses or bodies): id, status, attempts, role, subject, last error."""
    from layers.messages import outbox

    if status is not None and status not in ("queued", "sending", "failed"):
        fail(f"There is no status {status!r} to list.\nGive queued, sending or failed.")
    scope = set(district) if district else None

    def step(conn: Connection) -> tuple[dict[str, int], list[dict[str, Any]]]:
        return outbox.counts(conn, scope), outbox.held(conn, scope, limit, status=status)

    counts, rows = in_transaction(Settings(), step)
    terminal().print(", ".join(f"{n} {s}" for s, n in counts.items()), highlight=False)
    for r in rows:
        made = r["created_at"].strftime("%Y-%m-%d %H:%M")
        print(
            f"{r['id']}\t{r['status']}\t{r['attempts']}\t{made}\t{r['role']}\t{r['subject']}\t{r['last_error'] or '-'}"
        )


@app.command("send")
def messages_send_cmd() -> None:
    """Send the messages due now over SMTP (PATCHMAP_SMTP_HOST and friends), as the app does in the background."""
    from layers.messages.sender import SendReport, send_due

    settings = Settings()
    if not settings.mail.smtp_host:
        fail(
            "No SMTP server is set, so nothing can be sent.\nSet PATCHMAP_SMTP_HOST (and _PORT, _TLS, _USER)."
        )
    total = SendReport()
    with database(settings) as engine:
        for _ in range(MOST_ROUNDS):
            report = send_due(engine, settings.mail)
            total.add(report)
            if not report.claimed:
                break
    terminal().print(
        f"{total.sent} sent, {total.retrying} to try again later, {total.failed} failed.", highlight=False
    )
    if total.retrying or total.failed:
        raise typer.Exit(1)


@app.command("requeue")
def messages_requeue_cmd(
    message_id: Annotated[int, typer.Argument(metavar="ID", help="The message's id (from `messages list`).")],
) -> None:
    """Send a failed message, or one left 'sending', again: check first that it did not arrive."""
    from layers.messages import outbox

    def step(conn: Connection) -> None:
        outbox.requeue(conn, message_id)
        audit(conn, "message-requeue", object_type="message", object_id=message_id)

    in_transaction(Settings(), step)
    terminal().print(f"Message {message_id} is queued again; it goes with the next round.", highlight=False)
