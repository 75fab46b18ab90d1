"""Introduce an accepted offer of help to a group, or close it: the co-ordinator's follow-up.

``introduce`` does everything in the caller's transaction, or nothing: it locks the offer, checks the actor
covers its district (another district's offer is "not found": an offer's existence is private), checks both
sides consented and can be written to, then writes the ``introductions`` row, sets ``follow_up`` to
``introduced``, adds an audit row and queues two messages in the outbox: the volunteer is sent the group's
public contact and its organiser's, the organiser is sent the volunteer's name and contact. A refusal
changes nothing. Introducing the same offer to the same group again answers as the first time and writes
nothing (the pair is unique, and the messages' outbox keys name it).

``close`` ends the follow-up (``closed``), with an optional reason kept in the audit row; closing a closed
offer again answers the same and writes nothing.

The audit rows hold ids and the group's name, never a name, email address or phone number.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Connection, RowMapping, text

from layers.access import audit
from layers.access.scope import Actor, require_district, require_user
from layers.errors import Conflict, InvalidInput, NotFound
from layers.messages import outbox
from layers.offers.matching import distance_words, group_consent, matches_for, volunteer_consent

MAX_REASON: Final = 500

OFFER = text(
    "SELECT s.id, s.reference, s.kind, s.status, s.details, s.contact, s.district_code, s.erased_at,"
    " coalesce(s.follow_up, 'open') AS follow_up,"
    " nullif(btrim(s.contact ->> 'email'), '') IS NOT NULL AS has_email,"
    " d.name AS district_name"
    " FROM submissions s LEFT JOIN areas d ON d.code = s.district_code AND d.kind = 'district'"
    " WHERE s.id = :id FOR UPDATE OF s"
)
GROUP = text(
    "SELECT g.id, g.name, g.status, g.volunteers_wanted, g.accepts_introductions, g.website, g.email,"
    " g.phone, g.venue_address, g.private_contact,"
    " nullif(btrim(g.private_contact ->> 'email'), '') IS NOT NULL AS has_organiser_email,"
    " round(ST_Distance(g.geom_bng, ST_Transform(s.geom, 27700)))::integer AS distance_m"
    " FROM groups g, submissions s WHERE g.id = :group_id AND s.id = :id"
)
EARLIER = text(
    "SELECT i.id, i.reason, i.created_at FROM introductions i WHERE i.submission_id = :id AND i.group_id = :g"
)
INSERT = text(
    "INSERT INTO introductions (submission_id, group_id, introduced_by, reason) VALUES (:id, :g, :by, :reason)"
    " ON CONFLICT ON CONSTRAINT uq_introductions_pair DO NOTHING RETURNING id, reason, created_at"
)
FOLLOW_UP = text("UPDATE submissions SET follow_up = :f, updated_at = now() WHERE id = :id")


def _offer(conn: Connection, actor: Actor, submission_id: int) -> RowMapping:
    """The accepted offer of help, locked; NotFound unless it is one in the actor's districts."""
    require_user(actor)
    row = conn.execute(OFFER, {"id": submission_id}).mappings().first()
    if row is None or row["kind"] != "help":
        raise NotFound("No such offer of help", "It may have been removed, or it is not in your districts.")
    require_district(actor, {row["district_code"]} if row["district_code"] else set(), hidden=True)
    if row["status"] != "approved" or row["erased_at"] is not None:
        raise Conflict(
            "This offer of help has not been accepted",
            "Only an accepted offer can be introduced or closed: approve it in the moderation queue first.",
        )
    return row


def in_district(
    conn: Connection, actor: Actor, district: str, submission_id: int, act: Any, *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """``act`` (introduce or close) on an offer of help of ``district`` only (a form on that district's page)."""
    row = conn.execute(text("SELECT district_code FROM submissions WHERE id = :id"), {"id": submission_id})
    found = row.first()
    if found is None or found[0] != district:
        raise NotFound("No such offer of help in this district", "Go back to your patch page and try again.")
    return dict(act(conn, actor, submission_id, *args, **kwargs))


def _answer(row: RowMapping, follow_up: str, **more: Any) -> dict[str, Any]:
    return {"id": row["id"], "reference": row["reference"], "follow_up": follow_up, **more}


def introduce(
    conn: Connection, actor: Actor, submission_id: int, group_id: int, *, public_url: str
) -> dict[str, Any]:
    """Introduce an accepted offer of help to a group (both consented): one introduction, two messages."""
    offer = _offer(conn, actor, submission_id)
    group = conn.execute(GROUP, {"group_id": group_id, "id": submission_id}).mappings().first()
    if group is None:
        raise NotFound(f"No group {group_id}", "Choose one of the groups listed for this offer.")
    earlier = conn.execute(EARLIER, {"id": submission_id, "g": group_id}).mappings().first()
    if earlier is not None:  # a retry: the same answer, nothing written
        return _answer(offer, offer["follow_up"], group={"id": group["id"], "name": group["name"]},
                       reason=earlier["reason"], introduced_at=earlier["created_at"], already=True)  # fmt: skip
    if offer["follow_up"] == "closed":
        raise Conflict("This offer of help is closed", "A closed offer cannot be introduced to a group.")
    if group["status"] != "active" or not group["volunteers_wanted"]:
        raise Conflict(
            f"{group['name']} is not asking for volunteers",
            "Choose one of the groups listed for this offer.",
        )
    refused = volunteer_consent(dict(offer)) or group_consent(dict(group))
    if refused is not None:
        raise Conflict(f"Not introduced: {refused[0].lower()}{refused[1:]}", _consent_detail(refused))
    found = matches_for(conn, submission_id, limit=1, group_id=group_id)
    if found:
        why = found[0]["reason"]
    elif group["distance_m"] is not None:
        why = f"chosen by the co-ordinator; {distance_words(group['distance_m'])}"
    else:
        why = "chosen by the co-ordinator"
    made = conn.execute(INSERT, {"id": submission_id, "g": group_id, "by": actor.user_id, "reason": why})
    made_row = made.mappings().one()
    conn.execute(FOLLOW_UP, {"f": "introduced", "id": submission_id})
    audit.record(conn, actor, "help-introduce", object_type="submission", object_id=submission_id,
                 district=offer["district_code"],
                 detail={"group_id": group_id, "group": group["name"], "reason": why})  # fmt: skip
    _queue_messages(conn, offer, group, why, public_url)
    return _answer(offer, "introduced", group={"id": group["id"], "name": group["name"]}, reason=why,
                   introduced_at=made_row["created_at"], already=False)  # fmt: skip


def _consent_detail(refused: str) -> str:
    if "volunteer" in refused:
        return "Nothing was sent. Contact the volunteer yourself, then close the offer when it is dealt with."
    return "Nothing was sent. Choose a group that has agreed, or ask the group's organiser to agree first."


def close(conn: Connection, actor: Actor, submission_id: int, reason: str | None = None) -> dict[str, Any]:
    """End an accepted offer's follow-up (closed), with an optional reason; closing again changes nothing."""
    offer = _offer(conn, actor, submission_id)
    words = (reason or "").strip()
    if len(words) > MAX_REASON:
        raise InvalidInput("The reason is too long", f"Use at most {MAX_REASON} characters.")
    if offer["follow_up"] == "closed":
        return _answer(offer, "closed", already=True)
    conn.execute(FOLLOW_UP, {"f": "closed", "id": submission_id})
    audit.record(conn, actor, "help-close", object_type="submission", object_id=submission_id,
                 district=offer["district_code"], detail={"reason": words or None})  # fmt: skip
    return _answer(offer, "closed", already=False)


def _lines(*pairs: tuple[str, Any]) -> list[str]:
    return [f"{label}: {value}" for label, value in pairs if value]


def _queue_messages(
    conn: Connection, offer: RowMapping, group: RowMapping, why: str, public_url: str
) -> None:
    """The volunteer gets the group's contacts; the organiser gets the volunteer's (both consented)."""
    contact, organiser, details = offer["contact"], group["private_contact"] or {}, offer["details"] or {}
    area = offer["district_name"] or "your area"
    key = f"introduction:{offer['id']}:{group['id']}"
    volunteer_name = str(contact.get("name") or "there")
    group_lines = _lines(
        ("Organiser", organiser.get("name")),
        ("Organiser's email", organiser.get("email")),
        ("Organiser's phone", organiser.get("phone")),
        ("Group's email", group["email"]),
        ("Group's phone", group["phone"]),
        ("Web site", group["website"]),
        ("Where it meets", group["venue_address"]),
    )
    outbox.enqueue(
        conn, key=f"{key}:volunteer", to=str(contact["email"]), role="volunteer", about=offer["reference"],
        district_code=offer["district_code"], subject=f"A group that would like your help: {group['name']}",
        body="\n".join([
            f"Hello {volunteer_name},", "",
            f"Thank you for offering your help (reference {offer['reference']}). We think {group['name']} "
            f"would welcome it: {why}.", "",
            "How to reach them:", *group_lines, "",
            "As you agreed, we have sent the group your name and contact details, so they may get in touch "
            "first. If it isn't right for you, just say so: you owe them nothing.", "",
            f"Patchmap, for the council in {area}. {public_url.rstrip('/')}/",
        ]),
    )  # fmt: skip
    volunteer_lines = _lines(
        ("Name", contact.get("name")),
        ("Email", contact.get("email")),
        ("Phone", contact.get("phone")),
        ("What they offered", details.get("offer")),
        ("Skills", ", ".join(details.get("skills") or [])),
        ("When they are free", details.get("when")),
    )
    outbox.enqueue(
        conn, key=f"{key}:group", to=str(organiser["email"]), role="organiser", about=offer["reference"],
        district_code=offer["district_code"], subject=f"A volunteer for {group['name']}",
        body="\n".join([
            f"Hello {organiser.get('name') or 'there'},", "",
            f"A resident offered to help, and you told us {group['name']} is happy to be introduced to "
            f"volunteers. Why we thought of you: {why}.", "",
            "Their details (they agreed we may pass them to you):", *volunteer_lines, "",
            "Please get in touch with them. We have sent them your contact details too.", "",
            f"Patchmap, for the council in {area}. {public_url.rstrip('/')}/",
        ]),
    )  # fmt: skip
