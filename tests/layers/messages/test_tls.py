"""Sending over a secured connection: STARTTLS and TLS from the start, against aiosmtpd with a self-signed
certificate made for the test; a certificate the sender does not trust keeps the message queued.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from layers.messages.sender import send_due
from tests.layers.messages.mailroom import Certificate, Inbox, SmtpServer, queue, row


@pytest.fixture
def starttls_server(certificate: Certificate, quiet_smtp_log: None) -> Iterator[SmtpServer]:
    """A local SMTP server that offers STARTTLS and takes no message before it."""
    server = SmtpServer(Inbox(), tls_context=certificate.server_context(), require_starttls=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tls_server(certificate: Certificate, quiet_smtp_log: None) -> Iterator[SmtpServer]:
    """A local SMTP server speaking TLS from the first byte (as on port 465)."""
    server = SmtpServer(Inbox(), ssl_context=certificate.server_context())
    server.start()
    yield server
    server.stop()


def test_a_message_goes_over_starttls(
    outbox_db: Engine, starttls_server: SmtpServer, certificate: Certificate
) -> None:
    [mid] = queue(outbox_db, subject="Over STARTTLS")

    report = send_due(
        outbox_db, starttls_server.mail(smtp_tls="starttls"), ssl_context=certificate.client_context()
    )

    assert report.sent == 1
    assert [a.message["Subject"] for a in starttls_server.inbox.wait_for(1)] == ["Over STARTTLS"]
    assert row(outbox_db, mid).status == "sent"


def test_a_server_that_wants_starttls_refuses_a_plain_sender(
    outbox_db: Engine, starttls_server: SmtpServer
) -> None:
    [mid] = queue(outbox_db)

    assert send_due(outbox_db, starttls_server.mail(smtp_tls="none")).retrying == 1

    r = row(outbox_db, mid)
    assert r.status == "queued" and r.last_error.startswith("the SMTP server refused it: 530")
    assert starttls_server.inbox.arrived == []


def test_a_message_goes_over_tls(outbox_db: Engine, tls_server: SmtpServer, certificate: Certificate) -> None:
    [mid] = queue(outbox_db, subject="Over TLS")

    report = send_due(outbox_db, tls_server.mail(smtp_tls="tls"), ssl_context=certificate.client_context())

    assert report.sent == 1
    assert [a.message["Subject"] for a in tls_server.inbox.wait_for(1)] == ["Over TLS"]
    assert row(outbox_db, mid).status == "sent"


def test_an_untrusted_certificate_keeps_the_message_queued(
    outbox_db: Engine, starttls_server: SmtpServer
) -> None:
    [mid] = queue(outbox_db)

    # the system's CAs (the default) do not vouch for the test's self-signed certificate
    assert send_due(outbox_db, starttls_server.mail(smtp_tls="starttls")).retrying == 1

    r = row(outbox_db, mid)
    assert (r.status, r.attempts) == ("queued", 1)
    assert r.last_error == "the secure connection to the SMTP server failed (CERTIFICATE_VERIFY_FAILED)"
    assert starttls_server.inbox.arrived == []
