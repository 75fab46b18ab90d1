"""Freshness reminders (layers.records.freshness): the first "is this still right?" email, the second after a gap,
the flag after another, a confirmation that starts the cycle again, and a round run twice that sends nothing
twice. Each test runs in a rolled-back transaction on the session's demo database; time passes by moving
the reminders' dates back, never by waiting.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from api.cli import app as cli
from layers.access import links
from layers.db import make_engine
from layers.patch import summary
from layers.records import freshness
from layers.settings import AccessSettings, DatabaseSettings, PeopleSettings
from tests.layers.messages.mailroom import mail_db  # noqa: F401 (a fixture)

ACCESS = AccessSettings(stale_after_days=365)
PEOPLE = PeopleSettings(freshness_warning_days=30, freshness_gap_days=14)
URL = "https://patchmap.example.org"
ORGANISER = "fresh.organiser@example.org"


def _group(
    conn: Connection, *, days_old: int, email: str | None = ORGANISER, name: str = "Fresh Test Club"
) -> int:
    contact = {"email": email} if email else {}
    return int(
        conn.execute(
            text(
                "INSERT INTO groups (name, private_contact, created_at, last_verified_at) VALUES (:n, "
                "CAST(:c AS jsonb), now() - make_interval(days => :d), now() - make_interval(days => :d)) RETURNING id"
            ),
            {"n": name, "c": json.dumps(contact), "d": days_old},
        ).scalar_one()
    )


def _round(conn: Connection, dry_run: bool = False) -> freshness.Reminded:
    return freshness.remind(conn, access=ACCESS, people=PEOPLE, public_url=URL, dry_run=dry_run)


def _mail(conn: Connection, group_id: int) -> list[Any]:
    return conn.execute(
        text("SELECT dedupe_key, recipient, subject, body FROM outbox WHERE about = :a ORDER BY id"),
        {"a": f"group {group_id}"},
    ).all()


def _state(conn: Connection, group_id: int) -> Any:
    return conn.execute(
        text("SELECT first_sent_at, second_sent_at, flagged_at FROM freshness_reminders "
             "WHERE object_type = 'group' AND object_id = :i"),
        {"i": group_id},
    ).first()  # fmt: skip


def _age(conn: Connection, group_id: int, column: str, days: int) -> None:
    assert column in ("first_sent_at", "second_sent_at")
    conn.execute(
        text(f"UPDATE freshness_reminders SET {column} = {column} - make_interval(days => :d) "
             "WHERE object_type = 'group' AND object_id = :i"),
        {"d": days, "i": group_id},
    )  # fmt: skip


def _links(body: str) -> list[str]:
    return re.findall(r"/organisers/link\?token=([A-Za-z0-9_-]+)", body)


def test_a_listing_before_its_warning_gets_nothing(conn: Connection) -> None:
    fresh = _group(conn, days_old=300)  # due at 365 - 30 = 335 days
    nobody = _group(conn, days_old=400, email=None, name="No Organiser Club")
    _round(conn)
    assert _mail(conn, fresh) == [] and _state(conn, fresh) is None
    assert _mail(conn, nobody) == [] and _state(conn, nobody) is None


def test_first_second_flag_and_confirm(conn: Connection) -> None:
    gid = _group(conn, days_old=340)

    first = _round(conn)
    assert first.first >= 1
    [mail] = _mail(conn, gid)
    assert mail.recipient == ORGANISER and mail.subject == "Is this still right? Fresh Test Club"
    confirm, update = _links(mail.body)
    assert links.peek(conn, confirm, "freshness", actions=("confirm",)).object_id == gid
    assert links.peek(conn, update, "freshness", actions=("update",)).object_id == gid
    stored = conn.execute(text("SELECT count(*) FROM link_tokens WHERE token_hash IN (:a, :b)"),
                          {"a": confirm, "b": update}).scalar_one()  # fmt: skip
    assert stored == 0  # the secrets themselves are not stored, only their digests

    _round(conn)  # the same day again: nothing more
    assert len(_mail(conn, gid)) == 1

    _age(conn, gid, "first_sent_at", 13)
    _round(conn)
    assert len(_mail(conn, gid)) == 1  # the gap is 14 days
    _age(conn, gid, "first_sent_at", 1)
    _round(conn)
    mails = _mail(conn, gid)
    assert len(mails) == 2 and mails[1].subject.endswith("(second reminder)")
    assert "second reminder" in mails[1].body
    assert _state(conn, gid).flagged_at is None

    _age(conn, gid, "second_sent_at", 14)
    report = _round(conn)
    assert report.flagged >= 1 and len(_mail(conn, gid)) == 2  # flagging sends nothing
    assert _state(conn, gid).flagged_at is not None
    assert ("group", gid) in freshness.flagged(conn)

    # the first message's "yes" link still works: it confirms and clears everything
    done = freshness.confirm_by_link(conn, confirm)
    assert done == {"kind": "group", "id": gid, "name": "Fresh Test Club"}
    assert _state(conn, gid) is None and ("group", gid) not in freshness.flagged(conn)
    verified = conn.execute(text("SELECT last_verified_at > now() - interval '1 minute' FROM groups WHERE id = :i"),
                            {"i": gid}).scalar_one()  # fmt: skip
    assert verified
    version = conn.execute(
        text("SELECT action, changed_by, author_kind FROM record_versions WHERE object_type = 'group' "
             "AND object_id = :i ORDER BY version DESC LIMIT 1"), {"i": gid},
    ).one()  # fmt: skip
    assert tuple(version) == ("confirm", None, "organiser")
    with pytest.raises(links.LinkRefused, match="already been used"):
        freshness.confirm_by_link(conn, confirm)
    with pytest.raises(links.LinkRefused, match="already been used"):  # the other links were used up too
        links.peek(conn, update, "freshness", actions=("update",))
    _round(conn)
    assert len(_mail(conn, gid)) == 2  # confirmed today: not due


def test_a_dry_run_counts_and_changes_nothing(conn: Connection) -> None:
    gid = _group(conn, days_old=340)
    before = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    report = _round(conn, dry_run=True)
    assert report.first >= 1
    assert _state(conn, gid) is None and _mail(conn, gid) == []
    assert conn.execute(text("SELECT count(*) FROM outbox")).scalar_one() == before


def test_a_confirmation_by_a_coordinator_starts_a_new_cycle(conn: Connection) -> None:
    gid = _group(conn, days_old=340)
    _round(conn)
    _age(conn, gid, "first_sent_at", 400)  # the reminder was long ago, and then someone confirmed it
    conn.execute(
        text("UPDATE groups SET last_verified_at = now() - interval '339 days' WHERE id = :i"), {"i": gid}
    )
    _round(conn)
    mails = _mail(conn, gid)
    assert len(mails) == 2 and not mails[1].subject.endswith("(second reminder)")  # a new first reminder


def test_an_expired_or_foreign_link_is_refused_and_changes_nothing(conn: Connection) -> None:
    gid = _group(conn, days_old=340)
    other = _group(conn, days_old=10, name="Another Club")
    _round(conn)
    confirm, _ = _links(_mail(conn, gid)[0].body)
    conn.execute(text("UPDATE link_tokens SET expires_at = now() - interval '1 second' WHERE object_id = :i "
                      "AND purpose = 'freshness'"), {"i": gid})  # fmt: skip
    with pytest.raises(links.LinkRefused, match="expired"):
        freshness.confirm_by_link(conn, confirm)
    sign_in = links.issue(conn, "organiser", "group", other, expires_in=timedelta(hours=1),
                          action="sign-in")  # fmt: skip
    with pytest.raises(links.LinkRefused, match="not for this page"):
        freshness.confirm_by_link(conn, sign_in)
    assert _state(conn, gid).first_sent_at is not None
    stamp = conn.execute(text("SELECT last_verified_at < now() - interval '300 days' FROM groups WHERE id = :i"),
                         {"i": gid}).scalar_one()  # fmt: skip
    assert stamp


def test_a_flagged_listing_is_listed_as_needing_checking_with_its_reason(conn: Connection) -> None:
    gid = int(
        conn.execute(
            text("INSERT INTO groups (name, geom, location_precision, private_contact, last_verified_at) VALUES "
                 "('Flagged Test Club', ST_SetSRID(ST_MakePoint(1.2930, 52.6309), 4326), 'venue', "
                 "jsonb_build_object('email', CAST(:e AS text)), now() - interval '10 days') RETURNING id"),
            {"e": ORGANISER},
        ).scalar_one()
    )  # fmt: skip
    district = "E07000148"

    def listed() -> dict[tuple[str, int], Any]:
        found = summary.stale_records(conn, district, summary.patch_records(conn, district), days=365)
        return {(r["kind"], r["id"]): r for r in found["records"]}

    assert ("group", gid) not in listed()  # confirmed 10 days ago: not stale
    conn.execute(
        text("INSERT INTO freshness_reminders (object_type, object_id, first_sent_at, second_sent_at, flagged_at) "
             "VALUES ('group', :i, now() - interval '2 days', now() - interval '1 day', now())"), {"i": gid},
    )  # fmt: skip
    assert listed()[("group", gid)]["reason"] == freshness.NO_ANSWER
    freshness.confirm_as_organiser(conn, "group", gid)
    assert ("group", gid) not in listed()


def test_the_command_reminds_once_and_a_dry_run_changes_nothing(
    mail_db: DatabaseSettings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", mail_db.url)
    engine = make_engine(mail_db)
    try:
        with engine.begin() as c:
            gid = _group(c, days_old=340, name="Command Test Club")

        def mails() -> int:
            with engine.connect() as c:
                return int(c.execute(text("SELECT count(*) FROM outbox WHERE about = :a"), {"a": f"group {gid}"}).scalar_one())  # fmt: skip

        dry = CliRunner().invoke(cli, ["people", "remind", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "Dry run (nothing sent or changed): 1 listings due a check: 1 first reminders" in dry.output
        assert mails() == 0
        for _ in range(2):  # twice the same day: one message
            done = CliRunner().invoke(cli, ["people", "remind"])
            assert done.exit_code == 0, done.output
        assert "0 first reminders, 0 second reminders, 0 flagged" in done.output
        assert mails() == 1
    finally:
        engine.dispose()
