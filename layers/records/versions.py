"""Editing groups, hubs and spaces, with a version kept of every change, and confirming them (one click).
A hub's rooms keep versions too (written by the room form, ``layers.records.forms.save_room``), listed and
restored here like the others; a room is in its hub's district and is not confirmed on its own.

Every function takes the ``actor`` and checks it here (``record_districts`` + ``require_district``): a
co-ordinator edits only their districts' records; officers and admins any. Each change writes one
``record_versions`` row (the fields changed as ``{field: [old, new]}`` and a snapshot of the record after
it, private contact included: versions are read only by actors who cover the record) and one audit row.

Only the fields in ``EDITABLE`` may be changed; a record's point is not one of them. Values are checked for
shape by the ``*Changes`` models and for vocabulary by the database's CHECK constraints (built from
``layers.taxonomy``), whose refusal becomes ``InvalidInput``. A record imported before versions existed has
none; its first tracked change first stores version 1 ("create", ``changed_by`` NULL): the record as it stood.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import Connection, bindparam, func, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DataError, IntegrityError

from layers.access import audit
from layers.access.scope import KINDS_TABLE, Actor, record_districts, require_district, require_user
from layers.errors import InvalidInput, NotFound
from layers.fields import Email, Name, Phone, Short, Text, Url, Word, plain
from layers.models import Group, Hub, Room, Space, table_of
from layers.records.hours_store import register_hours
from layers.sql import sql

Words = Annotated[list[Word], Field(max_length=30)]
Key = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), AfterValidator(plain)
]
Notes = Annotated[dict[Key, bool | int | float | Short | None], Field(max_length=30)]
Hhmm = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class _Changes(BaseModel):
    """Only the named fields; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Meeting(_Changes):
    """When a group meets: days (mo..su), 24-hour start and end, how often."""

    days: Annotated[list[Key], Field(min_length=1, max_length=7)]
    start: Hhmm
    end: Hhmm
    frequency: Key | None = None


class Availability(_Changes):
    """When a space is free: weekdays, evenings, weekends (None: not known), from, until, notes."""

    weekdays: bool | None = None
    evenings: bool | None = None
    weekends: bool | None = None
    from_: Short | None = Field(default=None, alias="from")
    until: Short | None = None
    notes: Short | None = None


class _Common(_Changes):
    name: Name | None = None
    description: Text | None = None
    website: Url | None = None
    email: Email | None = None
    phone: Phone | None = None
    step_free: bool | None = None
    accessibility: Notes | None = None
    private_contact: Notes | None = Field(default=None, description="never public")


class GroupChanges(_Common):
    """Fields of a group that may be changed (status, categories and cost are checked by the database)."""

    categories: Words | None = None
    communities_of_identity: Words | None = None
    communities_of_interest: Words | None = None
    activities: Words | None = None
    meets: Annotated[list[Meeting], Field(max_length=14)] | None = None
    venue_address: Short | None = None
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] | None = None
    cost: Key | None = None
    age_min: Annotated[int, Field(ge=0, le=120)] | None = None
    age_max: Annotated[int, Field(ge=0, le=120)] | None = None
    languages: Words | None = None
    volunteers_wanted: bool | None = None
    skills_sought: Words | None = None
    status: Key | None = None


class HubChanges(_Common):
    """Fields of a hub that may be changed (kind and operator type are checked by the database)."""

    kind: Key | None = None
    address: Short | None = None
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] | None = None
    facilities: Words | None = None
    opening_hours: Short | None = None
    operator_name: Short | None = None
    operator_type: Key | None = None


class SpaceChanges(_Common):
    """Fields of a space that may be changed (kind, status and price band are checked by the database)."""

    kind: Key | None = None
    address: Short | None = None
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] | None = None
    floor_area_m2: Annotated[float, Field(gt=0, le=1_000_000)] | None = None
    capacity: Annotated[int, Field(ge=0, le=100_000)] | None = None
    price_amount: Annotated[float, Field(ge=0, le=10_000_000)] | None = None
    price_unit: Key | None = None
    price_band: Key | None = None
    availability: Availability | None = None
    terms: Short | None = None
    owner_name: Short | None = None
    status: Key | None = None


class RoomChanges(_Changes):
    """Fields of a hub's room that may be changed (those of its form); restore puts these back."""

    name: Name | None = None
    description: Text | None = None
    capacity: Annotated[int, Field(ge=0, le=100_000)] | None = None
    floor_area_m2: Annotated[float, Field(gt=0, le=1_000_000)] | None = None
    facilities: Words | None = None
    step_free: bool | None = None


CHANGES: Final[dict[str, type[_Changes]]] = {
    "group": GroupChanges,
    "hub": HubChanges,
    "space": SpaceChanges,
    "room": RoomChanges,
}
EDITABLE: Final[dict[str, frozenset[str]]] = {k: frozenset(m.model_fields) for k, m in CHANGES.items()}
TABLES: Final = {
    "group": table_of(Group),
    "hub": table_of(Hub),
    "space": table_of(Space),
    "room": table_of(Room),
}
VERSIONED: Final = {**KINDS_TABLE, "room": "rooms"}
COMPUTED: Final = (
    "geom_bng",
    "search_text",
    "meets_minutes",
    "opening_minutes",
    "meets_public",
    "availability_public",
    "category_keys",
)
VERSION_COLUMNS: Final = "version, action, changed_at, changed_by, author_kind, changes, snapshot"
_INSERT_VERSION = text(
    "INSERT INTO record_versions (object_type, object_id, version, action, changed_by, changes, snapshot) "
    "VALUES (:kind, :id, :version, :action, :by, :changes, :snapshot) "
    f"RETURNING {VERSION_COLUMNS}"
).bindparams(bindparam("changes", type_=JSONB), bindparam("snapshot", type_=JSONB))


def parse_changes(kind: str, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes checked against the kind's model: only editable fields, each of the right shape."""
    if kind not in CHANGES:
        raise NotFound(f"Unknown kind {kind!r}", "Use group, hub, space or room.")
    try:
        parsed = CHANGES[kind].model_validate(changes)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        raise InvalidInput(f"Those are not valid changes to a {kind}", problems + ".") from None
    out = parsed.model_dump(mode="json", exclude_unset=True, by_alias=True)
    if not out:
        raise InvalidInput("Nothing to change", f"Send one or more of: {', '.join(sorted(EDITABLE[kind]))}.")
    return out


def snapshot(conn: Connection, kind: str, record_id: int, *, lock: bool = False) -> dict[str, Any]:
    """The record as JSON (point as GeoJSON, computed columns left out); NotFound if there is none."""
    table = VERSIONED[kind]  # a name from our own dict, never from the caller
    query = f"SELECT to_jsonb(r) - CAST(:drop AS text[]) FROM {table} r WHERE r.id = :i"
    row = conn.execute(
        text(query + (" FOR UPDATE" if lock else "")), {"i": record_id, "drop": list(COMPUTED)}
    )
    found = row.scalar()
    if found is None:
        raise NotFound(f"No {kind} {record_id}", "Check the number.")
    return dict(found)


def _latest(conn: Connection, kind: str, record_id: int) -> int:
    return int(
        conn.execute(
            text(
                "SELECT coalesce(max(version), 0) FROM record_versions WHERE object_type = :k AND object_id = :i"
            ),
            {"k": kind, "i": record_id},
        ).scalar_one()
    )


def write_version(
    conn: Connection, actor: Actor | None, kind: str, record_id: int, action: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Append the next version of a record (its snapshot as it now stands); the version row."""
    params = {
        "kind": kind,
        "id": record_id,
        "version": _latest(conn, kind, record_id) + 1,
        "action": action,
        "by": actor.user_id if actor else None,
        "changes": changes,
        "snapshot": snapshot(conn, kind, record_id),
    }
    return {"kind": kind, "id": record_id, **conn.execute(_INSERT_VERSION, params).mappings().one()}


def apply_changes(
    conn: Connection,
    actor: Actor,
    kind: str,
    record_id: int,
    values: dict[str, Any],
    *,
    action: str = "update",
) -> dict[str, Any] | None:
    """Write values to a record and a version of it; the version, or None when nothing differed.

    No scope check and no audit row: callers (``update_record``, ``restore``, moderation) do both.
    """
    before = snapshot(conn, kind, record_id, lock=True)
    if _latest(conn, kind, record_id) == 0:
        write_version(conn, None, kind, record_id, "create", {})
    table = TABLES[kind]
    if "opening_hours" in values:
        register_hours(conn, [values["opening_hours"]])
    try:
        with conn.begin_nested():
            conn.execute(update(table).where(table.c.id == record_id).values(**values))
    except (IntegrityError, DataError) as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or ""
        raise InvalidInput(
            f"The database refused that change to {kind} {record_id}",
            f"A value is not one it accepts ({constraint or 'check the values'}): "
            "see docs/taxonomy.md for categories, kinds, statuses and bands.",
        ) from None
    after = snapshot(conn, kind, record_id)
    changed = {f: [before.get(f), after.get(f)] for f in values if before.get(f) != after.get(f)}
    if not changed:
        return None
    return write_version(conn, actor, kind, record_id, action, changed)


def record_import(conn: Connection, kind: str, record_ids: list[int]) -> int:
    """Version records an import just wrote: a first "create" for new ones, an "import" with each changed
    field for updated ones (against the last version). Imports change records too, and every change is kept.
    Returns the versions written."""
    written = 0
    for record_id in sorted(set(record_ids)):
        latest = conn.execute(
            text(
                "SELECT snapshot FROM record_versions WHERE object_type = :k AND object_id = :i "
                "ORDER BY version DESC LIMIT 1"
            ),
            {"k": kind, "i": record_id},
        ).scalar()
        if latest is None:
            write_version(conn, None, kind, record_id, "create", {})
            written += 1
            continue
        now = snapshot(conn, kind, record_id)
        ignore = {"updated_at", "created_at"}
        changed = {f: [latest.get(f), v] for f, v in now.items() if f not in ignore and latest.get(f) != v}
        if changed:
            write_version(conn, None, kind, record_id, "import", changed)
            written += 1
    return written


def _scoped(conn: Connection, actor: Actor, kind: str, record_id: int) -> str | None:
    """Check the actor may edit the record; the district to audit it under."""
    require_user(actor)
    districts = record_districts(conn, kind, record_id)
    require_district(actor, districts)
    return min(districts) if districts else None


def _unchanged(conn: Connection, kind: str, record_id: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": record_id,
        "version": _latest(conn, kind, record_id),
        "action": "unchanged",
        "changed_at": None,
        "changed_by": None,
        "changes": {},
        "snapshot": snapshot(conn, kind, record_id),
    }


def update_record(
    conn: Connection, actor: Actor, kind: str, record_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change editable fields of a group, hub, space or room; the new version (action "unchanged" if none)."""
    district = _scoped(conn, actor, kind, record_id)
    values = parse_changes(kind, changes)
    version = apply_changes(conn, actor, kind, record_id, values)
    if version is None:
        return _unchanged(conn, kind, record_id)
    audit.record(
        conn,
        actor,
        "record-update",
        object_type=kind,
        object_id=record_id,
        district=district,
        detail={"version": version["version"], "fields": sorted(version["changes"])},
    )
    return version


def versions(conn: Connection, actor: Actor, kind: str, record_id: int) -> list[dict[str, Any]]:
    """Every version of a record, newest first."""
    _scoped(conn, actor, kind, record_id)
    rows = conn.execute(
        text(
            f"SELECT {VERSION_COLUMNS} FROM record_versions WHERE object_type = :k AND object_id = :i "
            "ORDER BY version DESC"
        ),
        {"k": kind, "i": record_id},
    ).mappings()
    return [{"kind": kind, "id": record_id, **r} for r in rows]


def restore(conn: Connection, actor: Actor, kind: str, record_id: int, version: int) -> dict[str, Any]:
    """Put a record's editable fields back as they were at a version; the new version ("restore")."""
    district = _scoped(conn, actor, kind, record_id)
    old = conn.execute(
        text(
            "SELECT snapshot FROM record_versions WHERE object_type = :k AND object_id = :i AND version = :v"
        ),
        {"k": kind, "i": record_id, "v": version},
    ).scalar()
    if old is None:
        raise NotFound(
            f"{kind.capitalize()} {record_id} has no version {version}", "List them: GET .../versions."
        )
    values = {f: v for f, v in dict(old).items() if f in EDITABLE[kind]}
    new = apply_changes(conn, actor, kind, record_id, values, action="restore")
    if new is None:
        return _unchanged(conn, kind, record_id)
    audit.record(
        conn,
        actor,
        "record-restore",
        object_type=kind,
        object_id=record_id,
        district=district,
        detail={"version": new["version"], "restored": version, "fields": sorted(new["changes"])},
    )
    return new


def confirm(conn: Connection, actor: Actor, kind: str, record_id: int) -> dict[str, Any]:
    """Mark a record as checked and still right today (last_verified_at = now()); the new version."""
    if kind not in KINDS_TABLE:
        raise NotFound(
            f"A {kind} is not confirmed on its own", "Confirm its hub: POST /hubs/{hub_id}/confirm."
        )
    district = _scoped(conn, actor, kind, record_id)
    before = snapshot(conn, kind, record_id, lock=True)
    if _latest(conn, kind, record_id) == 0:
        write_version(conn, None, kind, record_id, "create", {})
    table = TABLES[kind]
    conn.execute(update(table).where(table.c.id == record_id).values(last_verified_at=func.now()))
    after = snapshot(conn, kind, record_id)
    change = {"last_verified_at": [before.get("last_verified_at"), after.get("last_verified_at")]}
    version = write_version(conn, actor, kind, record_id, "confirm", change)
    audit.record(
        conn,
        actor,
        "record-confirm",
        object_type=kind,
        object_id=record_id,
        district=district,
        detail={"version": version["version"]},
    )
    return version


def stale(conn: Connection, actor: Actor, district: str, stale_after_days: int) -> list[dict[str, Any]]:
    """A district's current records not confirmed for stale_after_days (or never): never-confirmed first."""
    require_user(actor)
    require_district(actor, {district})
    known = conn.execute(
        text("SELECT 1 FROM areas WHERE code = :c AND kind = 'district'"), {"c": district}
    ).first()
    if known is None:
        raise NotFound(f"No district {district!r}", "Use a district code such as E07000148 (Norwich).")
    if stale_after_days < 1:
        raise InvalidInput("stale_after_days must be 1 or more", "Give a number of days.")
    rows = conn.execute(text(sql("records_stale.sql")), {"district": district, "days": stale_after_days})
    return [dict(r) for r in rows.mappings()]
