"""The message tests' fixtures (tests/layers/messages/mailroom.py)."""

from tests.layers.messages.mailroom import (  # noqa: F401 (fixtures)
    certificate,
    log_watch,
    mail_db,
    mail_engine,
    outbox_db,
    quiet_smtp_log,
    smtp,
)
