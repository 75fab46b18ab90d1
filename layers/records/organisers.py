"""Organisers keep their own listing: a sign-in link by email, a session for one record, live and reviewed edits.

A group's, hub's or space's organiser is the email in its ``private_contact`` (never public). They ask for a
link (``request_links``: rate limited per client, the same answer whether or not the address is known); the
link (``layers.access.links``, purpose ``organiser``, action ``sign-in``, or a freshness reminder's ``update``
link) opens a page whose one button starts a session (``start_session``): a second link row, action
``session``, whose secret lives in the organiser's cookie and which opens that one record only.

Saving the form (``save_listing``) changes the small fields at once (when it meets or opens, description,
accessibility notes, public website, email and phone) as a version with ``author_kind`` "organiser" and no
``changed_by``; the name, the place and the categories go to ``listing_changes`` for the co-ordinator, who
approves or rejects them (``decide_change``) from the patch page; the organiser is told either way.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from sqlalchemy import Connection, bindparam, func, text
from sqlalchemy.dialects.postgresql import JSONB

from layers.access import audit, limits, links
from layers.access.auth import digest
from layers.access.scope import Actor, record_districts, require_district, require_user
from layers.areas.postcodes import normalise_postcode
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from layers.messages.outbox import enqueue
from layers.records import freshness
from layers.records.freshness import link_url
from layers.records.versions import apply_changes, parse_changes, snapshot
from layers.taxonomy import GROUP_CATEGORIES

log = logging.getLogger("patchmap.organisers")

KINDS: Final = ("group", "hub", "space")
KIND_WORDS: Final = {"group": "group", "hub": "community hub", "space": "space"}
#: Fields an organiser changes at once (each a version), and fields that wait for the co-ordinator.
LIVE: Final[dict[str, tuple[str, ...]]] = {
    "group": ("meets", "description", "accessibility", "website", "email", "phone"),
    "hub": ("opening_hours", "description", "accessibility", "website", "email", "phone"),
    "space": ("availability", "description", "accessibility", "website", "email", "phone"),
}
REVIEWED: Final[dict[str, tuple[str, ...]]] = {
    "group": ("name", "venue_address", "postcode", "categories"),
    "hub": ("name", "address", "postcode"),
    "space": ("name", "address", "postcode"),
}
LABELS: Final = {
    "name": "Name",
    "venue_address": "Venue",
    "address": "Address",
    "postcode": "Postcode",
    "categories": "Types of group",
    "meets": "When it meets",
    "opening_hours": "Opening hours",
    "availability": "When it is free",
    "description": "Description",
    "accessibility": "Accessibility notes",
    "website": "Website",
    "email": "Public email",
    "phone": "Public phone",
}
PROBLEMS: Final = {
    "name": "Give the listing's name (at most 200 characters).",
    "website": "Give a web address starting with https:// or http://, or leave it empty.",
    "email": "Give an email address such as name@example.org, or leave it empty.",
    "phone": "Give a phone number (digits, spaces, + and brackets), or leave it empty.",
    "description": "Shorten the description (it is too long) or remove unusual characters.",
    "accessibility": "Shorten the accessibility notes (at most 500 characters).",
    "opening_hours": "Give the opening hours like Mo-Fr 09:00-17:00; Sa 10:00-13:00.",
    "availability": "Shorten the note on when it is free (at most 500 characters).",
    "venue_address": "Shorten the venue (at most 500 characters).",
    "address": "Shorten the address (at most 500 characters).",
    "postcode": "Give a postcode such as NR2 1AW, or leave it empty.",
    "categories": "Choose types from the list.",
}
DAYS: Final = {"mo": "Monday", "tu": "Tuesday", "we": "Wednesday", "th": "Thursday", "fr": "Friday",
               "sa": "Saturday", "su": "Sunday"}  # fmt: skip
MEETING_ROWS: Final = 6  # the most meeting rows a form sends (the form shows the current ones and one blank)
MOST_LISTINGS: Final = 20  # the most links one request sends
EMAIL_SHAPE: Final = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
ORGANISER: Final = Actor(role="organiser", name="organiser")
CSRF_SALT: Final = b"patchmap organiser csrf\x00"
_SET_AUTHOR = text(
    "UPDATE record_versions SET author_kind = 'organiser' WHERE object_type = :k AND object_id = :i AND version = :v"
)
_LISTINGS = text(
    """
    SELECT 'group' AS kind, id, name FROM groups
     WHERE lower(private_contact->>'email') = :e AND status <> 'closed'
    UNION ALL SELECT 'hub', id, name FROM hubs WHERE lower(private_contact->>'email') = :e
    UNION ALL SELECT 'space', id, name FROM spaces WHERE lower(private_contact->>'email') = :e
    ORDER BY 1, 2 LIMIT :most
    """
)


class InvalidListing(InvalidInput):
    """The organiser's form has problems: ``problems`` names each (field, what to do)."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("Some answers need changing", "Each problem is shown beside its answer.")
        self.problems = list(problems)


@dataclass(frozen=True)
class Session:
    """A live organiser session: the one record it may edit, and the token its forms carry."""

    kind: str
    record_id: int
    csrf_token: str


def _district(conn: Connection, kind: str, record_id: int) -> str | None:
    districts = record_districts(conn, kind, record_id)
    return min(districts) if districts else None


def organiser_email(record: Mapping[str, Any]) -> str | None:
    """The organiser's address from a record's private contact (None when there is none)."""
    value = (record.get("private_contact") or {}).get("email")
    return value.strip() if isinstance(value, str) and value.strip() else None


# ---------------------------------------------------------------- asking for a link


def _rate_limit(conn: Connection, key: str, limit: int, window_minutes: int) -> None:
    """RateLimited when this client asked ``limit`` times in the window; else counts this request."""
    limits.count_or_refuse(
        conn, key, limit=limit, window_minutes=window_minutes,
        message=f"You have asked for {limit} links in the last {window_minutes} minutes",
        detail="Please wait, then try again. Each link we sent still works.",
    )  # fmt: skip


def client_key(secret: bytes, client: str) -> str:
    """The keyed hash standing for a client asking for organiser links (kept in login_attempts)."""
    return limits.client_key(secret, "organiser-link", client)


def request_links(
    conn: Connection,
    email: str,
    *,
    kind: str | None,
    record_id: int | None,
    client: str,
    limit: int,
    window_minutes: int,
    link_hours: int,
    public_url: str,
) -> int:
    """Queue one sign-in link per listing whose organiser is ``email`` (or only the one named); how many.

    The caller answers the same whatever this returns, so nobody learns whether an address is known.
    """
    address = (email or "").strip().lower()
    if not EMAIL_SHAPE.match(address) or len(address) > 254:
        raise InvalidListing([("email", "Give your email address, such as name@example.org.")])
    _rate_limit(conn, client, limit, window_minutes)
    found = conn.execute(_LISTINGS, {"e": address, "most": MOST_LISTINGS}).mappings().all()
    if kind is not None and record_id is not None:
        found = [r for r in found if (r["kind"], r["id"]) == (kind, record_id)]
    for r in found:
        secret = links.issue(
            conn, "organiser", r["kind"], r["id"], expires_in=timedelta(hours=link_hours), action="sign-in"
        )
        body = (
            f"Hello,\n\nSomeone (we hope you) asked for a link to update the listing of {r['name']} on "
            f"Patchmap.\n\nSign in to update it:\n{link_url(public_url, secret)}\n\nThe link works once, within "
            f"{link_hours} hours. If you did not ask for it, you can ignore this email: nothing changes.\n"
        )
        enqueue(
            conn,
            key=f"organiser:sign-in:{r['kind']}:{r['id']}:{digest(secret)[:16]}",
            to=address,
            role="organiser",
            subject=f"Your link to update {r['name']}",
            body=body,
            about=f"{r['kind']} {r['id']}",
            district_code=_district(conn, r["kind"], r["id"]),
        )
    return len(found)


# ---------------------------------------------------------------- links and sessions

#: The emailed links this module's pages open: (purpose, action) → what its one button does.
OPENS: Final = {("organiser", "sign-in"): "sign-in", ("freshness", "update"): "sign-in", ("freshness", "confirm"): "confirm"}  # fmt: skip


def _which(conn: Connection, secret: str | None, allowed: set[str]) -> tuple[str, str]:
    """The (purpose, action) of a link this module opens, if it is one; LinkRefused otherwise."""
    row = None
    if secret and len(secret) <= links.MAX_SECRET:
        row = conn.execute(
            text("SELECT purpose, action FROM link_tokens WHERE token_hash = :h"), {"h": digest(secret)}
        ).first()
    if row is None:
        raise links.LinkRefused(
            "This link is not one of ours", "Open the link from your email again, in full."
        )
    pair = (str(row[0]), str(row[1]))
    if OPENS.get(pair) not in allowed:
        raise links.LinkRefused(
            "This link is not for this page", "Use the link from the email about your listing."
        )
    return pair


def open_link(conn: Connection, secret: str | None) -> dict[str, Any]:
    """What a live emailed link does (sign in, or confirm) and for which listing, without using it."""
    purpose, action = _which(conn, secret, {"sign-in", "confirm"})
    link = links.peek(conn, secret, purpose, actions=(action,))
    record = snapshot(conn, link.object_type, link.object_id)
    return {"does": OPENS[(purpose, action)], "kind": link.object_type, "id": link.object_id,
            "name": record["name"]}  # fmt: skip


def start_session(conn: Connection, secret: str | None, hours: int) -> tuple[str, Session]:
    """Use a sign-in (or freshness "update") link once; a new session's secret, for that one record."""
    purpose, action = _which(conn, secret, {"sign-in"})
    link = links.redeem(conn, secret, purpose, actions=(action,))
    snapshot(conn, link.object_type, link.object_id)  # NotFound if the record has gone
    session = links.issue(
        conn,
        "organiser",
        link.object_type,
        link.object_id,
        expires_in=timedelta(hours=hours),
        action="session",
    )
    audit.record(conn, ORGANISER, "organiser-sign-in", object_type=link.object_type, object_id=link.object_id,
                 district=_district(conn, link.object_type, link.object_id))  # fmt: skip
    return session, Session(link.object_type, link.object_id, csrf_of(session))


def csrf_of(session_secret: str) -> str:
    """The token an organiser's forms carry: derived from the session's secret, which no page shows."""
    return hashlib.sha256(CSRF_SALT + session_secret.encode()).hexdigest()


def current_session(conn: Connection, secret: str | None) -> Session:
    """The live session of a cookie's secret; Unauthorized when there is none (ended, expired, unknown)."""
    try:
        link = links.peek(conn, secret, "organiser", actions=("session",))
    except links.LinkRefused:
        raise Unauthorized(
            "You are not signed in to update a listing",
            "Your sign-in may have ended. Ask for a new link from your listing on the map.",
        ) from None
    assert secret is not None
    return Session(link.object_type, link.object_id, csrf_of(secret))


def end_session(conn: Connection, secret: str | None) -> None:
    """Sign out: the session stops working at once (nothing happens for an unknown or ended one)."""
    try:
        links.redeem(conn, secret, "organiser", actions=("session",))
    except links.LinkRefused:
        return


def _own(conn: Connection, secret: str | None, csrf: str | None, kind: str, record_id: int) -> Session:
    session = current_session(conn, secret)
    if not csrf or not hmac.compare_digest(session.csrf_token, csrf):
        raise Forbidden("The form's security token is missing or wrong", "Reload the page and try again.")
    if (session.kind, session.record_id) != (kind, record_id):
        raise Forbidden(
            "You are signed in to update another listing",
            "Each link opens one listing. Ask for a link from this listing's details on the map.",
        )
    return session


# ---------------------------------------------------------------- the form


def listing_view(conn: Connection, secret: str | None) -> dict[str, Any]:
    """What the organiser's form shows: the record's editable fields and any change waiting for review."""
    session = current_session(conn, secret)
    record = snapshot(conn, session.kind, session.record_id)
    pending = conn.execute(
        text("SELECT id, changes, created_at FROM listing_changes WHERE object_type = :k AND object_id = :i "
             "AND status = 'pending' ORDER BY id DESC LIMIT 1"),
        {"k": session.kind, "i": session.record_id},
    ).mappings().first()  # fmt: skip
    fields = {f: record.get(f) for f in (*LIVE[session.kind], *REVIEWED[session.kind])}
    return {"kind": session.kind, "id": session.record_id, "name": record["name"], "fields": fields,
            "sample": bool(record.get("venue_sample")) or "sample" in str(record.get("source") or "").lower(),
            "pending": [{"field": f, "label": LABELS.get(f, f), "new": v[1]} for f, v in (pending["changes"] if pending else {}).items()],
            "csrf_token": session.csrf_token, "categories": GROUP_CATEGORIES, "days": DAYS}  # fmt: skip


def _one(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[-1].strip()


def _meets(form: Mapping[str, list[str]], current: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:  # fmt: skip
    out: list[dict[str, Any]] = []
    problems: list[tuple[str, str]] = []
    for n in range(MEETING_ROWS):
        days = [d for d in form.get(f"meets-{n}-days", []) if d in DAYS]
        start, end = _one(form, f"meets-{n}-start"), _one(form, f"meets-{n}-end")
        if not days and not start and not end:
            continue
        row: dict[str, Any] = {"days": days, "start": start[:5], "end": end[:5]}
        frequency = current[n].get("frequency") if n < len(current) and isinstance(current[n], dict) else None
        if frequency:
            row["frequency"] = frequency
        if (
            not days
            or not re.fullmatch(r"\d\d:\d\d", row["start"])
            or not re.fullmatch(r"\d\d:\d\d", row["end"])
        ):
            problems.append((f"meets-{n}", "Choose the days, and give a start and an end time like 14:00."))
        elif row["end"] <= row["start"]:
            problems.append((f"meets-{n}", "The end time must be after the start time."))
        out.append(row)
    return out, problems


def _notes(current: Any, note: str, key: str = "notes") -> dict[str, Any]:
    out = dict(current or {})
    if note:
        out[key] = note
    else:
        out.pop(key, None)
    return out


def form_values(kind: str, current: Mapping[str, Any], form: Mapping[str, list[str]]) -> tuple[dict[str, Any], list[tuple[str, str]]]:  # fmt: skip
    """The record's editable fields as the form gives them (an empty box clears a field), and the problems."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for f in ("name", "description", "website", "email", "phone", "venue_address", "address", "postcode",
              "opening_hours"):  # fmt: skip
        if f in (*LIVE[kind], *REVIEWED[kind]) and f in form:
            values[f] = _one(form, f) or None
    if "access_notes" in form:
        values["accessibility"] = _notes(current.get("accessibility"), _one(form, "access_notes"))
    if kind == "group" and "meets-present" in form:
        values["meets"], problems = _meets(form, list(current.get("meets") or []))
    if kind == "space" and "availability_notes" in form:
        values["availability"] = _notes(current.get("availability"), _one(form, "availability_notes"))
    if kind == "group" and "categories-present" in form:
        values["categories"] = [c for c in form.get("categories", []) if c in GROUP_CATEGORIES]
    if "name" in values and not values["name"]:
        problems.append(("name", PROBLEMS["name"]))
        values.pop("name")
    if values.get("postcode"):  # stored as Royal Mail writes it (NR3 2AD), or a problem beside the box
        postcode = normalise_postcode(values["postcode"])
        if postcode is None:
            problems.append(("postcode", PROBLEMS["postcode"]))
            values.pop("postcode")
        else:
            values["postcode"] = postcode
    checked: dict[str, Any] = {}
    for f, v in values.items():
        if f == "meets" and problems:
            continue
        try:
            checked |= parse_changes(kind, {f: v})
        except InvalidInput:
            problems.append((f, PROBLEMS.get(f, "This answer is not valid.")))
    return checked, problems


def save_listing(
    conn: Connection,
    secret: str | None,
    csrf: str | None,
    kind: str,
    record_id: int,
    form: Mapping[str, list[str]],
    *,
    public_url: str,
) -> dict[str, list[str]]:
    """Save the organiser's form: small fields live at once (a version by the organiser), the name, place
    and categories as a change waiting for the co-ordinator. Saving also confirms the listing is right."""
    _own(conn, secret, csrf, kind, record_id)
    current = snapshot(conn, kind, record_id, lock=True)
    values, problems = form_values(kind, current, form)
    if problems:
        raise InvalidListing(problems)
    live = {f: v for f, v in values.items() if f in LIVE[kind] and v != current.get(f)}
    review = {
        f: [current.get(f), v] for f, v in values.items() if f in REVIEWED[kind] and v != current.get(f)
    }
    district = _district(conn, kind, record_id)
    if live:
        version = apply_changes(conn, ORGANISER, kind, record_id, live | {"last_verified_at": func.now()})
        if version is not None:
            conn.execute(_SET_AUTHOR, {"k": kind, "i": record_id, "v": version["version"]})
        freshness.clear(conn, kind, record_id)
    else:
        freshness.confirm_as_organiser(conn, kind, record_id)
    if review:
        conn.execute(
            text("UPDATE listing_changes SET status = 'superseded', decided_at = now() WHERE object_type = :k "
                 "AND object_id = :i AND status = 'pending'"), {"k": kind, "i": record_id},
        )  # fmt: skip
        change_id = conn.execute(
            text("INSERT INTO listing_changes (object_type, object_id, changes, district_code) "
                 "VALUES (:k, :i, :c, :d) RETURNING id").bindparams(bindparam("c", type_=JSONB)),
            {"k": kind, "i": record_id, "c": review, "d": district},
        ).scalar_one()  # fmt: skip
        _tell_coordinators(conn, district, change_id, current["name"], public_url)
    audit.record(conn, ORGANISER, "organiser-update", object_type=kind, object_id=record_id, district=district,
                 detail={"live": sorted(live), "for_review": sorted(review)})  # fmt: skip
    return {"live": sorted(live), "review": sorted(review)}


def _tell_coordinators(
    conn: Connection, district: str | None, change_id: int, name: str, public_url: str
) -> None:
    if district is None:
        return
    found = conn.execute(
        text("SELECT DISTINCT u.email FROM users u JOIN user_districts d ON d.user_id = u.id WHERE "
             "u.role = 'coordinator' AND u.disabled_at IS NULL AND d.district_code = :d ORDER BY u.email"),
        {"d": district},
    ).scalars()  # fmt: skip
    for address in found:
        enqueue(conn, key=f"listing-change:{change_id}:waiting:{address}", to=str(address), role="coordinator",
                subject=f"A change to {name} waits for you",
                body=(f"The organiser of {name} asked to change its name, place or types.\n\nApprove or reject it "
                      f"on your patch page:\n{public_url.rstrip('/')}/patch/{district}#pm-listing-changes\n"),
                about=f"listing change {change_id}", district_code=district)  # fmt: skip


# ---------------------------------------------------------------- the co-ordinator's review


def _words(field: str, value: Any) -> str:
    if value in (None, "", [], {}):
        return "(none)"
    if field == "categories" and isinstance(value, list):
        return ", ".join(GROUP_CATEGORIES.get(str(c), str(c)).split(" (")[0] for c in value)
    return str(value)


def pending_changes(conn: Connection, actor: Actor, district: str) -> list[dict[str, Any]]:
    """The organisers' changes waiting in a district, oldest first: the listing, and each field's old and new."""
    require_user(actor)
    require_district(actor, {district})
    rows = conn.execute(
        text("""SELECT c.id, c.object_type, c.object_id, c.changes, c.created_at,
                       coalesce(g.name, h.name, s.name) AS name
                FROM listing_changes c
                LEFT JOIN groups g ON c.object_type = 'group' AND g.id = c.object_id
                LEFT JOIN hubs h ON c.object_type = 'hub' AND h.id = c.object_id
                LEFT JOIN spaces s ON c.object_type = 'space' AND s.id = c.object_id
                WHERE c.status = 'pending' AND c.district_code = :d ORDER BY c.created_at, c.id"""),
        {"d": district},
    ).mappings()  # fmt: skip
    return [
        {"id": r["id"], "kind": r["object_type"], "record_id": r["object_id"], "name": r["name"] or "(removed)",
         "kind_words": KIND_WORDS.get(r["object_type"], r["object_type"]), "at": r["created_at"].isoformat(),
         "url": f"/{r['object_type']}s/{r['object_id']}",
         "fields": [{"field": f, "label": LABELS.get(f, f), "old": _words(f, v[0]), "new": _words(f, v[1])}
                    for f, v in r["changes"].items()]}
        for r in rows
    ]  # fmt: skip


_MOVE: Final = {
    # a hub or a space is where its postcode is; a group only when it meets at its own venue (not a hub's
    # point, and never one shown by area only)
    kind: text(
        f"UPDATE {table} t SET geom = p.geom FROM postcodes p WHERE t.id = :i AND p.postcode = :pc"
        + (" AND t.location_precision = 'venue'" if kind == "group" else "")
        + " AND NOT ST_Equals(t.geom, p.geom)"
    )
    for kind, table in (("group", "groups"), ("hub", "hubs"), ("space", "spaces"))
}


def _move_to_postcode(conn: Connection, kind: str, record_id: int, postcode: str) -> bool:
    """Move the record's point to its new postcode's (an approved change of place); whether it moved. A postcode
    Patchmap does not know leaves the point as it was (the co-ordinator can place it on the record's page)."""
    known = normalise_postcode(postcode)
    return known is not None and conn.execute(_MOVE[kind], {"i": record_id, "pc": known}).rowcount > 0


def decide_change(
    conn: Connection,
    actor: Actor,
    district: str,
    change_id: int,
    *,
    approve: bool,
    reason: str = "",
    public_url: str,
) -> dict[str, Any]:
    """Approve (apply as a version sourced from the organiser) or reject (with a reason) a waiting change."""
    require_user(actor)
    require_district(actor, {district})
    row = conn.execute(
        text("SELECT id, object_type, object_id, changes, status, district_code FROM listing_changes "
             "WHERE id = :id FOR UPDATE"), {"id": change_id},
    ).mappings().first()  # fmt: skip
    if row is None or row["district_code"] != district:
        raise NotFound(f"No change {change_id} waits in {district}", "Choose one from your patch page.")
    if row["status"] != "pending":
        raise Conflict(f"This change was already {row['status']}", "Reload your patch page.")
    reason = (reason or "").strip()
    if not approve and not (1 <= len(reason) <= 500):
        raise InvalidInput(
            "Give a reason for rejecting (at most 500 characters)", "The organiser is told it."
        )
    kind, record_id = row["object_type"], row["object_id"]
    record = snapshot(conn, kind, record_id)
    version = None
    moved = False
    if approve:
        values = {f: v[1] for f, v in row["changes"].items() if f in REVIEWED.get(kind, ())}
        if values.get("postcode"):
            moved = _move_to_postcode(conn, kind, record_id, values["postcode"])
        version = apply_changes(conn, actor, kind, record_id, parse_changes(kind, values))
        if version is not None:
            conn.execute(_SET_AUTHOR, {"k": kind, "i": record_id, "v": version["version"]})
    status = "approved" if approve else "rejected"
    conn.execute(
        text("UPDATE listing_changes SET status = :s, decided_by = :u, decided_at = now(), reason = :r WHERE id = :id"),
        {"s": status, "u": actor.user_id, "r": reason or None, "id": change_id},
    )  # fmt: skip
    audit.record(conn, actor, "listing-change-approve" if approve else "listing-change-reject",
                 object_type=kind, object_id=record_id, district=district,
                 detail={"listing_change": change_id, "source": "organiser", "moved_to_postcode": moved,
                         "version": version["version"] if version else None})  # fmt: skip
    now = snapshot(conn, kind, record_id) if approve else record
    _tell_organiser(conn, now, kind, change_id, approve, reason, public_url, district)
    return {"id": change_id, "status": status, "version": version["version"] if version else None}


def _tell_organiser(conn: Connection, record: Mapping[str, Any], kind: str, change_id: int, approve: bool,
                    reason: str, public_url: str, district: str) -> None:  # fmt: skip
    address = organiser_email(record)
    if address is None:
        return
    name = record["name"]
    if approve:
        subject, said = (
            f"Your change to {name} is live",
            "The co-ordinator approved your change: it is on the map now.",
        )
    else:
        subject, said = (
            f"Your change to {name} was not made",
            f"The co-ordinator did not make your change. Their reason:\n\n{reason}",
        )
    enqueue(conn, key=f"listing-change:{change_id}:{'approved' if approve else 'rejected'}:organiser", to=address,
            role="organiser", subject=subject,
            body=f"Hello,\n\n{said}\n\nPatchmap: {public_url.rstrip('/')}/\n",
            about=f"listing change {change_id}", district_code=district)  # fmt: skip
