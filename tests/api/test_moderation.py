"""Moderation: the queue by district, approve (publish, merge, accept), reject, ask for more, erase, audit.

Why these tests have a database of their own (migrated, with the demo, made for this module and dropped after
it) rather than the session's: the app works on its own engine and commits, so a test cannot roll back what
it causes, and rows committed to the session database would change what other modules count (the session's
submissions table is expected to be empty by tests/api/test_submissions.py, and the demo's 70 Norwich groups by
tests/layers/analysis/test_overlay.py). Here commits are harmless; each test still uses unique names and counts deltas.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Engine, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import bindparam
from typer.testing import CliRunner

from api.cli import app as cli
from api.main import create_app
from api.routes.moderation import Decision, SubmissionPrivate
from layers.access import auth
from layers.access.scope import Actor
from layers.db import make_engine
from layers.errors import InvalidInput
from layers.offers import moderation
from layers.settings import Settings, SubmissionSettings
from tests.live_app import demo_database

NORWICH, BRECKLAND, MANCROFT = "E07000148", "E07000143", "E05005882"
LIBRARY = (1.29095, 52.62773)  # a point in Mancroft ward, Norwich
PASSWORD = "correct horse battery staple"
CONTACT = {"name": "Sam Example", "email": "sam.example@example.org", "phone": "01603 212121"}


@pytest.fixture(scope="module")
def own_settings(server_url: str) -> Iterator[Settings]:
    """Settings on a database of this module's own, migrated and loaded with the demo (see the docstring)."""
    with demo_database(
        server_url, submissions=SubmissionSettings(submission_secret="a test secret", submission_limit=1000)
    ) as s:
        yield s


@pytest.fixture(scope="module")
def own_engine(own_settings: Settings) -> Iterator[Engine]:
    """An engine on this module's database."""
    e = make_engine(own_settings.database)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def api(own_settings: Settings) -> Iterator[TestClient]:
    """A client on the app, on this module's database."""
    with TestClient(create_app(own_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def people(own_engine: Engine) -> dict[str, dict[str, str]]:
    """Bearer headers of an officer and of the co-ordinators of Norwich and of Breckland."""
    out: dict[str, dict[str, str]] = {}
    for who, role, districts in [
        ("officer", "officer", []),
        ("norwich", "coordinator", [NORWICH]),
        ("breckland", "coordinator", [BRECKLAND]),
    ]:
        email = f"{who}-{uuid.uuid4().hex[:8]}@example.gov.uk"
        with own_engine.begin() as conn:
            auth.create_user(conn, email=email, name=who, role=role, password=PASSWORD, districts=districts)
            token = auth.create_token(conn, email)
        out[who] = {"Authorization": f"Bearer {token}"}
    return out


def audit_count(engine: Engine) -> int:
    """Rows in the audit log."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one())


def insert_submission(
    engine: Engine,
    kind: str = "group",
    *,
    details: dict[str, Any] | None = None,
    district: str | None = NORWICH,
    ward: str | None = MANCROFT,
    status: str = "pending",
    decided_days_ago: int | None = None,
    point: tuple[float, float] = LIBRARY,
    postcode: str | None = "NR2 1AW",
) -> int:
    """A submission row committed directly (as the resident's form would store it); its id."""
    name = f"Test {kind} {uuid.uuid4().hex[:8]}"
    defaults: dict[str, dict[str, Any]] = {
        "group": {"name": name, "description": "Tea and a chat.", "categories": ["older-people"],
                  "days": ["fr"], "when": "Fridays at ten", "is_organiser": True,
                  "where": {"given": "postcode", "approximate": True}},
        "space": {"name": name, "space_kind": "room", "description": "A room for twenty.", "capacity": 20,
                  "price_band": "free", "days": ["mo", "sa"], "step_free": True,
                  "where": {"given": "postcode", "approximate": True}},
        "help": {"offer": "Shopping for a neighbour.", "skills": ["driving"], "categories": ["mutual-aid"],
                 "days": ["sa"], "where": {"given": "postcode", "approximate": True}},
    }  # fmt: skip
    query = text(
        "INSERT INTO submissions (reference, kind, status, details, contact, geom, postcode, ward_code, "
        "district_code, client_key, moderated_at) VALUES (:ref, :kind, :status, :details, :contact, "
        "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :postcode, :ward, :district, 'test', "
        "now() - make_interval(days => CAST(:ago AS int))) RETURNING id"
    ).bindparams(bindparam("details", type_=JSONB), bindparam("contact", type_=JSONB))
    params = {
        "ref": "PM-T" + uuid.uuid4().hex[:7].upper(),
        "kind": kind,
        "status": status,
        "details": details if details is not None else defaults[kind],
        "contact": {**CONTACT, "consent": "You may contact me about this offer."},
        "lon": point[0],
        "lat": point[1],
        "postcode": postcode,
        "ward": ward,
        "district": district,
        "ago": decided_days_ago,
    }
    with engine.begin() as conn:
        return int(conn.execute(query, params).scalar_one())


def ok(response: Any, status: int = 200) -> Any:
    """The JSON of a response with the expected status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def refused(response: Any, status: int) -> dict[str, Any]:
    """The {error, detail} body of a refusal with the expected status."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "detail"} and body["error"]
    return body


def queue_ids(api: TestClient, headers: dict[str, str], **params: str) -> dict[int, dict[str, Any]]:
    """The queue as {id: item}, each item checked against the response model."""
    items = ok(api.get("/moderation/queue", headers=headers, params=params))
    TypeAdapter(list[SubmissionPrivate]).validate_python(items)
    return {item["id"]: item for item in items}


# ---------------------------------------------------------------- the queue and approval


def test_norwich_approves_a_resident_group_and_it_is_public(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    token = "zq" + uuid.uuid4().hex[:8]
    payload = {"name": f"Friday Knit {token}", "description": "Knitting, tea and a chat.",
               "categories": ["arts-culture", "older-people"], "days": ["fr"], "when": "Fridays 10am to noon",
               "venue": "The Forum", "postcode": "NR2 1AW", "contact": CONTACT, "consent": True}  # fmt: skip
    reference = ok(api.post("/submissions/group", json=payload), 201)["reference"]
    with own_engine.connect() as conn:
        sid = conn.execute(
            text("SELECT id FROM submissions WHERE reference = :r"), {"r": reference}
        ).scalar_one()

    mine = queue_ids(api, people["norwich"])
    assert mine[sid]["reference"] == reference and mine[sid]["contact"]["email"] == CONTACT["email"]
    assert mine[sid]["details"]["name"] == payload["name"]
    assert sid in queue_ids(api, people["officer"]) and sid in queue_ids(
        api, people["officer"], district=NORWICH
    )
    assert sid not in queue_ids(api, people["breckland"])
    assert sid not in queue_ids(api, people["officer"], district=BRECKLAND)

    before = audit_count(own_engine)
    refused(api.get(f"/moderation/{sid}", headers=people["breckland"]), 404)
    refused(api.post(f"/moderation/{sid}/approve", headers=people["breckland"]), 404)
    refused(api.post(f"/moderation/{sid}/reject", headers=people["breckland"], json={"reason": "no"}), 404)
    assert audit_count(own_engine) == before
    assert (
        ok(api.get(f"/moderation/{sid}", headers=people["norwich"]))["contact"]["phone"] == CONTACT["phone"]
    )

    decision = ok(api.post(f"/moderation/{sid}/approve", headers=people["norwich"]))
    TypeAdapter(Decision).validate_python(decision)
    assert (decision["status"], decision["outcome"]) == ("approved", "published")
    assert audit_count(own_engine) == before + 1
    kind, group_id = decision["published_as"].split("/")
    assert kind == "group"

    public = api.get(f"/groups/{group_id}")
    group = ok(public)
    assert group["name"] == payload["name"] and group["status"] == "active"
    assert (
        group["location_precision"] == "area" and group["lon"] is None
    )  # the demo's postcodes are approximate
    assert [a["code"] for a in group["areas_served"]] == [MANCROFT]
    for value in CONTACT.values():
        assert value not in public.text
    found = ok(api.get("/search/nearby", params={"postcode": "NR2 1AW", "q": token}))
    assert int(group_id) in [g["id"] for g in found["serving_your_area"]]
    assert CONTACT["email"] not in json.dumps(found)

    with own_engine.connect() as conn:
        row = conn.execute(text("SELECT status, moderated_by, moderated_at, published_as FROM submissions "
                                "WHERE id = :i"), {"i": sid}).one()  # fmt: skip
        versions = conn.execute(text("SELECT version, action, changed_by FROM record_versions "
                                     "WHERE object_type = 'group' AND object_id = :i"), {"i": int(group_id)}).all()  # fmt: skip
        entry = conn.execute(text("SELECT action, object_id, district_code, detail FROM audit_log "
                                  "ORDER BY id DESC LIMIT 1")).one()  # fmt: skip
    assert row.status == "approved" and row.moderated_by is not None and row.moderated_at is not None
    assert row.published_as == f"group/{group_id}"
    assert [(v.version, v.action) for v in versions] == [(1, "create")] and versions[0].changed_by
    assert (entry.action, entry.object_id, entry.district_code) == ("submission-approve", str(sid), NORWICH)
    assert CONTACT["name"] not in json.dumps(entry.detail) and payload["name"] not in json.dumps(entry.detail)
    refused(api.post(f"/moderation/{sid}/approve", headers=people["norwich"]), 422)  # decided already


def test_contact_only_for_covering_actors(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    sid = insert_submission(own_engine, "help")
    refused(api.get("/moderation/queue", headers=people["breckland"], params={"district": NORWICH}), 403)
    refused(api.get("/moderation/queue"), 401)
    refused(api.get(f"/moderation/{sid}"), 401)
    refused(api.post(f"/moderation/{sid}/approve"), 401)
    assert queue_ids(api, people["officer"])[sid]["contact"]["name"] == CONTACT["name"]
    assert queue_ids(api, people["norwich"], district=NORWICH)[sid]["contact"]["name"] == CONTACT["name"]
    # a submission with no district is the officers' alone
    nowhere = insert_submission(own_engine, "help", district=None, ward=None)
    assert nowhere in queue_ids(api, people["officer"]) and nowhere not in queue_ids(api, people["norwich"])
    refused(api.get(f"/moderation/{nowhere}", headers=people["norwich"]), 404)


def test_a_space_is_published_and_help_is_accepted_privately(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    space = insert_submission(own_engine, "space")
    decision = ok(api.post(f"/moderation/{space}/approve", headers=people["officer"], json={}))
    kind, space_id = decision["published_as"].split("/")
    body = ok(api.get(f"/spaces/{space_id}"))
    assert kind == "space" and body["status"] == "available" and body["kind"] == "room"
    assert body["capacity"] == 20 and CONTACT["email"] not in json.dumps(body)

    with own_engine.connect() as conn:
        counts = conn.execute(
            text("SELECT (SELECT count(*) FROM groups), (SELECT count(*) FROM spaces)")
        ).one()
    help_id = insert_submission(own_engine, "help")
    before = audit_count(own_engine)
    decision = ok(api.post(f"/moderation/{help_id}/approve", headers=people["norwich"]))
    assert (decision["outcome"], decision["published_as"]) == ("accepted", None)
    assert audit_count(own_engine) == before + 1
    with own_engine.connect() as conn:
        assert (
            conn.execute(text("SELECT (SELECT count(*) FROM groups), (SELECT count(*) FROM spaces)")).one()
            == counts
        )
        assert (
            conn.execute(text("SELECT status FROM submissions WHERE id = :i"), {"i": help_id}).scalar()
            == "approved"
        )


def test_a_named_venue_at_a_precise_point_is_published_there(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    details = {"name": f"Venue group {uuid.uuid4().hex[:6]}", "description": "Chess.", "categories": ["older-people"],
               "venue": "The Forum", "where": {"given": "point", "approximate": False}}  # fmt: skip
    sid = insert_submission(own_engine, details=details, postcode=None)
    group_id = ok(api.post(f"/moderation/{sid}/approve", headers=people["norwich"]))["published_as"].split(
        "/"
    )[1]
    body = ok(api.get(f"/groups/{group_id}"))
    assert body["location_precision"] == "venue" and body["venue_address"] == "The Forum"
    assert body["lon"] == pytest.approx(LIBRARY[0]) and body["ward"]["code"] == MANCROFT


def test_merge_fills_only_empty_fields(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    name = f"Existing group {uuid.uuid4().hex[:6]}"
    with own_engine.begin() as conn:
        group_id = conn.execute(text("INSERT INTO groups (name, description, categories) VALUES (:n, 'Ours.', "
                                     "'{faith}') RETURNING id"), {"n": name}).scalar_one()  # fmt: skip
        conn.execute(text("INSERT INTO group_areas SELECT :g, id FROM areas WHERE code = :c"),
                     {"g": group_id, "c": MANCROFT})  # fmt: skip
    details = {
        "name": "Another name",
        "description": "Theirs.",
        "categories": ["food"],
        "website": "https://x.example.org",
    }
    sid = insert_submission(own_engine, details=details)
    merge = {"merge_into_kind": "group", "merge_into_id": group_id}
    refused(api.post(f"/moderation/{sid}/approve", headers=people["breckland"], json=merge), 404)
    refused(
        api.post(f"/moderation/{sid}/approve", headers=people["norwich"], json={"merge_into_kind": "group"}),
        422,
    )
    refused(api.post(f"/moderation/{sid}/approve", headers=people["norwich"],
                     json={"merge_into_kind": "space", "merge_into_id": 1}), 422)  # fmt: skip
    decision = ok(api.post(f"/moderation/{sid}/approve", headers=people["norwich"], json=merge))
    assert (decision["outcome"], decision["published_as"]) == ("merged", f"group/{group_id}")
    body = ok(api.get(f"/groups/{group_id}"))
    assert (body["name"], body["description"], body["categories"]) == (name, "Ours.", ["faith"])
    assert body["website"] == "https://x.example.org"
    versions = ok(api.get(f"/groups/{group_id}/versions", headers=people["norwich"]))
    assert [(v["version"], v["action"]) for v in versions] == [(2, "update"), (1, "create")]
    assert set(versions[0]["changes"]) == {"website"}


# ---------------------------------------------------------------- reject, ask, erase


def test_reject_needs_a_reason_and_writes_one_audit_row(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    sid = insert_submission(own_engine)
    before = audit_count(own_engine)
    url, who = f"/moderation/{sid}/reject", people["norwich"]
    refused(api.post(url, headers=who), 422)
    refused(api.post(url, headers=who, json={}), 422)
    refused(api.post(url, headers=who, json={"reason": ""}), 422)
    refused(api.post(url, headers=who, json={"reason": "x" * 501}), 422)
    refused(api.post(url, headers=who, json={"reason": "Spam", "extra": 1}), 422)
    with own_engine.begin() as conn, pytest.raises(InvalidInput):
        moderation.reject(conn, Actor(user_id=1, role="officer"), sid, "   ")
    assert audit_count(own_engine) == before
    decision = ok(api.post(url, headers=who, json={"reason": "It is a business, not a community group."}))
    assert (decision["status"], decision["published_as"]) == ("rejected", None)
    assert audit_count(own_engine) == before + 1
    item = ok(api.get(f"/moderation/{sid}", headers=who))
    assert item["status"] == "rejected" and item["decision_reason"].startswith("It is a business")
    assert sid in queue_ids(api, who, status="rejected")


def test_ask_for_info(api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]) -> None:
    sid = insert_submission(own_engine, "space")
    before = audit_count(own_engine)
    refused(api.post(f"/moderation/{sid}/needs-info", headers=people["norwich"], json={"question": ""}), 422)
    decision = ok(api.post(f"/moderation/{sid}/needs-info", headers=people["norwich"],
                           json={"question": "Is the room step-free?"}))  # fmt: skip
    assert decision["status"] == "needs_info" and audit_count(own_engine) == before + 1
    assert sid in queue_ids(api, people["norwich"], status="needs_info")
    assert sid not in queue_ids(api, people["norwich"])  # no longer pending
    refused(api.get("/moderation/queue", headers=people["norwich"], params={"status": "lost"}), 422)


def test_erase_expired_blanks_old_rejected_submissions(
    own_settings: Settings, own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = insert_submission(own_engine, status="rejected", decided_days_ago=400)
    old_withdrawn = insert_submission(own_engine, "help", status="withdrawn", decided_days_ago=400)
    recent = insert_submission(own_engine, status="rejected", decided_days_ago=10)
    pending = insert_submission(own_engine, status="pending", decided_days_ago=400)
    with own_engine.begin() as conn:
        assert moderation.erase_expired(conn, retention_days=365) >= 2
        rows = {r.id: r for r in conn.execute(
            text("SELECT id, contact, details, postcode, geom, erased_at, status FROM submissions WHERE id = ANY(:i)"),
            {"i": [old, old_withdrawn, recent, pending]})}  # fmt: skip
    for sid in (old, old_withdrawn):
        r = rows[sid]
        assert r.contact == {} and r.postcode is None and r.geom is None and r.erased_at is not None
        assert set(r.details) <= set(moderation.KEEP_AFTER_ERASE) and "name" not in r.details
    assert rows[old].details["categories"] == ["older-people"]
    for sid in (recent, pending):
        assert rows[sid].contact["email"] == CONTACT["email"] and rows[sid].erased_at is None

    # the command line does the same and prints the count
    another = insert_submission(own_engine, status="rejected", decided_days_ago=40)
    monkeypatch.setenv("DATABASE_URL", own_settings.database.url)
    before = audit_count(own_engine)
    result = CliRunner().invoke(cli, ["moderation", "erase-expired", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "submissions erased" in result.output
    with own_engine.connect() as conn:
        assert (
            conn.execute(text("SELECT contact FROM submissions WHERE id = :i"), {"i": another}).scalar() == {}
        )
    assert audit_count(own_engine) == before + 1


# ---------------------------------------------------------------- the audit log


def test_the_audit_log_refuses_update_and_delete_even_for_its_owner(own_settings: Settings) -> None:
    with psycopg.connect(own_settings.database.url, autocommit=True) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'").fetchone()
        assert owner is not None and owner[0] == conn.info.user
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] > 0  # type: ignore[index]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE audit_log SET action = 'forged'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit_log")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("TRUNCATE audit_log")
