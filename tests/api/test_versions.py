"""Editing records with versions, restore and confirm; stale records; partners; who may do each.

Like tests/api/test_moderation.py (whose fixtures these are, and whose docstring says why), these tests run on a
database of this module's own, because the app commits what it does.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Engine, text

from api.routes.records import Partner, RecordVersion, StaleRecord
from layers.access.auth import actor_from_token
from layers.access.scope import Actor
from layers.records import forms
from tests.api.test_moderation import (
    BRECKLAND,
    LIBRARY,
    NORWICH,
    api,
    audit_count,
    ok,
    own_engine,
    own_settings,
    people,
    refused,
)

__all__ = ["api", "own_engine", "own_settings", "people"]  # module fixtures, used by name
SECRET = "07700 900123 (home)"


def insert_record(engine: Engine, kind: str, **values: Any) -> int:
    """A group, hub or space at the library in Norwich (a venue), committed; its id."""
    name = f"Test {kind} {uuid.uuid4().hex[:8]}"
    sql = {
        "group": "INSERT INTO groups (name, description, categories, location_precision, venue_address, geom) "
        "VALUES (:n, 'Board games.', '{older-people}', 'venue', 'The library', {pt}) RETURNING id",
        "hub": "INSERT INTO hubs (name, kind, geom) VALUES (:n, 'library', {pt}) RETURNING id",
        "space": "INSERT INTO spaces (name, kind, geom) VALUES (:n, 'room', {pt}) RETURNING id",
    }[kind].replace("{pt}", "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)")
    with engine.begin() as conn:
        record_id = int(
            conn.execute(text(sql), {"n": name, "lon": LIBRARY[0], "lat": LIBRARY[1]}).scalar_one()
        )
        for column, value in values.items():  # column names are this test's own
            conn.execute(
                text(f"UPDATE {kind}s SET {column} = :v WHERE id = :i"), {"v": value, "i": record_id}
            )
    return record_id


def row(engine: Engine, kind: str, record_id: int) -> dict[str, Any]:
    """The record as stored."""
    with engine.connect() as conn:
        found = conn.execute(text(f"SELECT * FROM {kind}s WHERE id = :i"), {"i": record_id}).mappings().one()
    return dict(found)


def version(response: Any) -> dict[str, Any]:
    """A version in a response, checked against the model."""
    body: dict[str, Any] = ok(response)
    TypeAdapter(RecordVersion).validate_python(body)
    return body


def test_edits_make_versions_and_restore_puts_fields_back(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    group_id = insert_record(own_engine, "group")
    original = row(own_engine, "group", group_id)
    who = people["norwich"]
    before = audit_count(own_engine)
    first = version(api.patch(f"/groups/{group_id}", headers=who,
                              json={"name": "Renamed games club", "website": "https://games.example.org"}))  # fmt: skip
    assert (first["version"], first["action"]) == (2, "update")  # version 1: the record as it stood
    assert first["changes"] == {"name": [original["name"], "Renamed games club"],
                                "website": [None, "https://games.example.org"]}  # fmt: skip
    assert first["snapshot"]["name"] == "Renamed games club" and first["changed_by"] is not None
    assert audit_count(own_engine) == before + 1
    assert ok(api.get(f"/groups/{group_id}"))["name"] == "Renamed games club"

    second = version(api.patch(f"/groups/{group_id}", headers=people["officer"], json={"status": "dormant"}))
    assert second["version"] == 3 and second["changes"] == {"status": ["active", "dormant"]}
    listed = ok(api.get(f"/groups/{group_id}/versions", headers=who))
    assert [(v["version"], v["action"]) for v in listed] == [(3, "update"), (2, "update"), (1, "create")]
    assert listed[-1]["changed_by"] is None and listed[-1]["snapshot"]["name"] == original["name"]

    restored = version(api.post(f"/groups/{group_id}/versions/1/restore", headers=who))
    assert (restored["version"], restored["action"]) == (4, "restore")
    assert set(restored["changes"]) == {"name", "website", "status"}
    now = row(own_engine, "group", group_id)
    assert (now["name"], now["website"], now["status"]) == (original["name"], None, "active")
    assert audit_count(own_engine) == before + 3
    refused(api.post(f"/groups/{group_id}/versions/99/restore", headers=who), 404)
    unchanged = version(api.patch(f"/groups/{group_id}", headers=who, json={"status": "active"}))
    assert unchanged["action"] == "unchanged" and audit_count(own_engine) == before + 3


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        ("group", {"categories": ["knitting"]}),
        ("group", {"status": "gone"}),
        ("group", {"cost": "expensive"}),
        ("group", {"name": None}),
        ("group", {"age_min": 200}),
        ("group", {"meets": [{"days": ["mo"], "start": "25:00", "end": "26:00"}]}),
        ("group", {"geom": "POINT(0 0)"}),
        ("group", {}),
        ("space", {"status": "sold"}),
        ("space", {"price_band": "cheap"}),
        ("hub", {"operator_type": "alien"}),
    ],
)
def test_invalid_changes_are_refused_and_change_nothing(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]], kind: str, changes: dict[str, Any]
) -> None:
    record_id = insert_record(own_engine, kind)
    before, audited = row(own_engine, kind, record_id), audit_count(own_engine)
    refused(api.patch(f"/{kind}s/{record_id}", headers=people["norwich"], json=changes), 422)
    assert row(own_engine, kind, record_id) == before and audit_count(own_engine) == audited
    assert ok(api.get(f"/{kind}s/{record_id}/versions", headers=people["norwich"])) == []


def test_other_districts_and_residents_may_not_edit(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    space_id = insert_record(own_engine, "space")
    before, audited = row(own_engine, "space", space_id), audit_count(own_engine)
    refused(api.patch(f"/spaces/{space_id}", headers=people["breckland"], json={"name": "Taken"}), 403)
    refused(api.patch(f"/spaces/{space_id}", json={"name": "Taken"}), 401)
    refused(api.post(f"/spaces/{space_id}/confirm", headers=people["breckland"]), 403)
    refused(api.post(f"/spaces/{space_id}/confirm"), 401)
    refused(api.get(f"/spaces/{space_id}/versions", headers=people["breckland"]), 403)
    refused(api.post(f"/spaces/{space_id}/versions/1/restore", headers=people["breckland"]), 403)
    refused(api.patch("/spaces/2147483647", headers=people["officer"], json={"name": "Nobody"}), 404)
    assert row(own_engine, "space", space_id) == before and audit_count(own_engine) == audited


def test_private_contact_is_kept_for_covering_actors_only(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    hub_id = insert_record(own_engine, "hub")
    changed = version(api.patch(f"/hubs/{hub_id}", headers=people["norwich"],
                                json={"private_contact": {"caretaker": SECRET}, "opening_hours": "Mo-Fr 09:00-17:00"}))  # fmt: skip
    assert changed["snapshot"]["private_contact"] == {"caretaker": SECRET}
    assert row(own_engine, "hub", hub_id)["opening_minutes"] is not None  # computed from the new hours
    public = api.get(f"/hubs/{hub_id}")
    assert public.status_code == 200 and SECRET not in public.text
    found = api.get("/search/nearby", params={"lon": LIBRARY[0], "lat": LIBRARY[1], "kinds": "hub"})
    assert found.status_code == 200 and SECRET not in found.text


def test_confirm_sets_last_verified_and_takes_a_record_off_the_stale_list(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    space_id = insert_record(own_engine, "space")
    group_id = insert_record(own_engine, "group", last_verified_at="2020-01-01T00:00:00Z")
    who = people["norwich"]
    stale = ok(api.get(f"/districts/{NORWICH}/stale", headers=who))
    TypeAdapter(list[StaleRecord]).validate_python(stale)
    listed = {(s["kind"], s["id"]) for s in stale}
    assert {("space", space_id), ("group", group_id)} <= listed
    assert all(s["last_verified_at"] is None for s in stale[: [s["id"] for s in stale].index(space_id)])

    before = audit_count(own_engine)
    confirmed = version(api.post(f"/spaces/{space_id}/confirm", headers=who))
    assert confirmed["action"] == "confirm" and confirmed["changes"]["last_verified_at"][0] is None
    assert row(own_engine, "space", space_id)["last_verified_at"] is not None
    assert audit_count(own_engine) == before + 1
    assert ok(api.get(f"/spaces/{space_id}"))["last_verified_at"] is not None
    stale = ok(api.get(f"/districts/{NORWICH}/stale", headers=who))
    assert ("space", space_id) not in {(s["kind"], s["id"]) for s in stale}
    assert ("group", group_id) in {(s["kind"], s["id"]) for s in stale}
    # with a long enough window, a group last confirmed in 2020 is not stale either
    fresh = ok(api.get(f"/districts/{NORWICH}/stale", headers=who, params={"days": 36500}))
    assert ("group", group_id) not in {(s["kind"], s["id"]) for s in fresh}

    refused(api.get(f"/districts/{NORWICH}/stale", headers=people["breckland"]), 403)
    refused(api.get(f"/districts/{NORWICH}/stale"), 401)
    assert ok(api.get(f"/districts/{BRECKLAND}/stale", headers=people["officer"])) is not None
    refused(api.get("/districts/E07999999/stale", headers=people["officer"]), 404)


def test_partners_of_a_district(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    who, url = people["norwich"], f"/districts/{NORWICH}/partners"
    name = f"Voluntary Norfolk {uuid.uuid4().hex[:6]}"
    before = audit_count(own_engine)
    added = ok(api.post(url, headers=who, json={"name": name, "role": "volunteer centre",
                                                "website": "https://vn.example.org"}), 201)  # fmt: skip
    TypeAdapter(Partner).validate_python(added)
    assert audit_count(own_engine) == before + 1
    listed = ok(api.get(url, headers=who))
    assert name in [p["name"] for p in listed]
    refused(api.post(url, headers=who, json={"name": ""}), 422)
    refused(api.post(url, headers=who, json={"name": "X", "website": "not a url"}), 422)
    refused(api.post(url, headers=who, json={"name": "X", "colour": "red"}), 422)
    refused(api.get(url, headers=people["breckland"]), 403)
    refused(api.post(url, headers=people["breckland"], json={"name": "Intruder"}), 403)
    refused(api.delete(f"{url}/{added['id']}", headers=people["breckland"]), 403)
    refused(api.get(url), 401)
    refused(api.delete(f"/districts/{BRECKLAND}/partners/{added['id']}", headers=people["officer"]), 404)
    assert audit_count(own_engine) == before + 1
    gone = api.delete(f"{url}/{added['id']}", headers=who)
    assert gone.status_code == 204
    assert name not in [p["name"] for p in ok(api.get(url, headers=people["officer"]))]
    assert audit_count(own_engine) == before + 2


# --- a hub's rooms: versions written by the room form (layers.records.forms.save_room), listed and restored


def actor_of(engine: Engine, headers: dict[str, str]) -> Actor:
    """The actor behind a person's bearer headers."""
    with engine.begin() as conn:
        return actor_from_token(conn, headers["Authorization"].removeprefix("Bearer "))


def save_room(
    engine: Engine, actor: Actor, hub_id: int, room_id: int | None, **fields: str
) -> dict[str, Any]:
    """The room form sent (committed, as the page does in one transaction); its answer."""
    form = {"name": "Main hall", "description": "Sprung floor", "capacity": "80", "floor_area_m2": "120",
            "facilities": "stage, piano", "step_free": "yes", **fields}  # fmt: skip
    with engine.begin() as conn:
        return forms.save_room(conn, actor, NORWICH, hub_id, room_id, {k: [v] for k, v in form.items()},
                               key=uuid.uuid4().hex)  # fmt: skip


def room_versions(engine: Engine, room_id: int) -> list[tuple[int, str, int | None]]:
    """A room's versions as stored: (version, action, changed_by), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT version, action, changed_by FROM record_versions WHERE object_type = "
                                 "'room' AND object_id = :i ORDER BY version"), {"i": room_id})  # fmt: skip
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]


def test_room_forms_make_versions_and_restore_puts_a_room_back(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    hub_id, who = insert_record(own_engine, "hub"), people["norwich"]
    norwich = actor_of(own_engine, who)
    room_id = save_room(own_engine, norwich, hub_id, None)["room"]
    assert room_versions(own_engine, room_id) == [(1, "create", norwich.user_id)]
    listed = ok(api.get(f"/rooms/{room_id}/versions", headers=who))
    TypeAdapter(list[RecordVersion]).validate_python(listed)
    assert [(v["kind"], v["id"], v["version"], v["action"]) for v in listed] == [
        ("room", room_id, 1, "create")
    ]
    assert listed[0]["snapshot"]["name"] == "Main hall" and listed[0]["snapshot"]["hub_id"] == hub_id

    officer = actor_of(own_engine, people["officer"])
    save_room(own_engine, officer, hub_id, room_id, capacity="75", name="Big hall")
    # the same form again: nothing changed, so no version
    save_room(own_engine, officer, hub_id, room_id, capacity="75", name="Big hall")
    assert room_versions(own_engine, room_id) == [
        (1, "create", norwich.user_id),
        (2, "update", officer.user_id),
    ]
    second = ok(api.get(f"/rooms/{room_id}/versions", headers=people["officer"]))[0]
    assert second["changes"] == {"capacity": [80, 75], "name": ["Main hall", "Big hall"]}
    assert save_room(own_engine, officer, hub_id, room_id, capacity="lots")["problems"]  # nothing written
    assert len(room_versions(own_engine, room_id)) == 2

    before = audit_count(own_engine)
    restored = version(api.post(f"/rooms/{room_id}/versions/1/restore", headers=who))
    assert (restored["kind"], restored["version"], restored["action"]) == ("room", 3, "restore")
    assert restored["changes"] == {"capacity": [75, 80], "name": ["Big hall", "Main hall"]}
    assert restored["changed_by"] == norwich.user_id
    now = row(own_engine, "room", room_id)
    assert (now["name"], now["capacity"], now["facilities"]) == ("Main hall", 80, ["stage", "piano"])
    assert audit_count(own_engine) == before + 1
    # restoring the same version again (a retried POST) writes nothing more
    again = version(api.post(f"/rooms/{room_id}/versions/1/restore", headers=who))
    assert (again["version"], again["action"]) == (3, "unchanged") and audit_count(own_engine) == before + 1
    assert len(room_versions(own_engine, room_id)) == 3
    refused(api.post(f"/rooms/{room_id}/versions/99/restore", headers=who), 404)
    refused(api.get("/rooms/2147483647/versions", headers=people["officer"]), 404)


def test_other_districts_and_residents_may_not_see_or_restore_a_rooms_versions(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    hub_id = insert_record(own_engine, "hub")
    room_id = save_room(own_engine, actor_of(own_engine, people["norwich"]), hub_id, None)["room"]
    save_room(own_engine, actor_of(own_engine, people["norwich"]), hub_id, room_id, name="Renamed hall")
    before, audited = row(own_engine, "room", room_id), audit_count(own_engine)
    refused(api.get(f"/rooms/{room_id}/versions"), 401)
    refused(api.post(f"/rooms/{room_id}/versions/1/restore"), 401)
    refused(api.get(f"/rooms/{room_id}/versions", headers=people["breckland"]), 403)
    refused(api.post(f"/rooms/{room_id}/versions/1/restore", headers=people["breckland"]), 403)
    assert row(own_engine, "room", room_id) == before and audit_count(own_engine) == audited
    assert len(room_versions(own_engine, room_id)) == 2
    assert api.post(f"/rooms/{room_id}/confirm", headers=people["officer"]).status_code in {404, 405}
    assert ok(api.get(f"/rooms/{room_id}/versions", headers=people["officer"]))[0]["version"] == 2


def test_a_room_without_versions_gets_its_version_1_on_its_first_edit(
    own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    hub_id = insert_record(own_engine, "hub")
    with own_engine.begin() as conn:  # as a room written before versions were kept
        room_id = int(conn.execute(text("INSERT INTO rooms (hub_id, name) VALUES (:h, 'Old room') RETURNING id"),
                                   {"h": hub_id}).scalar_one())  # fmt: skip
    norwich = actor_of(own_engine, people["norwich"])
    save_room(own_engine, norwich, hub_id, room_id, name="Old room")
    assert room_versions(own_engine, room_id) == [(1, "create", None), (2, "update", norwich.user_id)]


def test_the_demos_rooms_have_a_version_1(own_engine: Engine) -> None:
    with own_engine.connect() as conn:
        rooms = conn.execute(text(
            "SELECT r.id, r.name, v.version, v.action, v.changed_by, v.snapshot->>'name' FROM rooms r "
            "LEFT JOIN record_versions v ON v.object_type = 'room' AND v.object_id = r.id WHERE r.sample"
        )).all()  # fmt: skip
    assert len(rooms) >= 10
    assert all((v, action, by, snap) == (1, "create", None, name) for _, name, v, action, by, snap in rooms)
    assert len({r[0] for r in rooms}) == len(rooms)  # one version each
