"""The sender: claims due messages from the outbox, sends them over SMTP and records what happened.

Each round (``send_due``) works in three steps, so that a message is never sent twice:

1. **Claim** up to ``batch`` due messages (``queued``, ``next_attempt_at`` passed) with ``FOR UPDATE SKIP
   LOCKED``, mark them ``sending`` with one more attempt, and commit, before any SMTP is spoken. Two
   senders at once (two app processes) claim different messages.
2. **Send** each over one SMTP connection (standard library ``smtplib``; blocking, so the app runs a
   round in a worker thread). Each message has a Message-ID made from its outbox id and key, the same on
   every attempt, so a receiving system can spot a copy if a reply was lost after the server took it.
3. **Record** each result at once in its own transaction: ``sent`` (with ``sent_at``, the body erased,
   since it may hold a booker's manage link), or back to ``queued`` after an exponential back-off
   (``BACKOFF_FIRST_S`` doubling to ``BACKOFF_MAX_S``), or ``failed`` once ``mail_max_attempts`` are used.

A message claimed but never recorded (the process died mid-send, or the database went away before the
result was written) stays ``sending``: it may have been delivered, so it is not retried automatically.
``patchmap messages list --status sending`` shows such messages and ``patchmap messages requeue ID`` sends
one again once an officer has checked it did not arrive. Messages claimed but not yet tried when a round
stops early (an unexpected error) are handed back as ``queued`` with the attempt uncounted.

``last_error`` and the log name the outbox id and the recipient's role, never the address or the body.
With no ``smtp_host`` nothing is claimed and messages stay ``queued``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from sqlalchemy import Engine, text

from layers.settings import MailSettings

log = logging.getLogger("patchmap.messages")

#: How many messages one round claims at most.
BATCH = 20
#: The first retry waits this long; each further one twice as long, up to ``BACKOFF_MAX_S``.
BACKOFF_FIRST_S = 30
BACKOFF_MAX_S = 3600

CLAIM = text(
    """
    WITH due AS (
        SELECT id FROM outbox
        WHERE status = 'queued' AND next_attempt_at <= now()
        ORDER BY id
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1
    FROM due WHERE o.id = due.id
    RETURNING o.id, o.dedupe_key, o.recipient, o.recipient_role, o.subject, o.body, o.attempts
    """
)
MARK_SENT = text(
    "UPDATE outbox SET status = 'sent', sent_at = now(), body = NULL, last_error = NULL "
    "WHERE id = :id AND status = 'sending'"
)
MARK_FAILED = text(
    """
    UPDATE outbox SET
        status = CASE WHEN attempts >= :max_attempts THEN 'failed' ELSE 'queued' END,
        next_attempt_at = now() + make_interval(secs => least(:cap, :first * power(2, attempts - 1))),
        last_error = :error
    WHERE id = :id AND status = 'sending'
    RETURNING status, next_attempt_at
    """
)
#: Hand back messages claimed but never tried: the attempt did not happen, so it is not counted.
RELEASE = text(
    "UPDATE outbox SET status = 'queued', attempts = attempts - 1 WHERE id = ANY(:ids) AND status = 'sending'"
)

#: Failures of one message (the server refused it, or it cannot be put into an email), not of the connection.
REFUSED = (
    smtplib.SMTPResponseException,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPNotSupportedError,
    ValueError,
)

_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


@dataclass(frozen=True)
class Claimed:
    """A message claimed for sending (private: holds the address and the body; never logged)."""

    id: int
    dedupe_key: str
    recipient: str
    role: str
    subject: str
    body: str
    attempts: int = field(repr=False)

    def __repr__(self) -> str:
        return f"Claimed(id={self.id}, role={self.role!r})"


@dataclass
class SendReport:
    """What one round did: how many messages it claimed, sent, will retry, and gave up on."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, other: SendReport) -> None:
        """Count another round's messages in this report too."""
        self.claimed += other.claimed
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed


def send_due(
    engine: Engine,
    mail: MailSettings,
    *,
    batch: int = BATCH,
    ssl_context: ssl.SSLContext | None = None,
    stop: threading.Event | None = None,
) -> SendReport:
    """Send the due messages (one round, blocking); with no ``smtp_host`` do nothing and return zeros.

    ``ssl_context`` verifies the server under ``smtp_tls`` starttls or tls (default: the system's CAs).
    Once ``stop`` is set (the app is shutting down) the round ends after the message being sent; the
    messages it has not tried go back to the queue.
    """
    report = SendReport()
    if not mail.smtp_host:
        return report
    claimed = claim(engine, batch)
    report.claimed = len(claimed)
    if not claimed:
        return report
    pending = list(claimed)
    current: Claimed | None = None  # the message in the SMTP conversation now
    try:
        with _smtp(mail, ssl_context) as smtp:
            while pending and not (stop and stop.is_set()):
                current = pending.pop(0)
                try:
                    smtp.send_message(build_message(current, mail))
                except REFUSED as exc:
                    if isinstance(exc, OSError):  # an SSL error is a ValueError too: the connection broke
                        raise
                    # this message was refused (or cannot be written); the connection is still good
                    message, current = current, None
                    _record_failure(engine, message, mail, describe(exc), report)
                    continue
                message, current = current, None
                _record_sent(engine, message, report)
    except (OSError, smtplib.SMTPException) as exc:
        # the connection could not be made or broke: the message being sent and those after it wait
        error = describe(exc)
        if current is not None:
            pending.insert(0, current)
            current = None
        while pending:
            _record_failure(engine, pending[0], mail, error, report)
            pending.pop(0)
    finally:
        # Untried messages go back; one interrupted mid-conversation by anything else stays 'sending'.
        if pending:
            release(engine, [m.id for m in pending])
    return report


def claim(engine: Engine, batch: int = BATCH) -> list[Claimed]:
    """Claim up to ``batch`` due messages (status ``sending``, one more attempt) and commit the claim."""
    with engine.begin() as conn:
        rows = conn.execute(CLAIM, {"batch": batch}).mappings().all()
    claimed = [
        Claimed(
            id=r["id"], dedupe_key=r["dedupe_key"], recipient=r["recipient"], role=r["recipient_role"],
            subject=r["subject"], body=r["body"] or "", attempts=r["attempts"],
        )
        for r in rows
    ]  # fmt: skip
    return sorted(claimed, key=lambda m: m.id)


def release(engine: Engine, ids: list[int]) -> None:
    """Hand claimed messages that were never tried back to the queue (best effort: logged if it fails)."""
    try:
        with engine.begin() as conn:
            conn.execute(RELEASE, {"ids": ids})
        log.warning("messages %s handed back to the queue unsent", ", ".join(map(str, ids)))
    except Exception as exc:  # the database is away: they stay 'sending' for an officer to check
        log.error("messages %s left 'sending' (%s)", ", ".join(map(str, ids)), type(exc).__name__)


def message_id(outbox_id: int, dedupe_key: str, mail_from: str) -> str:
    """The message's Message-ID, the same on every attempt: ``<outbox id>.<key digest>@<From's domain>``."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "patchmap.invalid"
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:16]
    return f"<{outbox_id}.{digest}.outbox@{domain}>"


def build_message(message: Claimed, mail: MailSettings) -> EmailMessage:
    """The email of a claimed message: From, To, Subject, Date, its fixed Message-ID, the plain-text body."""
    email = EmailMessage()
    email["From"] = mail.mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = message_id(message.id, message.dedupe_key, mail.mail_from)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies are not sent back
    email.set_content(message.body)
    return email


def describe(exc: BaseException) -> str:
    """A short account of an SMTP failure for ``last_error`` and the log, with any address blanked out."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        text_ = f"the SMTP server refused it: {exc.smtp_code} {reply}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        text_ = "the SMTP server refused the recipient: " + ", ".join(map(str, codes))
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        text_ = "the SMTP server closed the connection"
    elif isinstance(exc, ssl.SSLError):
        text_ = f"the secure connection to the SMTP server failed ({exc.reason or type(exc).__name__})"
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        text_ = "the SMTP server cannot take this message (it needs an extension the server lacks)"
    elif isinstance(exc, ValueError):
        text_ = f"the message could not be written as an email ({type(exc).__name__})"
    elif isinstance(exc, TimeoutError):
        text_ = "the SMTP server did not answer in time"
    elif isinstance(exc, (ConnectionRefusedError, socket.gaierror)):
        text_ = f"could not reach the SMTP server ({exc.strerror or type(exc).__name__})"
    elif isinstance(exc, OSError):
        text_ = f"the connection to the SMTP server failed ({exc.strerror or type(exc).__name__})"
    else:
        text_ = f"the SMTP conversation failed ({type(exc).__name__})"
    text_ = _ADDRESS.sub("<address>", " ".join(text_.split()))
    return text_[:200]


@contextmanager
def _smtp(mail: MailSettings, context: ssl.SSLContext | None) -> Iterator[smtplib.SMTP]:
    """An open SMTP connection as ``mail`` says (TLS, STARTTLS, login), closed (QUIT) at the end."""
    host, port, timeout = mail.smtp_host or "", mail.smtp_port, mail.mail_timeout_s
    smtp: smtplib.SMTP
    if mail.smtp_tls == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context or ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if mail.smtp_tls == "starttls":
            smtp.starttls(context=context or ssl.create_default_context())
            smtp.ehlo()
        if mail.smtp_user:
            password = mail.smtp_password.get_secret_value() if mail.smtp_password else ""
            smtp.login(mail.smtp_user, password)
        yield smtp
    finally:
        _quit(smtp)


def _quit(smtp: smtplib.SMTP) -> None:
    """Say QUIT and close; a connection already broken is just closed."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _record_sent(engine: Engine, message: Claimed, report: SendReport) -> None:
    """Mark a message sent and erase its body."""
    with engine.begin() as conn:
        conn.execute(MARK_SENT, {"id": message.id})
    report.sent += 1
    log.info("message %d (%s) sent", message.id, message.role)


def _record_failure(
    engine: Engine, message: Claimed, mail: MailSettings, error: str, report: SendReport
) -> None:
    """Put a message back in the queue after its back-off, or mark it failed after its last attempt."""
    params: dict[str, Any] = {
        "id": message.id, "error": error, "max_attempts": mail.mail_max_attempts,
        "first": BACKOFF_FIRST_S, "cap": BACKOFF_MAX_S,
    }  # fmt: skip
    with engine.begin() as conn:
        row = conn.execute(MARK_FAILED, params).first()
    if row is None:  # no longer 'sending': an officer requeued or changed it meanwhile
        return
    if row.status == "failed":
        report.failed += 1
        log.error(
            "message %d (%s) failed on its last attempt (%d): %s",
            message.id,
            message.role,
            message.attempts,
            error,
        )
    else:
        report.retrying += 1
        log.warning(
            "message %d (%s) not sent (attempt %d of %d), next try at %s: %s",
            message.id, message.role, message.attempts, mail.mail_max_attempts,
            row.next_attempt_at.isoformat(timespec="seconds"), error,
        )  # fmt: skip
