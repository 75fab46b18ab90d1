"""Moderating residents' offers: the queue, approve (publish, or merge into a record), reject, ask for more.

Every function takes the ``actor`` and checks it here: a co-ordinator sees and decides only their districts'
submissions (another district's submission is NotFound: that it exists is private), officers and admins any.
The resident's ``contact`` is returned only to an actor who covers the submission's district. Each decision
writes one audit row naming ids, kinds and outcomes, never the resident's words or contact.

What approval publishes:
- a **group** suggestion becomes a ``groups`` row (status active). Its point is published only when the
  resident named a venue and gave a precise place (a point, or a full postcode that is not approximate);
  otherwise the group serves the submission's ward (or, without one, its district). The resident's contact
  becomes the group's private contact only if they said they run it;
- a **space** becomes a ``spaces`` row (status available) at the submission's point, with the resident's
  contact as its private contact (they offered it);
- an offer of **help** is accepted but publishes nothing: a volunteer's offer stays private.
With ``merge_into`` the submission fills the empty fields of an existing record of its kind instead.
Nothing is deleted: ``erase_expired`` blanks the personal parts of old rejected or withdrawn submissions.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Connection, RowMapping, insert, select, text

from layers.access import audit
from layers.access.scope import Actor, record_districts, require_district, require_user
from layers.errors import InvalidInput, NotFound
from layers.models import Group, Space, Submission, table_of
from layers.records import versions

STATUSES: Final = ("pending", "approved", "rejected", "needs_info", "withdrawn")
OPEN: Final = ("pending", "needs_info")
MAX_REASON: Final = 500
#: what erase_expired keeps of details: the kind of offer, never words a resident wrote or where they are
KEEP_AFTER_ERASE: Final = ("categories", "space_kind", "price_band", "capacity", "days", "step_free")
DAY_NAMES: Final = {
    "mo": "Monday",
    "tu": "Tuesday",
    "we": "Wednesday",
    "th": "Thursday",
    "fr": "Friday",
    "sa": "Saturday",
    "su": "Sunday",
}
COLUMNS: Final = (
    "s.id, s.reference, s.kind, s.status, s.created_at, s.district_code, s.ward_code, s.postcode, s.details, "
    "s.contact, s.moderated_by, s.moderated_at, s.decision_reason, s.published_as, s.erased_at"
)
_SUBMISSIONS = table_of(Submission)


def _view(actor: Actor, row: RowMapping) -> dict[str, Any]:
    """A submission as a moderator sees it; the contact only for an actor covering its district."""
    out = dict(row)
    district = {row["district_code"]} if row["district_code"] else set()
    if not actor.covers(district):
        out["contact"] = None
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


def _when(details: dict[str, Any]) -> str:
    """When it meets or is free, in words, from the free text or else the days ticked."""
    if details.get("when"):
        return str(details["when"])
    days = [DAY_NAMES[d] for d in DAY_NAMES if d in (details.get("days") or [])]
    return ", ".join(days)


def _describe(details: dict[str, Any], word: str) -> str:
    when = _when(details)
    base = str(details.get("description") or "")
    return f"{base}\n\n{word}: {when}" if when else base


def _private(contact: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (contact or {}).items() if k in ("name", "email", "phone")}


def _precise(details: dict[str, Any]) -> bool:
    """Whether the resident named a venue and a precise place, so its point may be published."""
    where = details.get("where") or {}
    return (
        bool(details.get("venue"))
        and where.get("given") in ("point", "postcode")
        and not where.get("approximate", True)
    )


def _group_fields(row: RowMapping) -> dict[str, Any]:
    d = row["details"]
    fields: dict[str, Any] = {
        "name": d.get("name"),
        "description": _describe(d, "Meets"),
        "categories": list(d.get("categories") or []),
        "website": d.get("website"),
        "venue_address": d.get("venue"),
    }
    if d.get("is_organiser"):
        fields["private_contact"] = _private(row["contact"])
    return fields


def _space_fields(row: RowMapping) -> dict[str, Any]:
    d = row["details"]
    days = set(d.get("days") or [])
    return {
        "name": d.get("name"),
        "kind": d.get("space_kind"),
        "description": _describe(d, "Free"),
        "address": d.get("address"),
        "capacity": d.get("capacity"),
        "price_band": d.get("price_band"),
        "step_free": d.get("step_free"),
        "availability": {
            "weekdays": bool(days & {"mo", "tu", "we", "th", "fr"}) if days else None,
            "weekends": bool(days & {"sa", "su"}) if days else None,
            "notes": d.get("when"),
        },
        "private_contact": _private(row["contact"]),
    }


def _point(submission_id: int) -> Any:
    return select(_SUBMISSIONS.c.geom).where(_SUBMISSIONS.c.id == submission_id).scalar_subquery()


def _create(conn: Connection, row: RowMapping) -> int:
    """A new public record from a group or space submission; its id."""
    source = {"source": "submission", "source_id": row["reference"]}
    if row["kind"] == "space":
        if not row["located"]:
            raise InvalidInput("This offer of a space has no point", "Ask the resident where it is.")
        table = table_of(Space)
        values = {
            **_space_fields(row),
            **source,
            "status": "available",
            "postcode": row["postcode"],
            "geom": _point(row["id"]),
        }
        return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())
    table = table_of(Group)
    values = {**_group_fields(row), **source, "status": "active", "location_precision": "area"}
    if _precise(row["details"]) and row["located"]:
        values |= {"location_precision": "venue", "postcode": row["postcode"], "geom": _point(row["id"])}
    group_id = int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())
    if values["location_precision"] == "area":
        area = row["ward_code"] or row["district_code"]
        conn.execute(
            text("INSERT INTO group_areas (group_id, area_id) SELECT :g, id FROM areas WHERE code = :c"),
            {"g": group_id, "c": area},
        )
    return group_id


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
    conn: Connection, actor: Actor, submission_id: int, *, merge_into: tuple[str, int] | None = None
) -> dict[str, Any]:
    """Approve a submission: publish it (group, space), merge it into a record, or accept it (help)."""
    row = _find(conn, actor, submission_id, lock=True)
    _open(row)
    kind, filled = row["kind"], []
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
        record_id = _create(conn, row)
        versions.write_version(conn, actor, kind, record_id, "create", {})
        outcome, published_as = "published", f"{kind}/{record_id}"
    _decide(conn, actor, row, "approved", None, published_as)
    audit.record(
        conn,
        actor,
        "submission-approve",
        object_type="submission",
        object_id=row["id"],
        district=row["district_code"],
        detail={"kind": kind, "outcome": outcome, "published_as": published_as, "filled": filled},
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
