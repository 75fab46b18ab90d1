"""The outbox as the patch page and the command line read it: messages held (not sent) by district, and
counts by status, never showing a recipient or a body; putting a message back in the queue."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from layers.errors import InvalidInput, NotFound
from layers.messages import outbox
from tests.layers.messages.mailroom import queue, row

SECRET_BODY = "Manage your booking: /book/manage/BK-ABC?token=secret-token"


@pytest.fixture
def mixed(outbox_db: Engine) -> dict[str, int]:
    """Messages of two districts and of none, in every status."""
    ids: dict[str, int] = {}
    for name, district, status in [
        ("norwich_queued", "E07000148", "queued"),
        ("norwich_failed", "E07000148", "failed"),
        ("norwich_sent", "E07000148", "sent"),
        ("breckland_sending", "E07000143", "sending"),
        ("nowhere_queued", None, "queued"),
    ]:
        [ids[name]] = queue(outbox_db, district_code=district, body=SECRET_BODY, about=f"booking/{name}")
        with outbox_db.begin() as conn:
            conn.execute(text("UPDATE outbox SET status = :s WHERE id = :i"), {"s": status, "i": ids[name]})
    return ids


def test_held_lists_a_districts_unsent_messages_without_recipient_or_body(
    outbox_db: Engine, mixed: dict[str, int]
) -> None:
    with outbox_db.connect() as conn:
        norwich = outbox.held(conn, {"E07000148"})
        everyone = outbox.held(conn, None)
        both = outbox.held(conn, {"E07000148", "E07000143"}, limit=2)
        nobody = outbox.held(conn, set())
        failed = outbox.held(conn, None, status="failed")

    assert [m["id"] for m in norwich] == [mixed["norwich_failed"], mixed["norwich_queued"]]  # newest first
    assert set(norwich[0]) == {
        "id",
        "role",
        "subject",
        "about",
        "status",
        "attempts",
        "created_at",
        "last_error",
    }
    assert not any(SECRET_BODY in str(m.values()) or "example.org" in str(m.values()) for m in everyone)
    assert {m["id"] for m in everyone} == set(mixed.values()) - {mixed["norwich_sent"]}
    assert [m["id"] for m in both] == [mixed["breckland_sending"], mixed["norwich_failed"]]
    assert nobody == []
    assert [m["id"] for m in failed] == [mixed["norwich_failed"]]


def test_counts_by_status(outbox_db: Engine, mixed: dict[str, int]) -> None:
    with outbox_db.connect() as conn:
        assert outbox.counts(conn, {"E07000148"}) == {"queued": 1, "sending": 0, "sent": 1, "failed": 1}
        assert outbox.counts(conn, None) == {"queued": 2, "sending": 1, "sent": 1, "failed": 1}
        assert outbox.counts(conn, set()) == {"queued": 0, "sending": 0, "sent": 0, "failed": 0}


def test_requeue_puts_a_failed_or_stuck_message_back_and_refuses_others(
    outbox_db: Engine, mixed: dict[str, int]
) -> None:
    for name in ("norwich_failed", "breckland_sending"):
        with outbox_db.begin() as conn:
            outbox.requeue(conn, mixed[name])
        r = row(outbox_db, mixed[name])
        assert (r.status, r.attempts, r.last_error) == ("queued", 0, None) and r.due_in_s <= 0

    with outbox_db.begin() as conn, pytest.raises(InvalidInput, match="is sent, so it cannot be sent again"):
        outbox.requeue(conn, mixed["norwich_sent"])
    with outbox_db.begin() as conn, pytest.raises(NotFound, match="There is no message"):
        outbox.requeue(conn, 10**12)
    assert row(outbox_db, mixed["norwich_sent"]).status == "sent"
