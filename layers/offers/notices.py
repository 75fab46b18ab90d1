"""The messages a resident gets about their offer: received, accepted, not accepted, a question, withdrawn.

Each is queued in the outbox in the transaction of the change it tells of (``layers.messages.outbox``), with a
dedupe key naming the offer, the event and the resident (``offer:PM-7K3Q9XF2:received:resident``), so a retried
change never queues its message twice. Only an offer with an email address gets messages. Each names the
council contact for the offer's place (``layers.areas.contacts``) or, where none is kept, "your council's
community team": never a made-up person.

Links in messages are ``{public_url}/offers/...`` with a single-use secret (``layers.access.links``, purpose
``offer``, object ``submission``, action ``withdraw`` or ``answer``); the secret is only in the message.

The acknowledgement is written on the submit path's async psycopg connection (``acknowledge``); the others on
the moderation's sync connection. Both use the same statements (``outbox.ENQUEUE``, ``contacts.CONTACT_SQL``).
The settings a message needs (the public address and how long links work) are ``Notify``: handed in on the
submit path, and found for the moderation's connection by its engine (``register``, called by the app).
"""

from __future__ import annotations

import re
import secrets
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode

from psycopg import AsyncCursor
from sqlalchemy import Connection, Engine, text

from layers.access import links
from layers.access.auth import digest
from layers.areas.contacts import CONTACT_SQL, contact_for
from layers.messages.outbox import ENQUEUE, enqueue
from layers.settings import BookingSettings, PeopleSettings, Settings

TEAM: Final = "your council's community team"
NOUNS: Final = {"group": "suggestion of a group", "space": "offer of a space", "help": "offer of help"}
ROLE: Final = "resident"
#: the columns of a submission a notice needs (sync path)
FACTS: Final = text(
    "SELECT id, reference, kind, status, details, contact, district_code, ward_code, decision_reason, "
    "published_as, moderated_at, created_at FROM submissions WHERE id = :i"
)
LINK_INSERT: Final = (
    "INSERT INTO link_tokens (token_hash, purpose, object_type, object_id, action, expires_at) "
    "VALUES (%(h)s, 'offer', 'submission', %(i)s, %(a)s, %(e)s)"
)
#: the moderator's view of the resident's answers (a column of ``layers.offers.moderation.COLUMNS``)
REPLIES_COLUMN: Final = (
    "(SELECT coalesce(jsonb_agg(jsonb_build_object('body', r.body, 'at', r.created_at) ORDER BY r.id), "
    "'[]'::jsonb) FROM submission_replies r WHERE r.submission_id = s.id) AS replies"
)


def _psycopg(statement: str) -> str:
    """A statement with SQLAlchemy's ``:name`` parameters written as psycopg's ``%(name)s``."""
    return re.sub(r"(?<![:\w]):([a-z_]+)\b", r"%(\1)s", statement)


@dataclass(frozen=True)
class Notify:
    """What a resident's message needs: the address residents reach Patchmap at and how long links work."""

    public_url: str
    link_days: int

    @classmethod
    def of(cls, settings: Settings) -> Notify:
        """From the app's settings."""
        return cls(settings.booking.public_url.rstrip("/"), settings.people.offer_link_days)

    @property
    def expires_in(self) -> timedelta:
        """How long a link in a message works."""
        return timedelta(days=self.link_days)

    def url(self, path: str) -> str:
        """An absolute address of a page."""
        return f"{self.public_url}{path}"


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, Notify] = weakref.WeakKeyDictionary()


def register(engine: Engine, settings: Settings) -> None:
    """Remember the settings of the app owning ``engine``, for messages queued on its connections."""
    _BY_ENGINE[engine] = Notify.of(settings)


def notify_for(conn: Connection) -> Notify:
    """The settings of the app whose engine made ``conn`` (else the environment's, as the CLI has)."""
    found = _BY_ENGINE.get(conn.engine)
    if found is not None:
        return found
    return Notify(BookingSettings().public_url.rstrip("/"), PeopleSettings().offer_link_days)


def day_words(when: datetime) -> str:
    """A date as "5 December 2026"."""
    return f"{when.day} {when:%B %Y}"


def contact_words(contact: dict[str, Any] | None) -> str:
    """Who to ask about an offer, in words: the named contact, else the community team."""
    if not contact:
        return f"If you have a question, contact {TEAM}, quoting your reference."
    lines = [f"Your council contact for {contact['area_name']}: {contact['role_name']}"]
    lines += [f"  {label}: {contact[k]}" for k, label in (("email", "Email"), ("phone", "Phone"),
              ("office_hours", "Office hours")) if contact.get(k)]  # fmt: skip
    return "\n".join(lines)


def title_of(details: dict[str, Any]) -> str:
    """The offer's name or first words, for a message (at most 120 characters)."""
    return str(details.get("name") or details.get("offer") or "")[:120]


def _opening(name: str | None) -> str:
    return f"Hello {name},\n\n" if name else "Hello,\n\n"


def _status_link(notify: Notify, reference: str) -> str:
    return (
        "Check what is happening with it at any time (you need your reference and this email address):\n"
        f"{notify.url('/offers/status')}?reference={reference}\n"
    )


def _withdraw_words(notify: Notify, secret: str, expires: datetime) -> str:
    return (
        f"Changed your mind? Withdraw it with this link (it works once, until {day_words(expires)}; "
        f"keep it private):\n{notify.url('/offers/withdraw')}?token={secret}\n"
    )


def acknowledgement(
    *, reference: str, kind: str, title: str, name: str | None, contact: dict[str, Any] | None,
    notify: Notify, withdraw_secret: str, expires: datetime,
) -> tuple[str, str]:  # fmt: skip
    """The subject and body of "we have your offer"."""
    noun = NOUNS.get(kind, "offer")
    about = f" \u201c{title}\u201d" if title else ""
    body = (
        f"{_opening(name)}Thank you for your {noun}{about}. We have it.\n\n"
        f"Your reference is {reference}.\n\n"
        "What happens next: a council officer checks every offer before anything is shown on the map. "
        "We will email you when they decide, or if they have a question.\n\n"
        f"{contact_words(contact)}\n\n{_status_link(notify, reference)}\n"
        f"{_withdraw_words(notify, withdraw_secret, expires)}"
    )
    return f"We have your {noun} {reference}", body


async def acknowledge(
    cur: AsyncCursor[dict[str, Any]],
    *,
    submission_id: int,
    reference: str,
    kind: str,
    details: dict[str, Any],
    contact: dict[str, Any],
    district_code: str | None,
    ward_code: str | None,
    notify: Notify,
) -> bool:
    """Queue the acknowledgement (with a withdraw link) in the submit's transaction; whether one was queued."""
    email = contact.get("email")
    if not email:
        return False
    place = None
    if district_code or ward_code:
        await cur.execute(_psycopg(CONTACT_SQL), {"district": district_code, "ward": ward_code})
        place = await cur.fetchone()
    secret = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + notify.expires_in
    await cur.execute(LINK_INSERT, {"h": digest(secret), "i": submission_id, "a": "withdraw", "e": expires})
    subject, body = acknowledgement(
        reference=reference, kind=kind, title=title_of(details), name=contact.get("name"),
        contact=dict(place) if place else None, notify=notify, withdraw_secret=secret, expires=expires,
    )  # fmt: skip
    params = {"key": f"offer:{reference}:received:{ROLE}", "to": email, "role": ROLE, "subject": subject,
              "body": body, "about": f"submission/{reference}", "district_code": district_code}  # fmt: skip
    await cur.execute(_psycopg(str(ENQUEUE.text)), params)
    return True


def _facts(conn: Connection, submission_id: int) -> dict[str, Any]:
    row = conn.execute(FACTS, {"i": submission_id}).mappings().first()
    if row is None:
        raise LookupError(f"submission {submission_id} is gone")
    return dict(row)


def _send(conn: Connection, f: dict[str, Any], event: str, subject: str, body: str) -> None:
    key = f"offer:{f['reference']}:{event}:{ROLE}"
    params = {"about": f"submission/{f['reference']}", "district_code": f["district_code"]}
    enqueue(conn, key=key, to=f["contact"]["email"], role=ROLE, subject=subject, body=body, **params)


_WHERE_ON_MAP = {
    "group": "SELECT g.name, coalesce(g.postcode, h.postcode, w.name) AS place FROM groups g "
    "LEFT JOIN hubs h ON h.id = g.hub_id LEFT JOIN areas w ON w.kind = 'ward' AND w.code = g.ward_code "
    "WHERE g.id = :i",
    "space": "SELECT s.name, coalesce(s.postcode, w.name) AS place FROM spaces s "
    "LEFT JOIN areas w ON w.kind = 'ward' AND w.code = s.ward_code WHERE s.id = :i",
}


def _record_url(conn: Connection, notify: Notify, published_as: str | None) -> str | None:
    """The residents' map searching where a published group or space is, for its name ("group/12" ->
    .../?where=NR3+2AD&q=Knit+and+natter), so the resident sees it among its neighbours on the map."""
    if not published_as or "/" not in published_as:
        return None
    kind, record_id = published_as.split("/", 1)
    if kind not in _WHERE_ON_MAP or not record_id.isdigit():
        return None
    row = conn.execute(text(_WHERE_ON_MAP[kind]), {"i": int(record_id)}).mappings().first()
    if row is None or not row["place"]:
        return None
    return notify.url("/?" + urlencode({"where": row["place"], "q": row["name"]}))


def decided(conn: Connection, submission_id: int) -> None:
    """Queue the resident's message about the decision just recorded: approved, rejected or needs_info.

    Called by ``layers.offers.moderation`` in the decision's transaction; nothing for an offer without email.
    """
    f = _facts(conn, submission_id)
    if not (f["contact"] or {}).get("email") or f["status"] not in ("approved", "rejected", "needs_info"):
        return
    notify = notify_for(conn)
    ref, noun, status = f["reference"], NOUNS.get(f["kind"], "offer"), f["status"]
    about = f" \u201c{title_of(f['details'])}\u201d" if title_of(f["details"]) else ""
    contact = contact_for(conn, f["district_code"], f["ward_code"])
    if status == "approved":
        record = _record_url(conn, notify, f["published_as"])
        if f["kind"] == "help":
            what = (
                f"Good news: your {noun}{about} has been accepted. It stays private: it is not shown on the "
                "map. Someone from the council will be in touch about what happens next."
            )
        else:
            what = f"Good news: your {noun}{about} has been accepted."
            what += f" You can see it here:\n{record}" if record else ""
        subject = f"Your {noun} {ref} has been accepted"
    elif status == "rejected":
        what = (
            f"Thank you for your {noun}{about}. We are sorry: it has not been accepted.\n\n"
            f"The reason: {f['decision_reason']}"
        )
        subject = f"Your {noun} {ref} was not accepted"
    else:
        secret = links.issue(
            conn, "offer", "submission", f["id"], expires_in=notify.expires_in, action="answer"
        )
        expires = datetime.now(UTC) + notify.expires_in
        what = (
            f"Thank you for your {noun}{about}. Before deciding, the council officer asks:\n\n"
            f"  {f['decision_reason']}\n\n"
            f"Answer here (the link works once, until {day_words(expires)}; keep it private):\n"
            f"{notify.url('/offers/answer')}?token={secret}"
        )
        subject = f"A question about your {noun} {ref}"
    body = (
        f"{_opening(f['contact'].get('name'))}{what}\n\nYour reference is {ref}.\n\n"
        f"{contact_words(contact)}\n\n{_status_link(notify, ref)}"
    )
    moment = f["moderated_at"].isoformat() if f["moderated_at"] else "now"
    _send(conn, f, f"{status}:{moment}", subject, body)


def withdrawn(conn: Connection, submission_id: int) -> None:
    """Queue the resident's confirmation that their offer is withdrawn."""
    f = _facts(conn, submission_id)
    if not (f["contact"] or {}).get("email"):
        return
    ref, noun = f["reference"], NOUNS.get(f["kind"], "offer")
    contact = contact_for(conn, f["district_code"], f["ward_code"])
    body = (
        f"{_opening(f['contact'].get('name'))}Your {noun} {ref} is withdrawn, as you asked. "
        f"Nothing from it will be shown on the map.\n\n{contact_words(contact)}\n"
    )
    _send(conn, f, "withdrawn", f"Your {noun} {ref} is withdrawn", body)


def withdraw_link_again(conn: Connection, submission_id: int) -> None:
    """Email a new withdraw link (the older ones stop working), asked for from the status page."""
    f = _facts(conn, submission_id)
    notify = notify_for(conn)
    conn.execute(
        text(
            "UPDATE link_tokens SET used_at = now() WHERE purpose = 'offer' AND object_type = 'submission' "
            "AND object_id = :i AND action = 'withdraw' AND used_at IS NULL"
        ),
        {"i": f["id"]},
    )
    secret = links.issue(
        conn, "offer", "submission", f["id"], expires_in=notify.expires_in, action="withdraw"
    )
    expires = datetime.now(UTC) + notify.expires_in
    body = (
        f"{_opening(f['contact'].get('name'))}You asked for a new link to withdraw your offer "
        f"{f['reference']}. Links sent before this one no longer work.\n\n"
        f"{_withdraw_words(notify, secret, expires)}\nIf you did not ask for this, you can ignore it.\n"
    )
    _send(conn, f, f"withdraw-link:{secrets.token_hex(8)}", f"Withdrawing your offer {f['reference']}", body)
