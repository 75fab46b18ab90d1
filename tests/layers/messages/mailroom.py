"""What the message tests share: a real local SMTP server (aiosmtpd) collecting what arrives, a migrated
database of their own (so no other test's messages are sent, and no other test sees these sent), and
ways to wait for a condition without a fixed sleep.
"""

from __future__ import annotations

import email
import email.policy
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine, text

from layers import migrate
from layers.db import make_engine
from layers.messages.outbox import enqueue
from layers.settings import DatabaseSettings, MailSettings
from tests.live_app import create_database, drop_database

FROM = "Patchmap Norwich <no-reply@patchmap.example.org>"
WAIT_S = 30.0


@dataclass(frozen=True)
class Arrived:
    """One message the server took: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class Inbox:
    """An aiosmtpd handler keeping what arrives; ``refuse`` (an SMTP reply) makes it refuse every message."""

    def __init__(self) -> None:
        self.arrived: list[Arrived] = []
        self.refuse: str | None = None
        self.changed = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the message (or refuse it) and wake anyone waiting."""
        if self.refuse is not None:
            return self.refuse
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.changed:
            self.arrived.append(Arrived(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
            self.changed.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = WAIT_S) -> list[Arrived]:
        """Wait until at least ``count`` messages have arrived (fail after ``timeout``); all of them."""
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.arrived) >= count, timeout), (
                f"{len(self.arrived)} of {count} messages arrived"
            )
            return list(self.arrived)


class SmtpServer:
    """An aiosmtpd server on a fixed local port, which a test can stop and start again."""

    def __init__(self, inbox: Inbox, **kwargs: Any) -> None:
        self.inbox = inbox
        self.kwargs = kwargs
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        """Listen (again) on the same port."""
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **self.kwargs)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start``."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def mail(self, **overrides: Any) -> MailSettings:
        """Mail settings sending to this server."""
        values: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_port": self.port, "mail_from": FROM}
        return MailSettings(**(values | overrides))


def free_port() -> int:
    """A local TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def quiet_mail_log() -> Iterator[None]:
    """aiosmtpd logs every envelope's addresses at INFO (logger ``mail.log``): this is the test server's
    own log, not Patchmap's, so keep it to warnings while a test server runs (the suite's log is scanned)."""
    logger = logging.getLogger("mail.log")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


@pytest.fixture
def quiet_smtp_log() -> Iterator[None]:
    """``quiet_mail_log`` for one test."""
    with quiet_mail_log():
        yield


@pytest.fixture
def smtp(quiet_smtp_log: None) -> Iterator[SmtpServer]:
    """A plain local SMTP server, started; stopped at the end."""
    server = SmtpServer(Inbox())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_db(server_url: str) -> Iterator[DatabaseSettings]:
    """A migrated database (no demo data) of this module's own, dropped at the end."""
    name = f"patchmap_mail_{uuid.uuid4().hex[:8]}"
    settings = DatabaseSettings(url=create_database(server_url, name), pool_min=1, pool_max=4)
    try:
        migrate.upgrade(settings)
        yield settings
    finally:
        drop_database(server_url, name)


@pytest.fixture(scope="module")
def mail_engine(mail_db: DatabaseSettings) -> Iterator[Engine]:
    """An engine on the module's database."""
    engine = make_engine(mail_db)
    yield engine
    engine.dispose()


@pytest.fixture
def outbox_db(mail_engine: Engine) -> Engine:
    """The module's engine with an empty outbox (the database is this module's alone)."""
    with mail_engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox"))
    return mail_engine


def queue(engine: Engine, n: int = 1, *, role: str = "booker", **fields: Any) -> list[int]:
    """Queue ``n`` messages (committed); their outbox ids, in order."""
    ids = []
    for _ in range(n):
        key = f"test:{uuid.uuid4().hex}:{role}"
        values = {"to": "resident.one@example.org", "subject": "Your booking", "body": "Hello.\n"} | fields
        with engine.begin() as conn:
            enqueue(conn, key=key, role=role, **values)
            ids.append(
                conn.execute(text("SELECT id FROM outbox WHERE dedupe_key = :k"), {"k": key}).scalar_one()
            )
    return ids


def row(engine: Engine, outbox_id: int) -> Any:
    """The outbox row, with ``due_in_s``: seconds from now to its next attempt."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT *, extract(epoch FROM next_attempt_at - now()) AS due_in_s FROM outbox WHERE id = :i"
            ),
            {"i": outbox_id},
        ).one()


def make_due(engine: Engine, *ids: int) -> None:
    """Bring the next attempt of these messages forward to now (instead of waiting out the back-off)."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE outbox SET next_attempt_at = now() WHERE id = ANY(:ids)"), {"ids": list(ids)}
        )


class LogWatch(logging.Handler):
    """A log handler that lets a test wait until a record matching a condition has been logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record and wake waiters."""
        with self.changed:
            self.records.append(record)
            self.changed.notify_all()

    def wait_for(self, match: Callable[[str], bool], timeout: float = WAIT_S) -> str:
        """Wait until a record whose message ``match``es has been logged; that message."""
        with self.changed:
            found: list[str] = []

            def seen() -> bool:
                found[:] = [r.getMessage() for r in self.records if match(r.getMessage())]
                return bool(found)

            assert self.changed.wait_for(seen, timeout), "no such log record: " + repr(
                [r.getMessage() for r in self.records]
            )
            return found[0]


@pytest.fixture
def log_watch() -> Iterator[LogWatch]:
    """Watch Patchmap's own log records (logger ``patchmap``) during a test."""
    handler = LogWatch()
    logger = logging.getLogger("patchmap")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1: the files, and contexts for a server and a trusting client."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context with this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting this certificate (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate made with the openssl command (skipped where there is none)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed, so no test certificate can be made")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)
