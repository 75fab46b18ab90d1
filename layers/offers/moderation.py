"""Moderating residents' offers: the queue, approve (publish, or merge into a record), reject, ask for more.

Every function takes the ``actor`` and checks it here: a co-ordinator sees and decides only their districts'
submissions (another district's submission is NotFound: that it exists is private), officers and admins any.
The resident's ``contact`` is returned only to an actor who covers the submission's district. Each decision
writes one audit row naming ids, kinds and outcomes, never the resident's words or contact.

What approval publishes (everything the resident gave: ``layers.offers.approval`` builds the fields):
- a **group** suggestion becomes a ``groups`` row (status active), its days and times as ``meets``. Its point
  is published when the moderator says so (``place="venue"``) or, by default, when the resident named a venue
  and gave a precise place (a point, or a full postcode that is not approximate); otherwise the group serves
  the submission's ward (or, without one, its district). The resident's contact becomes the group's private
  contact only if they said they run it;
- a **space** becomes a ``spaces`` row (status available) at the submission's point, its days and words as
  its availability, with the resident's contact as its private contact (they offered it);
- an offer of **help** is accepted but publishes nothing: a volunteer's offer stays private, open for
  follow-up (``follow_up = 'open'``).
The moderator may correct the fields first (``corrections``, checked before anything is written); the
corrections go into the record and its first version, and the submission keeps the resident's words.
With ``merge_into`` the submission fills the empty fields of an existing record of its kind instead.
Nothing is deleted: ``erase_expired`` blanks the personal parts of old rejected or withdrawn submissions.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Connection, RowMapping, insert, select, text
from sqlalchemy.exc import DataError, IntegrityError

from layers.access import audit
from layers.access.scope import Actor, record_districts, require_district, require_user
from layers.errors import InvalidInput, NotFound
from layers.models import Group, Space, Submission, table_of
from layers.offers import approval, notices
from layers.records import versions

STATUSES: Final = ("pending", "approved", "rejected", "needs_info", "withdrawn")
OPEN: Final = ("pending", "needs_info")
MAX_REASON: Final = 500
#: what erase_expired keeps of details: the kind of offer, never words a resident wrote or where they are
KEEP_AFTER_ERASE: Final = ("categories", "space_kind", "price_band", "capacity", "days", "step_free")
DAY_NAMES: Final = approval.DAY_NAMES
COLUMNS: Final = (
    "s.id, s.reference, s.kind, s.status, s.created_at, s.district_code, s.ward_code, s.postcode, s.details, "
    "s.contact, s.moderated_by, s.moderated_at, s.decision_reason, s.published_as, s.erased_at, "
    + notices.REPLIES_COLUMN
)
_SUBMISSIONS = table_of(Submission)


def _view(actor: Actor, row: RowMapping) -> dict[str, Any]:
    """A submission as a moderator sees it; the contact only for an actor covering its district."""
    out = dict(row)
    district = {row["district_code"]} if row["district_code"] else set()
    if not actor.covers(district):
        out["contact"] = None
        out["replies"] = None  # the resident's answers are as private as their contact
    return out


def queue(
    conn: Connection, actor: Actor, *, district: str | None = None, status: str = "pending"
) -> list[dict[str, Any]]:
    """Submissions with a status in the actor's districts (or one district), oldest first."""
    require_user(actor)
    if status not in STATUSES:
        raise InvalidInput(f"Unknown status {status[:20]!r}", f"Use one of {', '.join(STATUSES)}.")
    if district is not None:
        require_district(actor, {district})
    everywhere = district is None and actor.role in ("admin", "officer")
    districts = [district] if district is not None else sorted(actor.districts)
    rows = conn.execute(
        text(
            f"SELECT {COLUMNS} FROM submissions s WHERE s.status = :status "
            "AND (CAST(:everywhere AS boolean) OR s.district_code = ANY(:districts)) "
            "ORDER BY s.created_at, s.id"
        ),
        {"status": status, "everywhere": everywhere, "districts": districts},
    ).mappings()
    return [_view(actor, r) for r in rows]


def _find(conn: Connection, actor: Actor, submission_id: int, *, lock: bool = False) -> RowMapping:
    """One submission the actor may see (NotFound otherwise, even when it exists elsewhere)."""
    require_user(actor)
    query = f"SELECT {COLUMNS}, s.geom IS NOT NULL AS located FROM submissions s WHERE s.id = :i"
    row = conn.execute(text(query + (" FOR UPDATE" if lock else "")), {"i": submission_id}).mappings().first()
    if row is None:
        raise NotFound("No such submission", "It may have been removed, or it is not in your districts.")
    require_district(actor, {row["district_code"]} if row["district_code"] else set(), hidden=True)
    return row


def get_submission(conn: Connection, actor: Actor, submission_id: int) -> dict[str, Any]:
    """One submission, with its private contact, for an actor covering its district."""
    row = _find(conn, actor, submission_id)
    return _view(actor, row)


def check_view(conn: Connection, actor: Actor, district: str, submission_id: int) -> dict[str, Any]:
    """A submission of ``district`` and what approving it would publish (the check page's data).

    ``offer`` is the record's fields before any correction; ``place`` where a group would be shown by default
    (venue or area); ``located`` whether the submission has a point at all. Another district's page is
    Forbidden, as its patch page is; a submission not in ``district`` is NotFound."""
    require_user(actor)
    require_district(actor, {district})
    row = _find(conn, actor, submission_id)
    if row["district_code"] != district:
        raise NotFound("No such offer in this district", "Choose one from your patch page.")
    kind = row["kind"]
    offer = approval.offered(kind, row["details"], row["contact"]) if kind != "help" else {}
    place = ("venue" if _precise(row["details"]) and row["located"] else "area") if kind == "group" else None
    return {"submission": _view(actor, row), "offer": offer, "place": place, "located": bool(row["located"])}


def approve_from_form(
    conn: Connection, actor: Actor, district: str, submission_id: int, form: dict[str, list[str]]
) -> dict[str, Any]:
    """Approve a submission of ``district`` from the check page's form (its corrections and place).

    The scope is checked first (another district's offer is NotFound whatever was sent), then the form is read
    and checked field by field (``approval.InvalidCorrections``), and nothing is written unless all is well."""
    view = check_view(conn, actor, district, submission_id)
    kind = view["submission"]["kind"]
    if kind == "help":
        return approve(conn, actor, submission_id)
    corrections, place = approval.corrections_from_form(kind, form)
    return approve(conn, actor, submission_id, corrections=corrections, place=place)


def _open(row: RowMapping) -> None:
    if row["status"] not in OPEN:
        raise InvalidInput(
            f"Submission {row['reference']} is already {row['status'].replace('_', ' ')}",
            "Only pending submissions, or those waiting for more information, can be decided.",
        )


def _decide(
    conn: Connection,
    actor: Actor,
    row: RowMapping,
    status: str,
    reason: str | None,
    published_as: str | None = None,
) -> None:
    conn.execute(
        text(
            "UPDATE submissions SET status = :status, decision_reason = :reason, published_as = :published, "
            "moderated_by = :by, moderated_at = now(), updated_at = now() WHERE id = :i"
        ),
        {"status": status, "reason": reason, "published": published_as, "by": actor.user_id, "i": row["id"]},
    )


def _precise(details: dict[str, Any]) -> bool:
    """Whether the resident named a venue and a precise place, so its point may be published."""
    where = details.get("where") or {}
    return (
        bool(details.get("venue"))
        and where.get("given") in ("point", "postcode")
        and not where.get("approximate", True)
    )


def _group_fields(row: RowMapping) -> dict[str, Any]:
    return approval.group_fields(row["details"], row["contact"])


def _space_fields(row: RowMapping) -> dict[str, Any]:
    return approval.space_fields(row["details"], row["contact"])


def _point(submission_id: int) -> Any:
    return select(_SUBMISSIONS.c.geom).where(_SUBMISSIONS.c.id == submission_id).scalar_subquery()


def _create(conn: Connection, row: RowMapping, fields: dict[str, Any], place: str | None = None) -> int:
    """A new public record from a group or space submission and its (corrected) fields; its id.

    A group is shown at the submission's point when ``place`` is venue (or, without ``place``, when the
    resident named a venue and a precise place); otherwise it serves the submission's ward (or district)."""
    source = {"source": "submission", "source_id": row["reference"]}
    if row["kind"] == "space":
        if not row["located"]:
            raise InvalidInput("This offer of a space has no point", "Ask the resident where it is.")
        table = table_of(Space)
        values = {
            **fields,
            **source,
            "status": "available",
            "postcode": row["postcode"],
            "geom": _point(row["id"]),
        }
        return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())
    table = table_of(Group)
    values = {"status": "active", **fields, **source, "location_precision": "area"}
    if place == "venue" and not row["located"]:
        raise approval.InvalidCorrections([("place", "this offer has no point: show it as serving its area")])
    if row["located"] and (place == "venue" or (place is None and _precise(row["details"]))):
        values |= {"location_precision": "venue", "postcode": row["postcode"], "geom": _point(row["id"])}
    group_id = int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())
    if values["location_precision"] == "area":
        area = row["ward_code"] or row["district_code"]
        conn.execute(
            text("INSERT INTO group_areas (group_id, area_id) SELECT :g, id FROM areas WHERE code = :c"),
            {"g": group_id, "c": area},
        )
    return group_id


def _publish(
    conn: Connection, actor: Actor, row: RowMapping, corrections: dict[str, Any] | None, place: str | None
) -> str:
    """Publish a group or space with the moderator's corrections; its first version records what they changed."""
    kind = row["kind"]
    fixed = approval.check_corrections(kind, corrections) if corrections else {}
    place = approval.check_place(kind, place)
    offer = approval.offered(kind, row["details"], row["contact"])
    try:
        with conn.begin_nested():
            record_id = _create(conn, row, {**offer, **fixed}, place)
    except (IntegrityError, DataError):
        raise InvalidInput(
            "A corrected value is not one the record allows", "Check the values against the lists offered."
        ) from None
    changed = approval.corrected(offer, fixed)
    versions.write_version(conn, actor, kind, record_id, "create", {"corrected": changed} if changed else {})
    return f"{kind}/{record_id}"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _merge(conn: Connection, actor: Actor, row: RowMapping, kind: str, record_id: int) -> list[str]:
    """Fill a record's empty editable fields from a submission; the fields filled."""
    if kind != row["kind"]:
        raise InvalidInput(
            f"A {row['kind']} submission cannot be merged into a {kind}",
            f"Choose a {row['kind']} to merge into.",
        )
    require_district(actor, record_districts(conn, kind, record_id))
    fields = _group_fields(row) if kind == "group" else _space_fields(row)
    current = versions.snapshot(conn, kind, record_id, lock=True)
    fill = {
        k: v
        for k, v in fields.items()
        if k in versions.EDITABLE[kind] and _empty(current.get(k)) and not _empty(v)
    }
    if fill:
        versions.apply_changes(conn, actor, kind, record_id, fill)
    return sorted(fill)


def approve(
    conn: Connection,
    actor: Actor,
    submission_id: int,
    *,
    merge_into: tuple[str, int] | None = None,
    corrections: dict[str, Any] | None = None,
    place: str | None = None,
) -> dict[str, Any]:
    """Approve a submission: publish it (group, space) with any corrections, merge it, or accept it (help).

    ``corrections`` are fields of the new record (``approval.CORRECTABLE``), checked before anything is
    written; ``place`` (groups) is venue or area. An accepted offer of help is left open for follow-up."""
    row = _find(conn, actor, submission_id, lock=True)
    _open(row)
    kind, filled = row["kind"], []
    if (corrections or place is not None) and (kind == "help" or merge_into is not None):
        raise InvalidInput(
            "Corrections apply only to a new group or space",
            "Approve an offer of help, or a merge, without corrections or place.",
        )
    if kind == "help":
        if merge_into is not None:
            raise InvalidInput(
                "An offer of help is not merged into a record", "Approve it without merge_into."
            )
        outcome, published_as = "accepted", None
    elif merge_into is not None:
        filled = _merge(conn, actor, row, *merge_into)
        outcome, published_as = "merged", f"{merge_into[0]}/{merge_into[1]}"
    else:
        published_as = _publish(conn, actor, row, corrections, place)
        outcome = "published"
    _decide(conn, actor, row, "approved", None, published_as)
    if kind == "help":
        conn.execute(text("UPDATE submissions SET follow_up = 'open' WHERE id = :i"), {"i": row["id"]})
    notices.decided(conn, row["id"])
    audit.record(
        conn,
        actor,
        "submission-approve",
        object_type="submission",
        object_id=row["id"],
        district=row["district_code"],
        detail={
            "kind": kind,
            "outcome": outcome,
            "published_as": published_as,
            "filled": filled,
            "corrected": sorted(corrections or {}),
        },
    )
    return {
        "id": row["id"],
        "reference": row["reference"],
        "kind": kind,
        "status": "approved",
        "outcome": outcome,
        "published_as": published_as,
    }


def _words(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"Give a {what}", f"Say in a sentence or two (at most {MAX_REASON} characters).")
    if len(value) > MAX_REASON:
        raise InvalidInput(f"The {what} is too long", f"Use at most {MAX_REASON} characters.")
    return value


def reject(conn: Connection, actor: Actor, submission_id: int, reason: str) -> dict[str, Any]:
    """Reject a submission, saying why (required, at most 500 characters)."""
    return _settle(conn, actor, submission_id, "rejected", (reason, "reason"), "submission-reject")


def ask_for_info(conn: Connection, actor: Actor, submission_id: int, question: str) -> dict[str, Any]:
    """Ask the resident for more information (the question is required): status needs_info."""
    return _settle(conn, actor, submission_id, "needs_info", (question, "question"), "submission-needs-info")


def _settle(
    conn: Connection, actor: Actor, submission_id: int, status: str, said: tuple[str, str], action: str
) -> dict[str, Any]:
    """Record a decision that publishes nothing (rejected, or waiting for an answer), with one audit row.

    ``said`` is the moderator's words and what they are (reason, question): checked after the scope check,
    so another district's submission is a 404 whatever was sent."""
    row = _find(conn, actor, submission_id, lock=True)
    words = _words(*said)
    _open(row)
    _decide(conn, actor, row, status, words)
    notices.decided(conn, row["id"])
    audit.record(
        conn,
        actor,
        action,
        object_type="submission",
        object_id=row["id"],
        district=row["district_code"],
        detail={"kind": row["kind"]},
    )
    return {
        "id": row["id"],
        "reference": row["reference"],
        "kind": row["kind"],
        "status": status,
        "outcome": status,
        "published_as": None,
    }


def erase_expired(conn: Connection, *, retention_days: int) -> int:
    """Erase the personal parts of rejected or withdrawn submissions decided over retention_days ago.

    The contact, the resident's words (all of ``details`` but KEEP_AFTER_ERASE), the postcode, the point and
    the decision's reason go; the row stays (kind, status, ward, district, dates) with ``erased_at`` set.
    """
    if retention_days < 1:
        raise InvalidInput("retention_days must be 1 or more", "Give a number of days.")
    rows = conn.execute(
        text(
            "UPDATE submissions SET contact = '{}'::jsonb, postcode = NULL, geom = NULL, decision_reason = NULL, "
            "details = (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) FROM jsonb_each(details) "
            "WHERE key = ANY(:keep)), erased_at = now(), updated_at = now() "
            "WHERE status IN ('rejected', 'withdrawn') AND erased_at IS NULL "
            "AND coalesce(moderated_at, updated_at) < now() - make_interval(days => :days) RETURNING id"
        ),
        {"keep": list(KEEP_AFTER_ERASE), "days": retention_days},
    )
    return len(rows.all())
