"""The app's background task: it sends queued messages to a real local SMTP server (aiosmtpd), keeps going
through a database outage, tolerates a missing booking expiry, and stops cleanly with the app. Also the
``patchmap messages`` commands.
"""

# The fixtures imported from tests/layers/messages/mailroom.py are named again as test parameters, as pytest wants.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from api import background
from api.cli import app as cli
from api.main import create_app
from layers.db import make_engine
from layers.settings import BookingSettings, DatabaseSettings, Settings
from tests.layers.messages.mailroom import (  # noqa: F401 (fixtures)
    FROM,
    LogWatch,
    SmtpServer,
    free_port,
    log_watch,
    mail_db,
    mail_engine,
    outbox_db,
    queue,
    quiet_smtp_log,
    row,
    smtp,
)

QUICK = 0.05  # seconds between rounds, so a test does not wait long for the next one


def app_settings(mail_db: DatabaseSettings, smtp: SmtpServer) -> Settings:
    """Settings of an app on the module's database, sending to the test server, with quick rounds."""
    return Settings(
        database=mail_db,
        mail=smtp.mail(mail_interval_s=QUICK),
        booking=BookingSettings(booking_expiry_interval_s=QUICK),
    )


def test_the_app_sends_a_queued_message_in_the_background(
    outbox_db: Engine, mail_db: DatabaseSettings, smtp: SmtpServer, log_watch: LogWatch
) -> None:
    app = create_app(app_settings(mail_db, smtp))
    with TestClient(app):
        [mid] = queue(outbox_db, subject="Your request", body="We have your request.\n")
        [got] = smtp.inbox.wait_for(1)
        log_watch.wait_for(lambda m: m == f"message {mid} (booker) sent")
        task = app.state.background
        assert not task.done()

    assert got.message["Subject"] == "Your request" and got.message["From"] == FROM
    r = row(outbox_db, mid)
    assert (r.status, r.attempts, r.body) == ("sent", 1, None)
    assert task.done()  # stopped with the app
    assert not [
        rec for rec in log_watch.records if rec.name == "patchmap.background" and rec.levelname == "ERROR"
    ]


def test_the_background_task_survives_a_database_outage(
    outbox_db: Engine, mail_db: DatabaseSettings, smtp: SmtpServer, log_watch: LogWatch
) -> None:
    nowhere = DatabaseSettings(url=f"postgresql://nobody@127.0.0.1:{free_port()}/nothing")
    dead = make_engine(nowhere)
    app = create_app(app_settings(mail_db, smtp))
    try:
        with TestClient(app):
            real = app.state.engine
            app.state.engine = dead  # the job reads the engine each round: now every round meets no database
            log_watch.wait_for(lambda m: m.startswith("message sender: the database is not reachable"))
            [mid] = queue(outbox_db)  # queued meanwhile (on the real database)
            app.state.engine = real
            log_watch.wait_for(lambda m: m == f"message {mid} (booker) sent")
            log_watch.wait_for(lambda m: m == "message sender works again")
            assert not app.state.background.done()
    finally:
        dead.dispose()

    assert len(smtp.inbox.wait_for(1)) == 1 and row(outbox_db, mid).status == "sent"
    outage = [
        r for r in log_watch.records if r.getMessage().startswith("message sender: the database is not")
    ]
    assert len(outage) == 1  # said once, however many rounds it lasted


def test_a_missing_expiry_function_is_said_once_and_does_no_harm(
    outbox_db: Engine, log_watch: LogWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "EXPIRY_MODULE", "layers.booking.not_written_yet")
    expiry = background.Expiry(lambda: outbox_db)

    assert (expiry(), expiry()) == (0, 0)

    said = [r.getMessage() for r in log_watch.records if "do not expire" in r.getMessage()]
    assert said == [
        "booking requests do not expire in the background: layers.booking.not_written_yet.expire_due is missing"
    ]


def test_the_expiry_job_runs_expire_due_when_it_exists(outbox_db: Engine, log_watch: LogWatch) -> None:
    expiry = background.Expiry(lambda: outbox_db)
    assert expiry.find() is not None, "layers.booking.manage.expire_due has moved: update api/background.py"
    assert expiry() == 0  # ran in a transaction on a database with no bookings: nothing to expire
    assert not [r for r in log_watch.records if "do not expire" in r.getMessage()]


def test_the_sender_job_runs_only_with_an_smtp_host(mail_db: DatabaseSettings, smtp: SmtpServer) -> None:
    stop = threading.Event()
    with_host = app_settings(mail_db, smtp)
    without = Settings(database=mail_db)

    assert [j.name for j in background.jobs(with_host, lambda: make_engine(mail_db), stop)] == [
        "booking expiry",
        "freshness reminders",
        "message sender",
    ]
    assert [j.name for j in background.jobs(without, lambda: make_engine(mail_db), stop)] == [
        "booking expiry",
        "freshness reminders",
    ]


def test_a_job_keeps_going_after_an_unexpected_error(log_watch: LogWatch) -> None:
    rounds: list[int] = []

    def work() -> None:
        rounds.append(1)
        if len(rounds) <= 2:
            raise KeyError("resident.one@example.org")  # the message is never logged, only the type
        if len(rounds) == 4:  # the round after the first good one: "works again" has been logged
            done.set()

    done = threading.Event()

    async def run() -> None:
        task = asyncio.create_task(background.repeat(background.Job("test job", 0.001, work)))
        await asyncio.to_thread(done.wait, 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert done.is_set()
    said = [r.getMessage() for r in log_watch.records if r.getMessage().startswith("test job")]
    assert said == ["test job failed (KeyError); trying again every 0.001 s", "test job works again"]


# ---------------------------------------------------------------- patchmap messages


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, mail_db: DatabaseSettings, smtp: SmtpServer) -> None:
    """The command line's settings (read from the environment): the module's database and the test server."""
    monkeypatch.setenv("DATABASE_URL", mail_db.url)
    monkeypatch.setenv("PATCHMAP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PATCHMAP_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("PATCHMAP_MAIL_FROM", FROM)


def test_messages_send_list_and_requeue_at_the_command_line(
    outbox_db: Engine, smtp: SmtpServer, cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = queue(outbox_db, 2, subject="Booking request")

    sent = CliRunner().invoke(cli, ["messages", "send"])
    assert sent.exit_code == 0, sent.output
    assert "2 sent, 0 to try again later, 0 failed." in sent.output
    assert len(smtp.inbox.wait_for(2)) == 2

    [third] = queue(outbox_db, subject="Booking declined")
    smtp.inbox.refuse = "550 5.1.1 No such mailbox"
    monkeypatch.setenv("PATCHMAP_MAIL_MAX_ATTEMPTS", "1")
    refused = CliRunner().invoke(cli, ["messages", "send"])
    assert refused.exit_code == 1 and "0 sent, 0 to try again later, 1 failed." in refused.output

    listed = CliRunner().invoke(cli, ["messages", "list"])
    assert listed.exit_code == 0, listed.output
    assert "0 queued, 0 sending, 2 sent, 1 failed" in listed.output
    assert f"{third}\tfailed\t1\t" in listed.output and "Booking declined" in listed.output
    assert "example.org" not in listed.output and "Hello." not in listed.output  # no address, no body

    smtp.inbox.refuse = None
    requeued = CliRunner().invoke(cli, ["messages", "requeue", str(third)])
    assert requeued.exit_code == 0, requeued.output
    assert CliRunner().invoke(cli, ["messages", "send"]).exit_code == 0
    assert [a.message["Subject"] for a in smtp.inbox.wait_for(3)][-1] == "Booking declined"

    again = CliRunner().invoke(cli, ["messages", "requeue", str(first)])
    assert again.exit_code == 1 and f"Message {first} is sent, so it cannot be sent again." in again.output
    assert row(outbox_db, second).status == "sent"


def test_messages_send_without_an_smtp_host_says_so(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATCHMAP_SMTP_HOST")
    result = CliRunner().invoke(cli, ["messages", "send"])
    assert result.exit_code == 1 and "No SMTP server is set" in result.output


def test_messages_list_refuses_an_unknown_status(cli_env: None) -> None:
    result = CliRunner().invoke(cli, ["messages", "list", "--status", "sent"])
    assert result.exit_code == 1 and "There is no status 'sent' to list." in result.output
