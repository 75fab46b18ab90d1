"""Named council contacts: GET/PUT/DELETE /areas/{code}/contact, the contact in /areas/lookup and
/search/nearby, the patch page's plain forms, and refusals (another district, anonymous, bad input) that
change nothing. On a demo database of this module's own, since allowed writes commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.main import create_app
from api.routes.areas import AreaLookup
from api.schemas import AreaContactPublic, NearbyFeatureCollection, NearbyPage
from layers.access import auth
from layers.db import make_engine
from layers.importers.demo_contacts import CONTACTS, add_sample_contacts
from tests.api_checks import ERROR_KEYS, ok_body
from tests.live_app import demo_database

NORWICH, BRECKLAND = "E07000148", "E07000143"
NORTH, CENTRE = "SAMPLE-NOR-NORTH", "SAMPLE-NOR-CENTRE"
MILE_CROSS, MANCROFT, BOWTHORPE = "E05005883", "E05005882", "E05005877"
BRECKLAND_POINT = {"lon": 0.85, "lat": 52.52}
PUBLIC = {"area_code", "area_name", "role_name", "email", "phone", "office_hours"}
GOOD = {
    "role_name": "Community Connector for Norwich",
    "email": "connector@norwich.example.org",
    "phone": "01632 960 123",
    "office_hours": "Monday to Thursday, 10am to 4pm",
}


@pytest.fixture(scope="module")
def world(server_url: str) -> Iterator[dict[str, Any]]:
    """The app on its own demo database, with a token for each persona."""
    with demo_database(server_url, prefix="patchmap_contacts") as settings:
        engine = make_engine(settings.database)
        tag = uuid.uuid4().hex[:6]
        tokens = {}
        with engine.begin() as conn:
            for persona, role, districts in (
                ("norwich", "coordinator", [NORWICH]),
                ("breckland", "coordinator", [BRECKLAND]),
                ("officer", "officer", []),
            ):
                email = f"contacts-{persona}-{tag}@example.gov.uk"
                auth.create_user(
                    conn, email=email, name=persona, role=role, password="x" * 16, districts=districts
                )
                tokens[persona] = {"Authorization": f"Bearer {auth.create_token(conn, email, days=1)}"}
            where = {}
            for ward in (MILE_CROSS, MANCROFT, BOWTHORPE):  # a point (and a postcode) in each of these wards
                row = (
                    conn.execute(
                        text(
                            "SELECT ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat, "
                            "(SELECT pc.postcode FROM postcodes pc WHERE ST_Intersects(a.geom, pc.geom) "
                            " ORDER BY pc.postcode LIMIT 1) AS postcode FROM areas a WHERE a.code = :w"
                        ),
                        {"w": ward},
                    )
                    .mappings()
                    .one()
                )
                where[ward] = dict(row)
        with TestClient(create_app(settings)) as client:
            yield {"client": client, "engine": engine, "tokens": tokens, "where": where}
        engine.dispose()


@pytest.fixture
def demo_contacts(world: dict[str, Any]) -> Iterator[None]:
    """Each test starts (and leaves) the contacts as the demo made them."""
    _reset(world["engine"])
    yield
    _reset(world["engine"])


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM area_contacts"))
        add_sample_contacts(conn)


def _snapshot(engine: Engine) -> tuple[Any, int]:
    """Every contact as stored, and how many audit entries there are."""
    with engine.connect() as conn:
        contacts = conn.execute(
            text("SELECT jsonb_agg(to_jsonb(c) ORDER BY area_code) FROM area_contacts c")
        ).scalar_one()
        audits = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    return contacts, int(audits)


def _contact(body: dict[str, Any]) -> dict[str, Any] | None:
    contact = body["contact"]
    if contact is not None:
        assert set(contact) == PUBLIC
    return contact


# ---------------------------------------------------------------- reading


def test_the_demo_has_sample_contacts_for_norwich_and_its_localities(
    world: dict[str, Any], demo_contacts: None
) -> None:
    client = world["client"]
    for code, role, email, phone in CONTACTS:
        body = ok_body(client.get(f"/areas/{code}/contact"), AreaContactPublic)
        assert body["area_code"] == code and body["role_name"] == role
        assert role.endswith("(sample)") and email.endswith(".example.org") and phone.startswith("01632 960")
        assert body["email"] == email and body["phone"] == phone
    # a ward's contact is its locality's; a district with none, an unknown code and a bad code are refused
    assert client.get(f"/areas/{MILE_CROSS}/contact").json()["area_code"] == NORTH
    assert client.get(f"/areas/{MANCROFT}/contact").json()["area_code"] == CENTRE
    assert client.get(f"/areas/{BOWTHORPE}/contact").json()["area_code"] == NORWICH
    for url, status in ((f"/areas/{BRECKLAND}/contact", 404), ("/areas/E99999999/contact", 404),
                        ("/areas/no%20such/contact", 422)):  # fmt: skip
        r = client.get(url)
        assert r.status_code == status and set(r.json()) == ERROR_KEYS, (url, r.text)


def test_lookup_carries_the_contact_and_null_elsewhere(world: dict[str, Any], demo_contacts: None) -> None:
    client, where = world["client"], world["where"]
    for ward, code in ((MILE_CROSS, NORTH), (MANCROFT, CENTRE), (BOWTHORPE, NORWICH)):
        point = {"lon": where[ward]["lon"], "lat": where[ward]["lat"]}
        body = ok_body(client.get("/areas/lookup", params=point), AreaLookup)
        assert body["ward"]["code"] == ward and _contact(body)["area_code"] == code  # type: ignore[index]
    postcode = where[MILE_CROSS]["postcode"]
    assert postcode, "the demo has a postcode in Mile Cross"
    body = ok_body(client.get("/areas/lookup", params={"postcode": postcode}), AreaLookup)
    assert _contact(body) == client.get(f"/areas/{NORTH}/contact").json()
    body = ok_body(client.get("/areas/lookup", params=BRECKLAND_POINT), AreaLookup)
    assert body["district"]["code"] == BRECKLAND and body["contact"] is None


def test_nearby_carries_the_contact_in_every_kind_of_search(
    world: dict[str, Any], demo_contacts: None
) -> None:
    client, where = world["client"], world["where"]
    mile_cross = {"lon": where[MILE_CROSS]["lon"], "lat": where[MILE_CROSS]["lat"]}
    north = client.get(f"/areas/{NORTH}/contact").json()
    monday = date.today() + timedelta(days=7 - date.today().weekday() + 7)
    for extra in ({}, {"kinds": "hub"}, {"category": "food"}, {"postcode": where[MILE_CROSS]["postcode"]},
                  {"free_from": f"{monday.isoformat()}T11:00", "free_for_minutes": "60"}):  # fmt: skip
        params = {**({} if "postcode" in extra else mile_cross), "radius_m": 3000, **extra}
        body = ok_body(client.get("/search/nearby", params=params), NearbyPage)
        assert _contact(body) == north, extra
    geo = client.get("/search/nearby", params={**mile_cross, "f": "geojson"})
    body = ok_body(geo, NearbyFeatureCollection, "application/geo+json")
    assert _contact(body) == north
    body = ok_body(client.get("/search/nearby", params={**BRECKLAND_POINT, "radius_m": 3000}), NearbyPage)
    assert body["contact"] is None
    # without the locality's own contact, Mile Cross falls back to the district's
    r = client.delete(f"/areas/{NORTH}/contact", headers=world["tokens"]["norwich"])
    assert r.status_code == 204
    body = ok_body(client.get("/search/nearby", params=mile_cross), NearbyPage)
    assert _contact(body)["area_code"] == NORWICH  # type: ignore[index]


# ---------------------------------------------------------------- writing


def test_coordinator_sets_and_clears_their_district_contact_audited(
    world: dict[str, Any], demo_contacts: None
) -> None:
    client, engine, norwich = world["client"], world["engine"], world["tokens"]["norwich"]
    _, audits = _snapshot(engine)
    body = ok_body(client.put(f"/areas/{NORWICH}/contact", json=GOOD, headers=norwich), AreaContactPublic)
    assert body == {"area_code": NORWICH, "area_name": "Norwich", **GOOD}
    assert client.get(f"/areas/{NORWICH}/contact").json() == body
    point = {"lon": world["where"][BOWTHORPE]["lon"], "lat": world["where"][BOWTHORPE]["lat"]}
    assert client.get("/areas/lookup", params=point).json()["contact"] == body
    with engine.connect() as conn:
        entry = (
            conn.execute(
                text(
                    "SELECT action, object_type, object_id, district_code, detail FROM audit_log ORDER BY id DESC LIMIT 1"
                )
            )
            .mappings()
            .one()
        )
    assert (entry["action"], entry["object_id"], entry["district_code"]) == ("contact-set", NORWICH, NORWICH)
    assert set(entry["detail"]["fields"]) == set(GOOD) and GOOD["email"] not in str(entry["detail"])
    # the same PUT again is kept as it is: same answer, nothing more audited
    snapshot = _snapshot(engine)
    again = client.put(f"/areas/{NORWICH}/contact", json=GOOD, headers=norwich)
    assert again.status_code == 200 and again.json() == body and _snapshot(engine) == snapshot
    assert snapshot[1] == audits + 1
    # an officer may set a locality's; clearing is 204, then 404 to read, and 204 again (idempotent)
    r = client.put(f"/areas/{CENTRE}/contact", json={"role_name": "Centre desk", "phone": "+44 1632 960999"},
                   headers=world["tokens"]["officer"])  # fmt: skip
    assert r.status_code == 200 and r.json()["email"] is None and r.json()["office_hours"] is None
    for _ in range(2):
        assert client.delete(f"/areas/{NORWICH}/contact", headers=norwich).status_code == 204
    assert client.get(f"/areas/{NORWICH}/contact").status_code == 404
    assert client.get("/areas/lookup", params=point).json()["contact"] is None
    assert _snapshot(engine)[1] == audits + 3  # set, the officer's set, one clear


@pytest.mark.parametrize(
    ("who", "method", "code", "status"),
    [
        ("breckland", "PUT", NORWICH, 403),
        ("breckland", "DELETE", NORWICH, 403),
        ("breckland", "PUT", NORTH, 403),
        ("breckland", "DELETE", CENTRE, 403),
        ("norwich", "PUT", BRECKLAND, 403),
        (None, "PUT", NORWICH, 401),
        (None, "DELETE", NORWICH, 401),
    ],
)
def test_other_districts_and_anonymous_are_refused_and_nothing_changes(
    world: dict[str, Any], demo_contacts: None, who: str | None, method: str, code: str, status: int
) -> None:
    before = _snapshot(world["engine"])
    headers = world["tokens"][who] if who else {}
    r = world["client"].request(method, f"/areas/{code}/contact", json=GOOD, headers=headers)
    assert r.status_code == status and set(r.json()) == ERROR_KEYS, r.text
    assert _snapshot(world["engine"]) == before


BAD: list[tuple[dict[str, Any] | str, str]] = [
    ({**GOOD, "role_name": "Connector\x00"}, "role_name"),
    ({**GOOD, "role_name": "Connector\x07bell"}, "role_name"),
    ({**GOOD, "office_hours": "Mon\nTue"}, "office_hours"),
    ({**GOOD, "email": "not an email"}, "email"),
    ({**GOOD, "email": "connector@localhost"}, "email"),
    ({**GOOD, "phone": "+1 212 555 0100"}, "phone"),
    ({**GOOD, "phone": "01632 96"}, "phone"),
    ({**GOOD, "role_name": "x" * 121}, "role_name"),
    ({**GOOD, "office_hours": "x" * 201}, "office_hours"),
    ({**GOOD, "role_name": "   "}, "role_name"),
    ({"role_name": "Connector", "office_hours": "Mondays"}, "email"),
    ('{"role_name": "Connector \\ud800", "phone": "01632 960123"}', "role_name"),  # an unpaired surrogate
    ({**GOOD, "extra": "x"}, ""),
    ({**GOOD, "email": 12}, ""),
    ({**GOOD, "role_name": "x" * 2001}, ""),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_input_is_a_clear_422_and_changes_nothing(
    world: dict[str, Any], demo_contacts: None, body: dict[str, Any] | str, field: str
) -> None:
    before = _snapshot(world["engine"])
    url, headers = f"/areas/{NORWICH}/contact", world["tokens"]["norwich"]
    if isinstance(body, str):  # JSON text the test client could not write from a dict
        r = world["client"].put(url, content=body, headers={**headers, "content-type": "application/json"})
    else:
        r = world["client"].put(url, json=body, headers=headers)
    assert r.status_code == 422 and set(r.json()) == ERROR_KEYS, r.text
    assert field in str(r.json())
    assert _snapshot(world["engine"]) == before


def test_a_ward_or_unknown_area_keeps_no_contact(world: dict[str, Any], demo_contacts: None) -> None:
    client, officer = world["client"], world["tokens"]["officer"]
    before = _snapshot(world["engine"])
    r = client.put(f"/areas/{MILE_CROSS}/contact", json=GOOD, headers=officer)
    assert r.status_code == 422 and "district or a locality" in r.json()["error"]
    assert client.put("/areas/E99999999/contact", json=GOOD, headers=officer).status_code == 404
    assert client.delete("/areas/E99999999/contact", headers=officer).status_code == 404
    assert _snapshot(world["engine"]) == before


# ---------------------------------------------------------------- the patch page's forms


def test_patch_page_forms_set_and_clear_without_javascript(
    world: dict[str, Any], demo_contacts: None
) -> None:
    client, norwich = world["client"], world["tokens"]["norwich"]
    page = client.get(f"/patch/{NORWICH}", headers=norwich)
    assert page.status_code == 200
    for code in (NORWICH, NORTH, CENTRE):
        assert f'id="pm-contact-{code}"' in page.text
        assert f'action="/patch/{NORWICH}/contacts/{code}"' in page.text
    assert 'data-count-of="pm-contact-list">3<' in page.text
    # a bad form: the form again (422) with the problem beside its field, the input kept and escaped
    before = _snapshot(world["engine"])
    form = {**GOOD, "email": "<b>nope</b>", "csrf_token": ""}
    r = client.post(
        f"/patch/{NORWICH}/contacts/{NORWICH}", data=form, headers=norwich, follow_redirects=False
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert 'id="pm-contact-edit-email-error"' in r.text and 'aria-invalid="true"' in r.text
    assert "&lt;b&gt;nope&lt;/b&gt;" in r.text and "<b>nope</b>" not in r.text
    assert _snapshot(world["engine"]) == before
    # a good one: saved, back to the patch page, which shows it (escaped)
    form = {**GOOD, "role_name": "Connector <i>North</i>"}
    r = client.post(f"/patch/{NORWICH}/contacts/{NORTH}", data=form, headers=norwich, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/patch/{NORWICH}#pm-contact-{NORTH}"
    page = client.get(f"/patch/{NORWICH}", headers=norwich)
    assert "Connector &lt;i&gt;North&lt;/i&gt;" in page.text
    assert client.get(f"/areas/{NORTH}/contact").json()["role_name"] == "Connector <i>North</i>"
    # the form page for one area, and clearing
    assert client.get(f"/patch/{NORWICH}/contacts/{NORTH}", headers=norwich).status_code == 200
    r = client.post(
        f"/patch/{NORWICH}/contacts/{NORTH}/clear",
        data={"csrf_token": ""},
        headers=norwich,
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get(f"/areas/{NORTH}/contact").status_code == 404
    # another district's co-ordinator gets a page saying no; a stranger is sent to sign in; an area outside
    # the district in its address is not found
    before = _snapshot(world["engine"])
    r = client.post(f"/patch/{NORWICH}/contacts/{NORWICH}", data=GOOD, headers=world["tokens"]["breckland"],
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    r = client.post(f"/patch/{NORWICH}/contacts/{NORWICH}", data=GOOD, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")
    r = client.post(f"/patch/{NORWICH}/contacts/{BRECKLAND}", data=GOOD, headers=world["tokens"]["officer"],
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 404
    r = client.post(f"/patch/{NORWICH}/contacts/{NORWICH}", json=GOOD, headers=norwich)
    assert r.status_code == 415
    assert _snapshot(world["engine"]) == before
