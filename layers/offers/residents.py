"""What a resident can do about their own offer: look up its status, withdraw it, answer a question.

- **Status** by reference and email: an unknown reference and a wrong email get the same ``NotFound`` (so the
  answer tells nothing about whose offer it is). The email is compared, never logged or returned. Lookups
  are limited per client (``count_lookup``: kept in the database, keyed by the HMAC of the client's address).
- **Withdraw** from the single-use link in the acknowledgement: only a pending offer or one waiting for the
  resident's answer; an accepted one says who to contact instead. One audit row (actor: the resident).
- **Answer** a moderator's question from the link in that message: the answer is kept in
  ``submission_replies`` (private, like the offer) and the offer goes back to pending for the moderator.

Every refusal raises before anything is written, so the caller's transaction rolls back and a link that was
refused (or whose use was refused) still works.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

from sqlalchemy import Connection, RowMapping, text

from layers.access import audit, limits, links
from layers.access.scope import RESIDENT
from layers.areas.contacts import contact_for
from layers.errors import Conflict, InvalidInput, NotFound, RateLimited
from layers.offers import notices

OPEN: Final = ("pending", "needs_info")
MAX_ANSWER: Final = 2000
LOOKUP_LIMIT: Final = 10
LOOKUP_WINDOW_MIN: Final = 15
RESENDS_PER_DAY: Final = 3
NOT_FOUND: Final = (
    "We couldn't find an offer with that reference and email address",
    "Check both against the email we sent you when you made the offer. The reference looks like PM-7K3Q9XF2.",
)
STATUS_WORDS: Final = {
    "received": "Received: a council officer will check it soon",
    "pending": "Waiting for a decision",
    "needs_info": "We asked you a question",
    "approved": "Accepted",
    "rejected": "Not accepted",
    "withdrawn": "Withdrawn",
}
ROW: Final = (
    "SELECT id, reference, kind, status, details, contact, district_code, ward_code, decision_reason, "
    "published_as, created_at, moderated_at, updated_at, erased_at FROM submissions "
)


def lookup_key(secret: bytes, client: str) -> str:
    """The keyed hash standing for a client looking up offers (kept in login_attempts; no address stored)."""
    return limits.client_key(secret, "offer-status", client)


def count_lookup(conn: Connection, key: str, limit: int = LOOKUP_LIMIT, window_minutes: int = LOOKUP_WINDOW_MIN) -> None:  # fmt: skip
    """Count one status lookup by a client; RateLimited when it is one too many (every worker counts alike)."""
    limits.count_or_refuse(
        conn, key, limit=limit, window_minutes=window_minutes,
        message="You have looked up offers many times in a short time",
        detail=f"Please try again in {window_minutes} minutes.",
    )  # fmt: skip


def normal_reference(reference: str) -> str:
    """A reference as stored: upper case, no spaces, "PM-" added if it was left off."""
    ref = "".join((reference or "").split()).upper()
    return ref if ref.startswith("PM-") else f"PM-{ref}"


def proof(key: bytes, reference: str, email: str) -> str:
    """A keyed hash standing for "knows this offer's reference and email", for the status page's form (so the
    page that sends a new withdraw link need not carry the email address)."""
    message = f"{normal_reference(reference)}\n{email.strip().casefold()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _find(
    conn: Connection,
    reference: str,
    email: str = "",
    *,
    lock: bool = False,
    key: bytes = b"",
    shown: str = "",
) -> RowMapping:
    """The offer with this reference whose email is ``email`` (or whose ``proof`` under ``key`` is ``shown``);
    NotFound, the same whichever is wrong."""
    ref = normal_reference(reference)[:16]
    query = ROW + "WHERE reference = :r" + (" FOR UPDATE" if lock else "")
    row = conn.execute(text(query), {"r": ref}).mappings().first()
    kept = str(((row["contact"] or {}).get("email") or "") if row is not None else "").casefold()
    if shown:
        given, expected = shown, proof(key, ref, kept)
    else:
        given, expected = (email or "").strip().casefold(), kept
    if row is None or not kept or not hmac.compare_digest(expected.encode(), given.encode()):
        raise NotFound(*NOT_FOUND)
    return row


def _view(conn: Connection, row: RowMapping) -> dict[str, Any]:
    """What the resident is told about their offer: status in words, dates, reason or question, contact."""
    status = row["status"]
    decided = row["moderated_at"] if status in ("approved", "rejected", "needs_info") else None
    return {
        "reference": row["reference"],
        "kind": row["kind"],
        "noun": notices.NOUNS.get(row["kind"], "offer"),
        "title": notices.title_of(row["details"] or {}),
        "status": status,
        # pending and never decided: received; pending again after the resident answered: waiting
        "words": STATUS_WORDS["received" if status == "pending" and row["moderated_at"] is None else status],
        "sent_at": row["created_at"],
        "changed_at": decided or (row["updated_at"] if status == "withdrawn" else None),
        "reason": row["decision_reason"] if status == "rejected" else None,
        "question": row["decision_reason"] if status == "needs_info" else None,
        "published_url": _published_path(row["published_as"]) if status == "approved" else None,
        "can_withdraw": status in OPEN,
        "contact": contact_for(conn, row["district_code"], row["ward_code"]),
        "team": notices.TEAM,
    }


def _published_path(published_as: str | None) -> str | None:
    if not published_as or "/" not in published_as:
        return None
    kind, record_id = published_as.split("/", 1)
    return f"/{kind}s/{record_id}" if kind in ("group", "space") else None


def offer_status(conn: Connection, reference: str, email: str) -> dict[str, Any]:
    """An offer's status for the resident who made it (by reference and the email they gave)."""
    return _view(conn, _find(conn, reference, email))


def send_withdraw_link(conn: Connection, reference: str, shown: str, key: bytes) -> dict[str, Any]:
    """Email a new withdraw link for an open offer (at most RESENDS_PER_DAY more a day) to the resident who
    showed its ``proof``; the offer's view."""
    row = _find(conn, reference, lock=True, key=key, shown=shown or "-")
    if row["status"] not in OPEN:
        raise Conflict(
            f"Your offer {row['reference']} is {STATUS_WORDS[row['status']].split(':')[0].lower()}",
            "Only an offer still waiting for a decision can be withdrawn.",
        )
    sent = conn.execute(
        text(
            "SELECT count(*) FROM link_tokens WHERE purpose = 'offer' AND object_type = 'submission' "
            "AND object_id = :i AND action = 'withdraw' AND created_at > now() - interval '1 day'"
        ),
        {"i": row["id"]},
    ).scalar_one()
    if sent > RESENDS_PER_DAY:  # the first link, and this many more
        raise RateLimited(
            "We have sent several links for this offer today",
            "Please use the latest one, or try again tomorrow.",
            retry_after_s=3600,
        )
    notices.withdraw_link_again(conn, row["id"])
    return _view(conn, row)


def _linked(conn: Connection, secret: str | None, action: str, *, use: bool) -> RowMapping:
    check = links.redeem if use else links.peek
    link = check(conn, secret, "offer", object_type="submission", actions=(action,))
    row = conn.execute(text(ROW + "WHERE id = :i FOR UPDATE"), {"i": link.object_id}).mappings().first()
    if row is None or row["erased_at"] is not None:
        raise NotFound(
            "This offer is no longer kept", "Contact your council's community team if you need to."
        )
    return row


def withdraw_view(conn: Connection, secret: str | None) -> dict[str, Any]:
    """What the withdraw link's page shows (the link is not used)."""
    return _view(conn, _linked(conn, secret, "withdraw", use=False))


def withdraw(conn: Connection, secret: str | None) -> dict[str, Any]:
    """Withdraw an offer from its link (used once): only pending or waiting for an answer; the view after."""
    row = _linked(conn, secret, "withdraw", use=True)
    if row["status"] == "approved":
        contact = contact_for(conn, row["district_code"], row["ward_code"])
        who = f"{contact['role_name']} ({contact['area_name']})" if contact else notices.TEAM
        raise Conflict(
            f"Your offer {row['reference']} has already been accepted, so it cannot be withdrawn here",
            f"To take it off the map or change it, contact {who}, quoting {row['reference']}.",
        )
    if row["status"] not in OPEN:
        raise Conflict(
            f"Your offer {row['reference']} is already {STATUS_WORDS[row['status']].lower()}",
            "There is nothing more to do.",
        )
    conn.execute(
        text("UPDATE submissions SET status = 'withdrawn', updated_at = now() WHERE id = :i"),
        {"i": row["id"]},
    )
    audit.record(conn, RESIDENT, "submission-withdraw", object_type="submission", object_id=row["id"],
                 district=row["district_code"], detail={"kind": row["kind"], "by": "resident"})  # fmt: skip
    notices.withdrawn(conn, row["id"])
    return _view(conn, conn.execute(text(ROW + "WHERE id = :i"), {"i": row["id"]}).mappings().one())


def answer_view(conn: Connection, secret: str | None) -> dict[str, Any]:
    """What the answer link's page shows: the question (the link is not used)."""
    row = _linked(conn, secret, "answer", use=False)
    _asking(row)
    return _view(conn, row)


def _asking(row: RowMapping) -> None:
    if row["status"] != "needs_info":
        raise Conflict(
            f"Your offer {row['reference']} is not waiting for an answer now",
            "It may have been answered already, or decided. Check its status with your reference.",
        )


def answer(conn: Connection, secret: str | None, words: str) -> dict[str, Any]:
    """Keep the resident's answer to the question, from its link (used once); the offer is pending again."""
    body = (words or "").strip()
    if not body:
        raise InvalidInput("Write your answer", "Answer the question in a few words, then send it.")
    if len(body) > MAX_ANSWER:
        raise InvalidInput("Your answer is too long", f"Use at most {MAX_ANSWER} characters.")
    row = _linked(conn, secret, "answer", use=True)
    _asking(row)
    conn.execute(text("INSERT INTO submission_replies (submission_id, body) VALUES (:i, :b)"),
                 {"i": row["id"], "b": body})  # fmt: skip
    conn.execute(
        text("UPDATE submissions SET status = 'pending', updated_at = now() WHERE id = :i"), {"i": row["id"]}
    )
    conn.execute(
        text(
            "UPDATE link_tokens SET used_at = now() WHERE purpose = 'offer' AND object_type = 'submission' "
            "AND object_id = :i AND action = 'answer' AND used_at IS NULL"
        ),
        {"i": row["id"]},
    )
    audit.record(conn, RESIDENT, "submission-answer", object_type="submission", object_id=row["id"],
                 district=row["district_code"], detail={"kind": row["kind"], "by": "resident"})  # fmt: skip
    after = conn.execute(text(ROW + "WHERE id = :i"), {"i": row["id"]}).mappings().one()
    return _view(conn, after)
