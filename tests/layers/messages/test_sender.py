"""The sender against a real local SMTP server (aiosmtpd) and a real database: what arrives, once; the
body erased after; retries with back-off; failed after the last attempt; never twice, even with two
senders at once or after a crash mid-send.
"""

from __future__ import annotations

import threading
from email.utils import parseaddr

import psycopg
from sqlalchemy import Engine, text

from layers.messages import sender
from layers.messages.outbox import enqueue
from layers.messages.sender import message_id, send_due
from layers.settings import DatabaseSettings, MailSettings
from tests.layers.messages.mailroom import FROM, LogWatch, SmtpServer, make_due, queue, row

TO = "resident.one@example.org"


def test_a_queued_message_arrives_once_with_its_headers_and_its_body_is_erased(
    outbox_db: Engine, smtp: SmtpServer
) -> None:
    [mid] = queue(outbox_db, subject="Booking BK-7K3Q9XF2 confirmed", body="See you on Friday.\nLink: x\n")

    report = send_due(outbox_db, smtp.mail())

    assert (report.claimed, report.sent, report.retrying, report.failed) == (1, 1, 0, 0)
    [got] = smtp.inbox.wait_for(1)
    assert got.mail_from == parseaddr(FROM)[1] and got.rcpt_tos == [TO]
    assert got.message["From"] == FROM and got.message["To"] == TO
    assert got.message["Subject"] == "Booking BK-7K3Q9XF2 confirmed"
    assert (
        got.message.get_content().replace("\r\n", "\n") == "See you on Friday.\nLink: x\n"
    )  # SMTP sends CRLF
    r = row(outbox_db, mid)
    assert got.message["Message-ID"] == message_id(mid, r.dedupe_key, FROM)
    assert (
        got.message["Message-ID"].endswith("@patchmap.example.org>")
        and f"<{mid}." in got.message["Message-ID"]
    )
    assert got.message["Auto-Submitted"] == "auto-generated"
    assert (r.status, r.attempts, r.body, r.last_error) == ("sent", 1, None, None) and r.sent_at is not None

    # a second round finds nothing to send: it arrived once
    assert send_due(outbox_db, smtp.mail()).claimed == 0
    assert len(smtp.inbox.arrived) == 1


def test_the_same_key_queued_twice_is_one_message(outbox_db: Engine, smtp: SmtpServer) -> None:
    for subject in ("First", "Second"):
        with outbox_db.begin() as conn:
            enqueue(
                conn, key="booking:BK-TWICE:confirmed:booker", to=TO, role="booker", subject=subject, body="b"
            )

    assert send_due(outbox_db, smtp.mail()).sent == 1
    assert [a.message["Subject"] for a in smtp.inbox.wait_for(1)] == ["First"]


def test_a_refused_message_waits_its_back_off_then_arrives_exactly_once(
    outbox_db: Engine, smtp: SmtpServer, log_watch: LogWatch
) -> None:
    [mid] = queue(outbox_db, role="manager")
    smtp.inbox.refuse = f"550 5.7.1 Not now, <{TO}>"

    report = send_due(outbox_db, smtp.mail())

    assert (report.sent, report.retrying) == (0, 1) and smtp.inbox.arrived == []
    r = row(outbox_db, mid)
    assert (r.status, r.attempts) == ("queued", 1)
    assert 0 < r.due_in_s <= sender.BACKOFF_FIRST_S  # the first back-off, from the moment it failed
    assert "550" in r.last_error and TO not in r.last_error and "<address>" in r.last_error
    assert r.body == "Hello.\n"
    # the log names the message and the role, never the address
    line = log_watch.wait_for(lambda m: f"message {mid} (manager) not sent" in m)
    assert TO not in line and "attempt 1 of 8" in line
    assert not any(TO in rec.getMessage() for rec in log_watch.records)

    # not due yet: the next round leaves it alone
    assert send_due(outbox_db, smtp.mail()).claimed == 0

    # the server takes messages again and the back-off has passed
    smtp.inbox.refuse = None
    make_due(outbox_db, mid)
    assert send_due(outbox_db, smtp.mail()).sent == 1
    [got] = smtp.inbox.wait_for(1)
    r = row(outbox_db, mid)
    assert (r.status, r.attempts, r.body, r.last_error) == ("sent", 2, None, None)
    assert got.message["Message-ID"] == message_id(mid, r.dedupe_key, FROM)  # the same on every attempt


def test_a_stopped_server_keeps_the_messages_queued_until_it_is_back(
    outbox_db: Engine, smtp: SmtpServer
) -> None:
    ids = queue(outbox_db, 3)
    smtp.stop()

    report = send_due(outbox_db, smtp.mail())

    assert (report.claimed, report.retrying) == (3, 3)
    for mid in ids:
        r = row(outbox_db, mid)
        assert (r.status, r.attempts) == ("queued", 1) and r.due_in_s > 0
        assert r.last_error.startswith("could not reach the SMTP server")

    smtp.start()
    make_due(outbox_db, *ids)
    assert send_due(outbox_db, smtp.mail()).sent == 3
    arrived = smtp.inbox.wait_for(3)
    assert len(arrived) == 3 and len({a.message["Message-ID"] for a in arrived}) == 3
    assert send_due(outbox_db, smtp.mail()).claimed == 0 and len(smtp.inbox.arrived) == 3


def test_the_back_off_doubles_and_the_last_attempt_marks_the_message_failed(
    outbox_db: Engine, smtp: SmtpServer
) -> None:
    [mid] = queue(outbox_db)
    smtp.inbox.refuse = "451 4.3.0 Try again later"
    mail = smtp.mail(mail_max_attempts=3)

    send_due(outbox_db, mail)
    assert (row(outbox_db, mid).status, row(outbox_db, mid).attempts) == ("queued", 1)
    make_due(outbox_db, mid)
    send_due(outbox_db, mail)
    second = row(outbox_db, mid)
    assert (second.status, second.attempts) == ("queued", 2)
    assert sender.BACKOFF_FIRST_S < second.due_in_s <= 2 * sender.BACKOFF_FIRST_S
    make_due(outbox_db, mid)
    report = send_due(outbox_db, mail)

    assert report.failed == 1
    r = row(outbox_db, mid)
    assert (r.status, r.attempts) == ("failed", 3) and "451" in r.last_error
    make_due(outbox_db, mid)
    assert send_due(outbox_db, mail).claimed == 0  # failed is final: never claimed again
    assert smtp.inbox.arrived == []


def test_one_bad_message_does_not_hold_up_the_others(outbox_db: Engine, smtp: SmtpServer) -> None:
    [bad] = queue(outbox_db, subject="Hello\nBcc: someone.else@example.org")
    [good] = queue(outbox_db, subject="Fine")

    report = send_due(outbox_db, smtp.mail())

    assert (report.sent, report.retrying) == (1, 1)
    assert [a.message["Subject"] for a in smtp.inbox.wait_for(1)] == ["Fine"]
    assert row(outbox_db, good).status == "sent"
    r = row(outbox_db, bad)
    assert (
        r.status == "queued" and r.last_error == "the message could not be written as an email (ValueError)"
    )


def test_two_senders_at_once_deliver_each_of_50_messages_exactly_once(
    outbox_db: Engine, smtp: SmtpServer
) -> None:
    ids = queue(outbox_db, 50)
    start = threading.Barrier(2)
    reports: list[sender.SendReport] = []

    def run() -> None:
        total = sender.SendReport()
        start.wait()
        while (report := send_due(outbox_db, smtp.mail(), batch=5)).claimed:
            total.add(report)
        reports.append(total)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(r.sent for r in reports) == 50 and sum(r.claimed for r in reports) == 50
    arrived = smtp.inbox.wait_for(50)
    with outbox_db.connect() as conn:
        keys = {r.id: r.dedupe_key for r in conn.execute(text("SELECT id, dedupe_key FROM outbox"))}
        states = conn.execute(text("SELECT status, attempts, count(*) FROM outbox GROUP BY 1, 2")).all()
    assert sorted(a.message["Message-ID"] for a in arrived) == sorted(
        message_id(i, keys[i], FROM) for i in ids
    )
    assert [tuple(s) for s in states] == [("sent", 1, 50)]


def test_a_sender_skips_messages_another_has_locked(
    outbox_db: Engine, mail_db: DatabaseSettings, smtp: SmtpServer
) -> None:
    locked, free = queue(outbox_db, 2)
    with psycopg.connect(mail_db.url) as other:  # another sender, mid-claim: holds the row's lock
        other.execute("SELECT id FROM outbox WHERE id = %s FOR UPDATE", (locked,))
        report = send_due(outbox_db, smtp.mail())
        assert (report.claimed, report.sent) == (1, 1)
        other.rollback()
    assert row(outbox_db, free).status == "sent" and row(outbox_db, locked).status == "queued"
    assert send_due(outbox_db, smtp.mail()).sent == 1
    assert len(smtp.inbox.wait_for(2)) == 2


def test_a_message_left_sending_is_never_sent_again_by_itself(outbox_db: Engine, smtp: SmtpServer) -> None:
    [mid] = queue(outbox_db)
    # as if the process died mid-send: claimed and committed, never marked
    assert [m.id for m in sender.claim(outbox_db)] == [mid]
    make_due(outbox_db, mid)

    assert send_due(outbox_db, smtp.mail()).claimed == 0
    r = row(outbox_db, mid)
    assert (r.status, r.attempts) == ("sending", 1) and smtp.inbox.arrived == []


def test_a_round_asked_to_stop_hands_its_untried_messages_back_uncounted(
    outbox_db: Engine, smtp: SmtpServer
) -> None:
    ids = queue(outbox_db, 3)
    stop = threading.Event()
    stop.set()

    report = send_due(outbox_db, smtp.mail(), stop=stop)

    assert (report.claimed, report.sent) == (3, 0) and smtp.inbox.arrived == []
    assert [(row(outbox_db, i).status, row(outbox_db, i).attempts) for i in ids] == [("queued", 0)] * 3
    assert send_due(outbox_db, smtp.mail()).sent == 3


def test_with_no_smtp_host_nothing_is_claimed_or_sent(outbox_db: Engine, smtp: SmtpServer) -> None:
    [mid] = queue(outbox_db)

    report = send_due(outbox_db, MailSettings(smtp_host=None, smtp_port=smtp.port))

    assert report.claimed == 0 and smtp.inbox.arrived == []
    r = row(outbox_db, mid)
    assert (r.status, r.attempts, r.body) == ("queued", 0, "Hello.\n")


def test_failures_are_described_without_addresses() -> None:
    import smtplib

    refused = smtplib.SMTPRecipientsRefused({TO: (550, b"5.1.1 <resident.one@example.org>: no such user")})
    assert sender.describe(refused) == "the SMTP server refused the recipient: 550"
    data = smtplib.SMTPDataError(554, b"5.7.1 rejected for resident.one@example.org, policy")
    assert sender.describe(data) == "the SMTP server refused it: 554 5.7.1 rejected for <address> policy"
    assert sender.describe(ConnectionRefusedError(111, "Connection refused")) == (
        "could not reach the SMTP server (Connection refused)"
    )
    assert len(sender.describe(smtplib.SMTPDataError(554, b"x" * 1000))) == 200
