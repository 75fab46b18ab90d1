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
