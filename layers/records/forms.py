"""The browser's forms for groups, hubs, spaces and a hub's rooms: a form checked field by field
(``form_fields``) with its place (``places``), then the create or edit written in one transaction with a
version (``layers.records.versions``) and an audit row. Nothing is written when any field has a problem.

The district comes from the place: a co-ordinator may neither create nor move a record outside their
districts (``Forbidden``; nothing is written).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import Connection, func, insert, text
from sqlalchemy.exc import DataError, IntegrityError

from layers import idempotency
from layers.access import audit
from layers.access.scope import Actor, record_districts, require_district, require_user
from layers.errors import InvalidInput, NotFound
from layers.models import Room, table_of
from layers.records.form_fields import (
    PLACE_MODES,
    PRIVATE,
    Form,
    fields_of,
    form_values,
    meets_of,
    one,
    value_of,
)
from layers.records.history import history
from layers.records.hours import opening_minutes
from layers.records.hours_store import register_hours
from layers.records.places import check_place, find_places, place
from layers.records.versions import TABLES, apply_changes, restore, snapshot, write_version

__all__ = ["create", "edit", "load", "load_room", "one", "record_page", "restore_in", "save_room"]
ROOMS: Final = table_of(Room)
_MOVED: Final = {"accessibility_notes", "step_free"} | {f.name for f in PRIVATE}


def parse(conn: Connection, kind: str, form: Form, record: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], Any, dict[str, str]]:  # fmt: skip
    """A form as the record's columns, its place (a point, or a group's area codes), and each problem."""
    problems: dict[str, str] = {}
    values = {f.name: value_of(f, form, problems) for f in fields_of(kind)}
    old = dict(record or {})
    if kind == "room":
        return values, None, problems
    columns = {k: v for k, v in values.items() if k not in _MOVED and not k.startswith("avail_")}
    columns["step_free"] = values["step_free"]
    notes = values["accessibility_notes"]
    columns["accessibility"] = {**(old.get("accessibility") or {}), "notes": notes}
    if notes is None:
        columns["accessibility"].pop("notes")
    private = {**(old.get("private_contact") or {})}
    for f in PRIVATE:
        private.pop(f.name[8:], None)
        if values[f.name] is not None:
            private[f.name[8:]] = values[f.name]
    columns["private_contact"] = private
    if kind == "group":
        columns["meets"] = meets_of(form, problems)
        if (values["age_min"] or 0) > (values["age_max"] or 120):
            problems["age_max"] = "the oldest age must not be below the youngest"
    if kind == "space":
        availability = {k[6:]: values[k] for k in values if k.startswith("avail_") and values[k] is not None}
        columns["availability"] = {**(old.get("availability") or {}), **availability}
    hours = values["opening_hours"] if kind == "hub" else None
    if hours not in (None, old.get("opening_hours")) and opening_minutes(hours) is None:
        problems["opening_hours"] = "Patchmap cannot read these hours: write them like Mo-Fr 09:00-17:00"
    where = place(conn, kind, form, problems, columns)
    if isinstance(where, tuple):
        columns["geom"] = func.ST_SetSRID(func.ST_MakePoint(*where), 4326)
    return columns, where, problems


def _refused(exc: IntegrityError | DataError, kind: str) -> InvalidInput:
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or "check the values"
    return InvalidInput(f"The database refused that {kind}", f"A value is not one it accepts ({constraint}).")


def _claim(conn: Connection, scope: str, key: str, digest: str) -> dict[str, Any] | None:
    """The form's key claimed (None), or the first answer to the same form sent again; a form already used to
    add another record is refused in the form's words."""
    try:
        return idempotency.claim(conn, scope, key, digest)
    except InvalidInput:
        raise InvalidInput(
            "This form was already used to add a record",
            "Nothing more was saved. Go back to your patch and open a new form to add another.",
        ) from None


def _set_areas(conn: Connection, group_id: int, codes: list[str]) -> None:
    conn.execute(text("DELETE FROM group_areas WHERE group_id = :g"), {"g": group_id})
    conn.execute(
        text("INSERT INTO group_areas (group_id, area_id) SELECT :g, id FROM areas WHERE code = ANY(:c)"),
        {"g": group_id, "c": codes},
    )


def create(conn: Connection, actor: Actor, kind: str, district: str, form: Form, key: str) -> dict[str, Any]:
    """Create a group, hub or space from its form: {"id", "district"}, or {"problems"} (nothing written).
    A form sent again with the same key (a double click) answers the first record and writes nothing more."""
    require_district(actor, {district})
    options(conn, district)  # NotFound for a district Patchmap does not know
    columns, where, problems = parse(conn, kind, form)
    place_district = None if problems else check_place(conn, actor, where, problems)
    if problems:
        return {"problems": problems}
    sent = {k: list(v) for k, v in form.items() if k not in ("csrf_token", "action")}
    digest = idempotency.request_hash(sent)
    earlier = _claim(conn, f"record-form:{kind}", key, digest)
    if earlier is not None:
        return earlier
    table = TABLES[kind]
    register_hours(conn, [columns.get("opening_hours")])
    try:
        with conn.begin_nested():
            new_id = conn.execute(insert(table).values(**columns).returning(table.c.id)).scalar_one()
    except (IntegrityError, DataError) as exc:
        raise _refused(exc, kind) from None
    if kind == "group" and isinstance(where, list):
        _set_areas(conn, new_id, where)
    version = write_version(conn, actor, kind, new_id, "create", {})
    audit.record(conn, actor, "record-create", object_type=kind, object_id=new_id, district=place_district,
                 detail={"version": version["version"], "fields": sorted(columns)})  # fmt: skip
    answer = {"id": new_id, "district": place_district}
    idempotency.remember(conn, f"record-form:{kind}", key, 303, answer)
    return answer


def _scoped(conn: Connection, actor: Actor, kind: str, record_id: int, district: str) -> None:
    """The actor covers the record, and the record is in the district of the page's address."""
    require_user(actor)
    districts = record_districts(conn, kind, record_id)
    require_district(actor, districts or {district})
    if districts and district not in districts:
        raise NotFound(f"No {kind} {record_id} in {district}", "Open it from its own district's patch page.")


def areas_of(conn: Connection, group_id: int) -> list[str]:
    """The codes of the areas a group serves."""
    return list(
        conn.execute(
            text("SELECT a.code FROM group_areas ga JOIN areas a ON a.id = ga.area_id WHERE ga.group_id = :g ORDER BY 1"),
            {"g": group_id},
        ).scalars()
    )  # fmt: skip


def load(conn: Connection, actor: Actor, kind: str, record_id: int, district: str) -> dict[str, Any]:
    """A record to edit (the actor covers it), as stored and as its form's values."""
    _scoped(conn, actor, kind, record_id, district)
    record = snapshot(conn, kind, record_id)
    areas = areas_of(conn, record_id) if kind == "group" else []
    return {"record": record, "values": form_values(kind, record, areas)}


def edit(
    conn: Connection, actor: Actor, kind: str, record_id: int, district: str, form: Form
) -> dict[str, Any]:
    """Save a record's form: {"id", "district", "version"} or {"problems"} (nothing written); moving it into a
    district the actor does not cover is Forbidden."""
    _scoped(conn, actor, kind, record_id, district)
    record = snapshot(conn, kind, record_id, lock=True)
    columns, where, problems = parse(conn, kind, form, record)
    new_district = None if problems else check_place(conn, actor, where, problems)
    if problems:
        return {"problems": problems}
    version = apply_changes(conn, actor, kind, record_id, columns)
    changed = sorted(version["changes"]) if version else []
    if kind == "group":
        old_areas = areas_of(conn, record_id)
        new_areas = where if isinstance(where, list) else old_areas
        if new_areas != old_areas:
            _set_areas(conn, record_id, new_areas)
            if version is None:
                version = write_version(
                    conn, actor, kind, record_id, "update", {"areas": [old_areas, new_areas]}
                )
            changed.append("areas")
    if version is not None:
        audit.record(conn, actor, "record-update", object_type=kind, object_id=record_id, district=new_district,
                     detail={"version": version["version"], "fields": changed})  # fmt: skip
    return {"id": record_id, "district": new_district, "version": version["version"] if version else None}


def _room_hub(conn: Connection, actor: Actor, hub_id: int, district: str) -> dict[str, Any]:
    _scoped(conn, actor, "hub", hub_id, district)
    row = conn.execute(text("SELECT id, name FROM hubs WHERE id = :i"), {"i": hub_id}).mappings().one()
    return dict(row)


def _room_of(conn: Connection, actor: Actor, district: str, hub_id: int | None, room_id: int | None) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """A hub the actor covers and one of its rooms (empty for a new one)."""
    room: dict[str, Any] = {}
    if room_id is not None:
        found = conn.execute(text("SELECT * FROM rooms WHERE id = :i"), {"i": room_id}).mappings().first()
        if found is None:
            raise NotFound(f"No room {room_id}", "Choose a room from its hub's page.")
        room, hub_id = dict(found), found["hub_id"]
    assert hub_id is not None
    return _room_hub(conn, actor, hub_id, district), room


def load_room(conn: Connection, actor: Actor, district: str, hub_id: int | None, room_id: int | None) -> dict[str, Any]:  # fmt: skip
    """A hub (and one of its rooms, to edit) the actor covers, with the room's form values and history."""
    hub, room = _room_of(conn, actor, district, hub_id, room_id)
    versions = history(conn, actor, "room", room_id) if room_id is not None else []
    return {"hub": hub, "room": room, "values": form_values("room", room, []), "history": versions}


def save_room(conn: Connection, actor: Actor, district: str, hub_id: int | None, room_id: int | None, form: Form,
              key: str = "") -> dict[str, Any]:  # fmt: skip
    """Add a room to a hub, or change one, with a version (author the actor) and an audit row, in one
    transaction: {"hub", "room"} or {"problems"} (nothing written)."""
    hub, _ = _room_of(conn, actor, district, hub_id, room_id)
    columns, _, problems = parse(conn, "room", form)
    if problems:
        return {"problems": problems}
    if room_id is None:
        digest = idempotency.request_hash({k: list(v) for k, v in form.items() if k != "csrf_token"})
        earlier = _claim(conn, "record-form:room", key, digest) if key else None
        if earlier is not None:
            return earlier
    if room_id is None:
        try:
            with conn.begin_nested():
                room_id = conn.execute(
                    insert(ROOMS).values(hub_id=hub["id"], **columns).returning(ROOMS.c.id)
                ).scalar_one()
        except (IntegrityError, DataError) as exc:
            raise _refused(exc, "room") from None
        version: dict[str, Any] | None = write_version(conn, actor, "room", room_id, "create", {})
        action, fields = "room-create", sorted(columns)
    else:  # a room with no version yet (none should be left after migration 0015) first gets its version 1
        version = apply_changes(conn, actor, "room", room_id, columns)
        action, fields = "room-update", sorted(version["changes"]) if version else []
    audit.record(conn, actor, action, object_type="hub", object_id=hub["id"], district=district,
                 detail={"room": room_id, "fields": fields, "version": version["version"] if version else None})  # fmt: skip
    answer = {"hub": hub["id"], "room": room_id}
    if action == "room-create" and key:
        idempotency.remember(conn, "record-form:room", key, 303, answer)
    return answer


def restore_in(conn: Connection, actor: Actor, kind: str, district: str, record_id: int, version: int) -> dict[str, Any]:  # fmt: skip
    """Put a record of the page's district (a room: its hub's) back as it was at a version, from its History
    list (``versions.restore``); the version written, or an "unchanged" one when it already was."""
    _scoped(conn, actor, kind, record_id, district)
    return restore(conn, actor, kind, record_id, version)


def options(conn: Connection, district: str) -> dict[str, Any]:
    """What the form offers to choose from in a district: its hubs (sample ones labelled), wards and itself."""
    found = conn.execute(
        text("SELECT code, name FROM areas WHERE code = :d AND kind = 'district'"), {"d": district}
    )
    row = found.first()
    if row is None:
        raise NotFound(f"No district {district!r}", "Use a district code such as E07000148 (Norwich).")
    hubs = conn.execute(text(
        "SELECT h.id, h.name, h.source ILIKE '%sample%' AS sample FROM hubs h JOIN areas l ON l.code = h.lsoa_code "
        "WHERE l.parent_code = :d ORDER BY h.name, h.id"), {"d": district}).mappings().all()  # fmt: skip
    wards = conn.execute(
        text("SELECT code, name FROM areas WHERE parent_code = :d AND kind = 'ward' ORDER BY name"), {"d": district}
    ).mappings().all()  # fmt: skip
    return {"district": {"code": row[0], "name": row[1]}, "hubs": [dict(h) for h in hubs],
            "wards": [dict(w) for w in wards]}  # fmt: skip


def record_page(conn: Connection, actor: Actor, kind: str, district: str, record_id: int | None = None,
                find: str = "") -> dict[str, Any]:  # fmt: skip
    """What a record's form page shows: the record and its values (a new one: the first place mode), the
    district's choices, the places a search found, a hub's rooms, and the record's versions (its history)."""
    require_user(actor)
    if record_id is None:
        require_district(actor, {district})
        out: dict[str, Any] = {"record": None, "values": {"place": [PLACE_MODES[kind][0]]}}
    else:
        out = load(conn, actor, kind, record_id, district)
    out["options"] = options(conn, district)
    out["places"] = find_places(conn, find) if find else None
    out["rooms"] = []
    out["history"] = history(conn, actor, kind, record_id) if record_id is not None else []
    if kind == "hub" and record_id is not None:
        rows = conn.execute(text("SELECT id, name, capacity, sample FROM rooms WHERE hub_id = :h ORDER BY name, id"),
                            {"h": record_id}).mappings().all()  # fmt: skip
        out["rooms"] = [dict(r) for r in rows]
    return out
