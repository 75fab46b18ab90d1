"""Freshness: "is this still right?" emails to organisers before their listing turns stale.

A listing (a group not closed, a hub, a space still offered) with an organiser email whose last
confirmation (``last_verified_at``, else ``created_at``) is older than ``stale_after_days`` less
``freshness_warning_days`` gets a first reminder with two links: "Yes, still right" (freshness link, action
``confirm``) and "Update it" (action ``update``: signs the organiser in to the edit form). No answer after
``freshness_gap_days``: a second reminder; no answer after another gap: ``freshness_reminders.flagged_at`` is
set and the co-ordinator's patch page lists it under "Needs checking" ("no answer to two reminders").

``remind`` runs one round (the app's background job, and ``patchmap people remind``): it takes a
transaction-level advisory lock so two rounds never overlap, and every message has a dedupe key naming the
listing, its confirmation date and the reminder's number, so running it twice the same day sends nothing twice.
A confirmation (``confirm_by_link``, or any confirm or organiser's edit) starts the cycle again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, func, text, update

from layers.access import audit, links
from layers.access.scope import Actor, record_districts
from layers.messages.outbox import enqueue
from layers.records.versions import TABLES, snapshot, write_version
from layers.settings import AccessSettings, PeopleSettings

NO_ANSWER: Final = "no answer to two reminders"
ORGANISER: Final = Actor(role="organiser", name="organiser")
_LOCK = "SELECT pg_try_advisory_xact_lock(hashtextextended('patchmap freshness reminders', 0))"
_DUE = text(
    """
    WITH listings AS (
      SELECT 'group' AS kind, id, name, private_contact->>'email' AS email,
             coalesce(last_verified_at, created_at) AS basis FROM groups WHERE status <> 'closed'
      UNION ALL
      SELECT 'hub', id, name, private_contact->>'email', coalesce(last_verified_at, created_at) FROM hubs
      UNION ALL
      SELECT 'space', id, name, private_contact->>'email', coalesce(last_verified_at, created_at) FROM spaces
       WHERE status IN ('available', 'under_offer')
    )
    SELECT l.kind, l.id, l.name, trim(l.email) AS email, l.basis,
           r.first_sent_at, r.second_sent_at, r.flagged_at
    FROM listings l
    LEFT JOIN freshness_reminders r ON r.object_type = l.kind AND r.object_id = l.id
    WHERE coalesce(trim(l.email), '') LIKE '%_@_%'
      AND l.basis < now() - make_interval(days => CAST(:due_days AS int))
    ORDER BY l.basis, l.kind, l.id
    """
)
_UPSERT = text(
    """
    INSERT INTO freshness_reminders (object_type, object_id, first_sent_at, second_sent_at, flagged_at)
    VALUES (:k, :i, :first, :second, :flagged)
    ON CONFLICT (object_type, object_id) DO UPDATE SET first_sent_at = excluded.first_sent_at,
      second_sent_at = excluded.second_sent_at, flagged_at = excluded.flagged_at
    """
)
_FLAGGED = text(
    """
    SELECT r.object_type, r.object_id FROM freshness_reminders r
    LEFT JOIN groups g ON r.object_type = 'group' AND g.id = r.object_id
    LEFT JOIN hubs h ON r.object_type = 'hub' AND h.id = r.object_id
    LEFT JOIN spaces s ON r.object_type = 'space' AND s.id = r.object_id
    WHERE r.flagged_at IS NOT NULL
      AND r.first_sent_at >= coalesce(g.last_verified_at, h.last_verified_at, s.last_verified_at,
                                      g.created_at, h.created_at, s.created_at)
    """
)
_SET_AUTHOR = text(
    "UPDATE record_versions SET author_kind = 'organiser' WHERE object_type = :k AND object_id = :i AND version = :v"
)


@dataclass
class Reminded:
    """What one round did (or, with ``dry_run``, would do)."""

    considered: int = 0
    first: int = 0
    second: int = 0
    flagged: int = 0
    skipped: bool = False  # another round held the lock

    def words(self) -> str:
        """The round in one line."""
        if self.skipped:
            return "Another round is running: nothing done."
        return (f"{self.considered} listings due a check: {self.first} first reminders, {self.second} second "
                f"reminders, {self.flagged} flagged for the co-ordinator.")  # fmt: skip


def link_url(public_url: str, secret: str) -> str:
    """The address of an emailed link: the page with one button that uses it (api/routes/organisers.py)."""
    return f"{public_url.rstrip('/')}/organisers/link?token={secret}"


def _body(name: str, confirm: str, change: str, number: int, people: PeopleSettings, days: int) -> str:
    second = (
        f"\nThis is our second reminder. If we do not hear from you within {people.freshness_gap_days} days, "
        "the council's co-ordinator will check the listing.\n"
        if number == 2
        else ""
    )
    return (
        f"Hello,\n\nPatchmap lists {name}, and residents use it to find what is near them. Is the listing still "
        f"right?\n\nYes, still right:\n{confirm}\n\nUpdate it:\n{change}\n{second}\nEach link works once, for "
        f"{days} days. You are getting this because you are the contact for this listing.\n"
    )


def _send(conn: Connection, row: Any, number: int, people: PeopleSettings, public_url: str) -> None:
    days = people.freshness_gap_days * 2
    made = {
        action: links.issue(
            conn, "freshness", row.kind, row.id, expires_in=timedelta(days=days), action=action
        )
        for action in ("confirm", "update")
    }
    districts = record_districts(conn, row.kind, row.id)
    enqueue(
        conn,
        key=f"freshness:{row.kind}:{row.id}:{row.basis.isoformat()}:{number}",
        to=row.email,
        role="organiser",
        subject=f"Is this still right? {row.name}" + (" (second reminder)" if number == 2 else ""),
        body=_body(
            row.name,
            link_url(public_url, made["confirm"]),
            link_url(public_url, made["update"]),
            number,
            people,
            days,
        ),
        about=f"{row.kind} {row.id}",
        district_code=min(districts) if districts else None,
    )


def remind(
    conn: Connection,
    *,
    access: AccessSettings,
    people: PeopleSettings,
    public_url: str,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Reminded:
    """One round of reminders: first, second, or flag each due listing, in the caller's transaction."""
    report = Reminded()
    if not conn.exec_driver_sql(_LOCK).scalar():
        report.skipped = True
        return report
    now: datetime = conn.execute(text("SELECT now()")).scalar_one()
    gap = timedelta(days=people.freshness_gap_days)
    due_days = max(access.stale_after_days - people.freshness_warning_days, 0)
    rows = conn.execute(_DUE, {"due_days": due_days}).all()
    report.considered = len(rows)
    for n, row in enumerate(rows, 1):
        first, second, flagged = row.first_sent_at, row.second_sent_at, row.flagged_at
        if first is not None and first < row.basis:  # confirmed since: a new cycle
            first = second = flagged = None
        step = None
        if first is None:
            step, first = "first", now
        elif second is None and first <= now - gap:
            step, second = "second", now
        elif second is not None and flagged is None and second <= now - gap:
            step, flagged = "flagged", now
        if step is not None:
            setattr(report, step, getattr(report, step) + 1)
            if not dry_run:
                if step != "flagged":
                    _send(conn, row, 1 if step == "first" else 2, people, public_url)
                params = {"k": row.kind, "i": row.id, "first": first, "second": second, "flagged": flagged}
                conn.execute(_UPSERT, params)
        if progress is not None:
            progress(n, len(rows))
    return report


def clear(conn: Connection, kind: str, record_id: int) -> None:
    """Forget a listing's reminders (it was just confirmed or updated) and use up its freshness links."""
    conn.execute(
        text("DELETE FROM freshness_reminders WHERE object_type = :k AND object_id = :i"),
        {"k": kind, "i": record_id},
    )
    links.revoke(conn, "freshness", kind, record_id)


def confirm_as_organiser(conn: Connection, kind: str, record_id: int) -> dict[str, Any]:
    """The organiser says the listing is still right: last_verified_at = now(), a "confirm" version by the
    organiser, reminders cleared; the version row."""
    before = snapshot(conn, kind, record_id, lock=True)
    if not conn.execute(
        text("SELECT 1 FROM record_versions WHERE object_type = :k AND object_id = :i LIMIT 1"),
        {"k": kind, "i": record_id},
    ).first():
        write_version(conn, None, kind, record_id, "create", {})
    table = TABLES[kind]
    conn.execute(update(table).where(table.c.id == record_id).values(last_verified_at=func.now()))
    after = snapshot(conn, kind, record_id)
    change = {"last_verified_at": [before.get("last_verified_at"), after.get("last_verified_at")]}
    version = write_version(conn, None, kind, record_id, "confirm", change)
    conn.execute(_SET_AUTHOR, {"k": kind, "i": record_id, "v": version["version"]})
    clear(conn, kind, record_id)
    districts = record_districts(conn, kind, record_id)
    audit.record(conn, ORGANISER, "organiser-confirm", object_type=kind, object_id=record_id,
                 district=min(districts) if districts else None, detail={"version": version["version"]})  # fmt: skip
    return version


def confirm_by_link(conn: Connection, secret: str | None) -> dict[str, Any]:
    """Use a "Yes, still right" link once: the listing is confirmed; its kind, id and name."""
    link = links.redeem(conn, secret, "freshness", actions=("confirm",))
    confirm_as_organiser(conn, link.object_type, link.object_id)
    name = snapshot(conn, link.object_type, link.object_id)["name"]
    return {"kind": link.object_type, "id": link.object_id, "name": name}


def flagged(conn: Connection) -> set[tuple[str, int]]:
    """The listings flagged after two unanswered reminders (and not confirmed since): (kind, id)."""
    rows = conn.execute(_FLAGGED).all()
    return {(str(r[0]), int(r[1])) for r in rows}
