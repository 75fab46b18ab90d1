"""Offers of help meet groups, through the API: the follow-up list with its ranked matches and reasons,
introducing (both sides consented, one transaction, two messages, idempotent), closing, and refusals that
change nothing (no consent, another district, bad input).

This module has its own database (the demo, with its sample volunteering, plus a few groups and offers of
its own), because the API's writes commit.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from api.main import create_app
from layers.access import auth
from layers.db import make_engine
from layers.importers.demo_volunteering import add_sample_volunteering
from layers.offers.matching import CATEGORY_WORDS, reason
from layers.settings import AccessSettings
from mapping.styles import CATEGORY_NAMES
from tests.live_app import demo_database

NORWICH, BRECKLAND = "E07000148", "E07000143"
PASSWORD = "correct horse battery staple"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = "01603 999888"
NEAR_MILE_CROSS = (1.2790, 52.6430)
THETFORD = (0.85, 52.52)


@pytest.fixture(scope="module")
def world(server_url: str) -> Iterator[dict[str, Any]]:
    """Co-ordinators of Norwich and Breckland with API tokens; the demo's sample offers and groups."""

    def sample_volunteering(conn: Connection) -> None:
        add_sample_volunteering(conn)  # as ``patchmap demo`` does (test databases leave it out)

    with demo_database(server_url, "patchmap_help", setup=sample_volunteering,
                       access=AccessSettings(secure_cookies=False)) as settings:  # fmt: skip
        engine = make_engine(settings.database)
        tokens = {}
        with engine.begin() as conn:
            for who, districts in (("norwich", [NORWICH]), ("breckland", [BRECKLAND])):
                email = f"help-{who}@example.gov.uk"
                auth.create_user(conn, email=email, name=who, role="coordinator", password=PASSWORD,
                                 districts=districts)  # fmt: skip
                tokens[who] = auth.create_token(conn, email, days=1)
        try:
            with TestClient(create_app(settings)) as client:
                yield {"client": client, "engine": engine, "tokens": tokens, "settings": settings}
        finally:
            engine.dispose()


def as_(world: dict[str, Any], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['tokens'][who]}"}


def offer_id(engine: Engine, reference: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT id FROM submissions WHERE reference = :r"), {"r": reference}
            ).scalar_one()
        )


def group_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM groups WHERE name = :n"), {"n": name}).scalar_one())


def add_offer(engine: Engine, point: tuple[float, float], district: str, **details: Any) -> tuple[int, str]:
    """An accepted offer of help (committed) at the point; its id and the volunteer's email."""
    email = f"vol-{uuid.uuid4().hex[:8]}@example.org"
    contact = {"name": "Test Volunteer", "email": email, "phone": PHONE, "consent": "yes"}
    body = {"offer": "I could help", "skills": [], "categories": [], "share_contact": True, **details}
    with engine.begin() as conn:
        new = conn.execute(
            text(
                "INSERT INTO submissions (reference, kind, status, follow_up, details, contact, geom, district_code,"
                " client_key, moderated_at) VALUES (:ref, 'help', 'approved', 'open', CAST(:d AS jsonb),"
                " CAST(:c AS jsonb), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :dist, 'test', now()) RETURNING id"
            ),
            {"ref": "PM-T" + uuid.uuid4().hex[:8].upper(), "d": json.dumps(body), "c": json.dumps(contact),
             "lon": point[0], "lat": point[1], "dist": district},
        ).scalar_one()  # fmt: skip
    return int(new), email


def add_group(engine: Engine, name: str, point: tuple[float, float] | None, **values: Any) -> int:
    """A group (committed): wanting volunteers unless told otherwise; with an organiser's email."""
    fields = {"categories": [], "skills_sought": [], "volunteers_wanted": True, "accepts_introductions": True,
              "private_contact": json.dumps({"name": "Org", "email": f"org-{uuid.uuid4().hex[:6]}@example.org"}),
              **values}  # fmt: skip
    geom = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)" if point else "NULL"
    with engine.begin() as conn:
        new = conn.execute(
            text(
                "INSERT INTO groups (name, categories, skills_sought, volunteers_wanted, accepts_introductions,"
                f" private_contact, geom) VALUES (:name, :categories, :skills_sought, :volunteers_wanted,"
                f" :accepts_introductions, CAST(:private_contact AS jsonb), {geom}) RETURNING id"
            ),
            {"name": name, **fields, "lon": point[0] if point else None, "lat": point[1] if point else None},
        ).scalar_one()
    return int(new)


def state(engine: Engine, submission: int) -> dict[str, Any]:
    """What an introduction or a close may change: the offer's follow-up, its introductions, messages, audit."""
    with engine.connect() as conn:
        return {
            "follow_up": conn.execute(text("SELECT follow_up FROM submissions WHERE id = :i"), {"i": submission}).scalar(),
            "introductions": conn.execute(text("SELECT count(*) FROM introductions WHERE submission_id = :i"),
                                          {"i": submission}).scalar(),
            "outbox": conn.execute(text("SELECT count(*) FROM outbox")).scalar(),
            "audit": conn.execute(text("SELECT count(*) FROM audit_log WHERE object_type = 'submission'"
                                       " AND object_id = CAST(:i AS text)"), {"i": submission}).scalar(),
        }  # fmt: skip


def listed(world: dict[str, Any], who: str = "norwich") -> dict[str, Any]:
    r = world["client"].get(f"/districts/{NORWICH}/help-offers", headers=as_(world, who))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return dict(r.json())


def by_reference(body: dict[str, Any], reference: str) -> dict[str, Any]:
    [found] = [o for o in body["offers"] if o["reference"] == reference]
    return found


# ---------------------------------------------------------------- matching


def test_category_words_agree_with_the_map() -> None:
    assert {k: v.lower() for k, v in CATEGORY_NAMES.items()} == CATEGORY_WORDS


def test_reasons_in_words() -> None:
    point = {"located_by": "point", "distance_m": 812, "area_name": None}
    assert (
        reason({**point, "skills_matched": ["drivers"], "categories_matched": []}) == "wants drivers; 0.8 km"
    )
    assert reason({**point, "distance_m": 1249, "skills_matched": [], "categories_matched": ["food", "older-people"]}) == (
        "food and older people; 1.2 km"
    )  # fmt: skip
    area = {
        "located_by": "area",
        "skills_matched": ["cooks", "drivers", "befrienders"],
        "categories_matched": [],
    }
    assert reason({**area, "distance_m": 0, "area_name": "Norwich"}) == (
        "wants cooks, drivers and befrienders; serves Norwich, which includes the volunteer (no meeting place given)"
    )
    assert reason({**area, "distance_m": 2300, "area_name": "Breckland"}).endswith(
        "serves Breckland, 2.3 km away (no meeting place given)"
    )


def test_matches_are_ranked_nearest_first_with_area_only_groups_after(world: dict[str, Any]) -> None:
    engine = world["engine"]
    # a made-up skill no other group seeks, so these groups are the only matches ("-ers" and "-ing" agree)
    word = "zq" + "".join(random.choice("bcdfghjklmnpqrtvwxz") for _ in range(6)) + "k"
    near = add_group(engine, f"Near {word}", (1.2800, 52.6440), skills_sought=[f"Volunteer {word}ers"])
    far = add_group(engine, f"Far {word}", (1.3200, 52.6200), skills_sought=[word])
    serving = add_group(engine, f"Serving {word}", None, skills_sought=[f"{word}ers"])
    middle = add_group(engine, f"Middle {word}", (1.2900, 52.6300), categories=["heritage-history"])
    unwanted = add_group(engine, f"Not asking {word}", (1.2791, 52.6431), skills_sought=[f"{word}ers"],
                         volunteers_wanted=False)  # fmt: skip
    unrelated = add_group(engine, f"Unrelated {word}", (1.2792, 52.6432), skills_sought=["singers"])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO group_areas (group_id, area_id) SELECT :g, id FROM areas WHERE code = :c"),
                     {"g": serving, "c": NORWICH})  # fmt: skip
    submission, _ = add_offer(engine, NEAR_MILE_CROSS, NORWICH, offer=f"I like {word}ing",
                              skills=[f"{word}ing"], categories=["heritage-history"])  # fmt: skip
    with engine.connect() as conn:
        expected = {
            g: round(conn.execute(text(
                "SELECT ST_Distance(ST_Transform(g.geom, 27700), ST_Transform(s.geom, 27700)) FROM groups g,"
                " submissions s WHERE g.id = :g AND s.id = :s"), {"g": g, "s": submission}).scalar_one())
            for g in (near, far, middle)
        }  # fmt: skip
    matches = by_reference(listed(world), _reference(engine, submission))["matches"]
    mine = [m for m in matches if m["name"].endswith(word)]
    assert [m["group_id"] for m in mine] == [near, middle, far, serving]
    assert unwanted not in [m["group_id"] for m in matches] and unrelated not in [
        m["group_id"] for m in matches
    ]
    assert [m["rank"] for m in matches] == list(range(1, len(matches) + 1))
    assert [m["distance_m"] for m in mine[:3]] == [expected[near], expected[middle], expected[far]]
    assert expected[near] < expected[middle] < expected[far]
    assert [m["located_by"] for m in mine] == ["point", "point", "point", "area"]
    assert mine[0]["skills_matched"] == [f"Volunteer {word}ers"] and mine[0]["categories_matched"] == []
    assert mine[0]["reason"] == f"wants Volunteer {word}ers; {expected[near] / 1000:.1f} km"
    assert mine[1]["reason"] == f"heritage and history; {expected[middle] / 1000:.1f} km"
    assert mine[3]["reason"] == (
        f"wants {word}ers; serves Norwich, which includes the volunteer (no meeting place given)"
    )
    assert mine[0]["can_introduce"] and mine[0]["why_not"] is None


def test_the_demo_shows_sample_offers_and_groups(world: dict[str, Any]) -> None:
    body = listed(world)
    sam = by_reference(body, "PM-SAMPLE01")
    assert sam["sample"] and sam["consented"] and sam["follow_up"] in ("open", "introduced")
    demo = [m for m in sam["matches"] if m["sample"]]  # (other tests add groups of their own nearby)
    top = demo[0]
    assert top["name"] == "Mile Cross Community Drivers (sample group)"
    assert top["reason"].startswith("wants drivers; older people; ")
    jo = by_reference(body, "PM-SAMPLE03")
    assert not jo["consented"] and jo["why_not"]
    assert all(not m["can_introduce"] for m in jo["matches"])


def test_the_list_holds_no_contact_details(world: dict[str, Any]) -> None:
    add_offer(world["engine"], NEAR_MILE_CROSS, NORWICH, offer="I drive", skills=["driving"])
    r = world["client"].get(f"/districts/{NORWICH}/help-offers", headers=as_(world, "norwich"))
    assert r.status_code == 200
    assert not EMAIL.search(r.text) and PHONE not in r.text
    anonymous = world["client"].get(f"/districts/{NORWICH}/help-offers")
    assert anonymous.status_code == 401 and set(anonymous.json()) == {"error", "detail"}
    other = world["client"].get(f"/districts/{NORWICH}/help-offers", headers=as_(world, "breckland"))
    assert other.status_code == 403 and "Test Volunteer" not in other.text


# ---------------------------------------------------------------- introducing


def test_introducing_writes_one_row_two_messages_and_a_retry_changes_nothing(world: dict[str, Any]) -> None:
    engine, client = world["engine"], world["client"]
    tag = uuid.uuid4().hex[:6]
    group = add_group(engine, f"Drivers to introduce {tag}", (1.2800, 52.6440), skills_sought=["drivers"],
                      private_contact=json.dumps({"name": "Pat Organiser", "email": f"pat-{tag}@example.org",
                                                  "phone": "01603 111222"}))  # fmt: skip
    submission, volunteer = add_offer(engine, NEAR_MILE_CROSS, NORWICH, offer="I drive", skills=["driving"])
    before = state(engine, submission)
    url = f"/help-offers/{submission}/introduce"
    first = client.post(url, json={"group_id": group}, headers=as_(world, "norwich"))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["follow_up"] == "introduced" and body["already"] is False
    assert body["group"] == {"id": group, "name": f"Drivers to introduce {tag}"}
    assert body["reason"].startswith("wants drivers; ")
    assert not EMAIL.search(first.text)
    after = state(engine, submission)
    assert after == {**before, "follow_up": "introduced", "introductions": 1, "outbox": before["outbox"] + 2,
                     "audit": before["audit"] + 1}  # fmt: skip
    with engine.connect() as conn:
        messages = conn.execute(
            text(
                "SELECT dedupe_key, recipient, body FROM outbox WHERE dedupe_key LIKE :k ORDER BY dedupe_key"
            ),
            {"k": f"introduction:{submission}:{group}:%"},
        ).all()
    assert [(m.dedupe_key.rsplit(":", 1)[1], m.recipient) for m in messages] == [
        ("group", f"pat-{tag}@example.org"), ("volunteer", volunteer)]  # fmt: skip
    assert volunteer in messages[0].body and PHONE in messages[0].body  # the organiser gets the volunteer's
    assert f"pat-{tag}@example.org" in messages[1].body and "01603 111222" in messages[1].body
    again = client.post(url, json={"group_id": group}, headers=as_(world, "norwich"))
    assert again.status_code == 200 and again.json()["already"] is True
    assert again.json()["introduced_at"] == body["introduced_at"]
    assert state(engine, submission) == after
    # still listed, marked introduced, until closed
    [listed_offer] = [o for o in listed(world)["offers"] if o["id"] == submission]
    assert listed_offer["follow_up"] == "introduced"
    assert [i["group_id"] for i in listed_offer["introduced_to"]] == [group]
    [m] = [m for m in listed_offer["matches"] if m["group_id"] == group]
    assert m["introduced"] and not m["can_introduce"]


@pytest.mark.parametrize("who_refused", ["volunteer", "group", "no organiser email", "volunteer email"])
def test_without_both_consents_it_is_refused_and_nothing_changes(
    world: dict[str, Any], who_refused: str
) -> None:
    engine, client = world["engine"], world["client"]
    tag = uuid.uuid4().hex[:6]
    group_values: dict[str, Any] = {"skills_sought": ["drivers"]}
    if who_refused == "group":
        group_values["accepts_introductions"] = False
    if who_refused == "no organiser email":
        group_values["private_contact"] = json.dumps({"name": "No email"})
    group = add_group(engine, f"Refusing {tag}", (1.2800, 52.6440), **group_values)
    submission, _ = add_offer(engine, NEAR_MILE_CROSS, NORWICH, offer="I drive", skills=["driving"],
                              share_contact=who_refused != "volunteer")  # fmt: skip
    if who_refused == "volunteer email":
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE submissions SET contact = contact - 'email' WHERE id = :i"), {"i": submission}
            )
    before = state(engine, submission)
    r = client.post(
        f"/help-offers/{submission}/introduce", json={"group_id": group}, headers=as_(world, "norwich")
    )
    assert r.status_code == 409, r.text
    assert set(r.json()) == {"error", "detail"} and r.json()["error"].startswith("Not introduced: ")
    assert state(engine, submission) == before
    [m] = [
        m
        for m in by_reference(listed(world), _reference(engine, submission))["matches"]
        if m["group_id"] == group
    ]
    assert not m["can_introduce"] and m["why_not"]


def _reference(engine: Engine, submission: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(text("SELECT reference FROM submissions WHERE id = :i"), {"i": submission}).scalar()
        )


def test_another_districts_coordinator_is_refused_and_nothing_changes(world: dict[str, Any]) -> None:
    engine, client = world["engine"], world["client"]
    group = add_group(engine, f"Cross {uuid.uuid4().hex[:6]}", (1.2800, 52.6440), skills_sought=["drivers"])
    submission, _ = add_offer(engine, NEAR_MILE_CROSS, NORWICH, offer="I drive", skills=["driving"])
    before = state(engine, submission)
    for path, body in (("introduce", {"group_id": group}), ("close", {"reason": "not mine"})):
        r = client.post(f"/help-offers/{submission}/{path}", json=body, headers=as_(world, "breckland"))
        assert r.status_code == 404, r.text  # an offer's existence is private
        assert state(engine, submission) == before
        anonymous = client.post(f"/help-offers/{submission}/{path}", json=body)
        assert anonymous.status_code == 401
        assert state(engine, submission) == before
    # the patch page's form, posted to the offer's own district's address by the other district's co-ordinator
    r = client.post(f"/patch/{NORWICH}/help-offers/{submission}/introduce", data={"group_id": str(group)},
                    headers=as_(world, "breckland"), follow_redirects=False)  # fmt: skip
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert state(engine, submission) == before


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(world: dict[str, Any]) -> None:
    engine, client = world["engine"], world["client"]
    submission, _ = add_offer(engine, NEAR_MILE_CROSS, NORWICH, offer="I drive", skills=["driving"])
    before = state(engine, submission)
    headers = as_(world, "norwich")
    for body, status in (({}, 422), ({"group_id": 0}, 422), ({"group_id": "x"}, 422), ({"group_id": 1, "x": 1}, 422),
                         ({"group_id": 2_000_000_000}, 404)):  # fmt: skip
        r = client.post(f"/help-offers/{submission}/introduce", json=body, headers=headers)
        assert r.status_code == status, (body, r.text)
        assert set(r.json()) == {"error", "detail"}
    assert (
        client.post("/help-offers/2000000000/introduce", json={"group_id": 1}, headers=headers).status_code
        == 404
    )
    assert client.post("/help-offers/0/close", json={}, headers=headers).status_code == 422
    assert (
        client.post(
            f"/help-offers/{submission}/close", json={"reason": "x" * 501}, headers=headers
        ).status_code
        == 422
    )
    assert state(engine, submission) == before
    with engine.connect() as conn:  # a submission that is not an offer of help is not one
        other = conn.execute(text("SELECT id FROM submissions WHERE kind <> 'help' LIMIT 1")).scalar()
    if other is not None:
        assert client.post(f"/help-offers/{other}/close", json={}, headers=headers).status_code == 404


def test_closing_takes_it_off_the_list_and_a_retry_changes_nothing(world: dict[str, Any]) -> None:
    engine, client = world["engine"], world["client"]
    group = add_group(engine, f"Closing {uuid.uuid4().hex[:6]}", (1.2800, 52.6440), skills_sought=["drivers"])
    submission, _ = add_offer(engine, NEAR_MILE_CROSS, NORWICH, offer="I drive", skills=["driving"])
    headers = as_(world, "norwich")
    r = client.post(
        f"/help-offers/{submission}/close", json={"reason": "They found a group themselves"}, headers=headers
    )
    assert r.status_code == 200 and r.json()["follow_up"] == "closed" and r.json()["already"] is False
    after = state(engine, submission)
    assert after["follow_up"] == "closed"
    again = client.post(f"/help-offers/{submission}/close", json={}, headers=headers)
    assert again.status_code == 200 and again.json()["already"] is True
    assert state(engine, submission) == after
    assert submission not in [o["id"] for o in listed(world)["offers"]]
    late = client.post(f"/help-offers/{submission}/introduce", json={"group_id": group}, headers=headers)
    assert late.status_code == 409
    assert state(engine, submission) == after


def test_the_patch_pages_forms_work_without_javascript(world: dict[str, Any]) -> None:
    engine, client = world["engine"], world["client"]
    group = add_group(
        engine, f"Form drivers {uuid.uuid4().hex[:6]}", (1.2800, 52.6440), skills_sought=["drivers"]
    )
    submission, _ = add_offer(engine, NEAR_MILE_CROSS, NORWICH, offer="I drive", skills=["driving"])
    client.cookies.clear()
    signed = client.post("/auth/sign-in", data={"email": "help-norwich@example.gov.uk", "password": PASSWORD},
                         follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303
    csrf = client.get("/auth/me").json()["csrf_token"]
    try:
        page = client.get(f"/patch/{NORWICH}")
        assert page.status_code == 200 and f'id="pm-help-offer-{submission}"' in page.text
        base = f"/patch/{NORWICH}/help-offers/{submission}"
        forged = client.post(f"{base}/introduce", data={"group_id": str(group)}, follow_redirects=False)
        assert forged.status_code == 403 and state(engine, submission)["introductions"] == 0
        r = client.post(
            f"{base}/introduce", data={"group_id": str(group), "csrf_token": csrf}, follow_redirects=False
        )
        assert (
            r.status_code == 303 and r.headers["location"] == f"/patch/{NORWICH}#pm-help-offer-{submission}"
        )
        assert state(engine, submission)["introductions"] == 1
        page = client.get(f"/patch/{NORWICH}")
        assert "Introduced to Form drivers" in page.text
        r = client.post(f"{base}/close", data={"reason": "", "csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303 and state(engine, submission)["follow_up"] == "closed"
        assert f'id="pm-help-offer-{submission}"' not in client.get(f"/patch/{NORWICH}").text
    finally:
        client.cookies.clear()


def test_a_hostile_name_is_shown_as_text(world: dict[str, Any]) -> None:
    engine, client = world["engine"], world["client"]
    hostile = "<img src=x onerror=alert(1)>"
    add_group(engine, f"{hostile} drivers", (1.2800, 52.6440), skills_sought=["drivers"])
    submission, _ = add_offer(engine, NEAR_MILE_CROSS, NORWICH, offer=hostile, skills=["driving"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE submissions SET contact = jsonb_set(contact, '{name}', to_jsonb(CAST(:n AS text)))"
                          " WHERE id = :i"), {"n": hostile, "i": submission})  # fmt: skip
    client.cookies.clear()
    signed = client.post("/auth/sign-in", data={"email": "help-norwich@example.gov.uk", "password": PASSWORD},
                         follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303
    try:
        page = client.get(f"/patch/{NORWICH}")
        assert page.status_code == 200 and f'id="pm-help-offer-{submission}"' in page.text
        assert hostile not in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    finally:
        client.cookies.clear()


def test_the_help_form_stores_the_consent_to_be_introduced(world: dict[str, Any]) -> None:
    client, engine = world["client"], world["engine"]
    base = {"offer": "I could garden", "postcode": "NR2 1AW", "consent": True,
            "contact": {"name": "Form Volunteer", "email": "form.volunteer@example.org"}}  # fmt: skip
    for given, stored in ((True, True), (None, False)):
        payload = {**base, **({"share_contact": given} if given is not None else {})}
        r = client.post("/submissions/help", json=payload, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 201, r.text
        with engine.connect() as conn:
            details = conn.execute(text("SELECT details FROM submissions WHERE reference = :r"),
                                   {"r": r.json()["reference"]}).scalar_one()  # fmt: skip
        assert details["share_contact"] is stored
