"""The browser forms for groups, hubs, spaces and rooms (api/routes/record_pages.py, layers/records/forms.py),
driven as plain form posts: every field round-trips; each problem is shown beside its field and nothing is
written; a co-ordinator can neither create nor move a record outside their districts; a double-sent form makes
one record; a group's venue is never a home; markup in every text field comes back as text.

Its own database (the demo, a Breckland hub and three users), dropped at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from api.main import create_app
from layers.access import auth
from layers.settings import AccessSettings, Settings
from tests.live_app import demo_database

NORWICH, BRECKLAND = "E07000148", "E07000143"
BRECKLAND_POINT = (0.85, 52.52)
PASSWORD = "correct horse battery staple"
USERS = {
    "norwich": ("forms.norwich@example.gov.uk", "coordinator", [NORWICH]),
    "breckland": ("forms.breckland@example.gov.uk", "coordinator", [BRECKLAND]),
    "officer": ("forms.officer@example.gov.uk", "officer", []),
}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """The demo, a hub in Breckland, and a co-ordinator of each district and an officer."""

    def setup(conn: Connection) -> None:
        for email, role, districts in USERS.values():
            auth.create_user(conn, email=email, name=f"Forms {role}", role=role, password=PASSWORD,
                             districts=districts)  # fmt: skip
        conn.exec_driver_sql(
            "INSERT INTO hubs (name, kind, geom) VALUES ('Thetford Forms Hall', 'community_centre', "
            "ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326))",
            {"x": BRECKLAND_POINT[0], "y": BRECKLAND_POINT[1]},
        )

    with demo_database(
        server_url, "patchmap_forms", setup=setup, access=AccessSettings(secure_cookies=False)
    ) as s:
        yield s


@pytest.fixture(scope="module")
def web(app_settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on the app."""
    with TestClient(create_app(app_settings)) as c:
        yield c


def db(settings: Settings, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query on the module's database."""
    with psycopg.connect(settings.database.url, autocommit=True) as conn:
        return list(conn.execute(query, params).fetchall())


def sign_in(web: TestClient, who: str) -> str:
    """Sign in through the form; the session's CSRF token."""
    web.cookies.clear()
    r = web.post("/auth/sign-in", data={"email": USERS[who][0], "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(web.get("/auth/me").json()["csrf_token"])


def hub_in(settings: Settings, district: str) -> tuple[int, str]:
    """A hub in the district: its id and name."""
    rows = db(settings, "SELECT h.id, h.name FROM hubs h JOIN areas l ON l.code = h.lsoa_code "
              "WHERE l.parent_code = %s ORDER BY h.id LIMIT 1", district)  # fmt: skip
    return int(rows[0][0]), str(rows[0][1])


def form_key(web: TestClient, path: str) -> str:
    """The form page's hidden idempotency key."""
    page = web.get(path)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="form_key" value="([0-9a-f]+)"', page.text)
    assert found
    return found.group(1)


def problems(page: str) -> list[str]:
    """The error summary's lines, to say why a form was not saved."""
    return re.findall(r'<li><a href="#f-[^"]+">([^<]*)</a></li>', page)


def count(settings: Settings, table: str) -> int:
    """Rows in a table (one of ours)."""
    assert table in ("groups", "hubs", "spaces", "rooms", "record_versions", "audit_log")
    return int(db(settings, f"SELECT count(*) FROM {table}")[0][0])


def full_group(csrf: str, hub_id: int, name: str = "Forms Test Lunch Club") -> dict[str, Any]:
    """A group form with every field filled in, placed at a hub."""
    return {
        "csrf_token": csrf, "action": "save", "name": name, "description": "Hot lunches and company.",
        "place": "hub", "hub_id": str(hub_id), "categories": ["food", "older-people"],
        "communities_of_identity": [], "communities_of_interest": [],
        "activities": "lunch, dominoes", "cost": "low-cost", "age_min": "55", "age_max": "99",
        "languages": "English, Polish", "volunteers_wanted": "yes", "skills_sought": "drivers, cooks",
        "accepts_introductions": "yes", "status": "active",
        "meet_days_0": ["tu", "th"], "meet_start_0": "12:00", "meet_end_0": "14:00", "meet_often_0": "weekly",
        "meet_days_1": ["sa"], "meet_start_1": "10:00", "meet_end_1": "11:30", "meet_often_1": "monthly",
        "website": "https://lunch.example.org", "email": "hello@lunch.example.org", "phone": "01603 212121",
        "step_free": "yes", "accessibility_notes": "Hearing loop",
        "contact_name": "Pat Organiser", "contact_email": "pat.private@example.org",
        "contact_phone": "07700 900123", "contact_notes": "Prefers email",
    }  # fmt: skip


def test_signed_out_visitors_are_sent_to_sign_in(web: TestClient) -> None:
    web.cookies.clear()
    for path in (
        f"/patch/{NORWICH}/groups/new",
        f"/patch/{NORWICH}/hubs/new",
        f"/patch/{NORWICH}/spaces/new",
    ):
        r = web.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/sign-in"
        assert web.post(path, data={"name": "x"}, follow_redirects=False).status_code == 303


def test_a_group_at_a_hub_round_trips_every_field_and_is_found_near_the_hub(
    web: TestClient, app_settings: Settings
) -> None:
    csrf = sign_in(web, "norwich")
    hub_id, _ = hub_in(app_settings, NORWICH)
    path = f"/patch/{NORWICH}/groups/new"
    form = {**full_group(csrf, hub_id), "form_key": form_key(web, path)}
    versions, audits = count(app_settings, "record_versions"), count(app_settings, "audit_log")
    r = web.post(path, data=form, follow_redirects=False)
    assert r.status_code == 303, problems(r.text)
    found = re.fullmatch(rf"/patch/{NORWICH}/groups/(\d+)/edit\?saved=created", r.headers["location"])
    assert found
    group_id = int(found.group(1))
    row = db(app_settings, """SELECT g.name, g.description, g.categories, g.activities, g.cost, g.age_min, g.age_max,
        g.languages, g.volunteers_wanted, g.skills_sought, g.accepts_introductions, g.status, g.meets, g.website,
        g.email, g.phone, g.step_free, g.accessibility, g.private_contact, g.location_precision, g.hub_id,
        ST_Equals(g.geom, h.geom), g.venue_address, g.ward_code IS NOT NULL
        FROM groups g JOIN hubs h ON h.id = g.hub_id WHERE g.id = %s""", group_id)[0]  # fmt: skip
    assert row == (
        "Forms Test Lunch Club", "Hot lunches and company.", ["food", "older-people"], ["lunch", "dominoes"],
        "low-cost", 55, 99, ["English", "Polish"], True, ["drivers", "cooks"], True, "active",
        [{"days": ["tu", "th"], "start": "12:00", "end": "14:00", "frequency": "weekly"},
         {"days": ["sa"], "start": "10:00", "end": "11:30", "frequency": "monthly"}],
        "https://lunch.example.org", "hello@lunch.example.org", "01603 212121", True, {"notes": "Hearing loop"},
        {"name": "Pat Organiser", "email": "pat.private@example.org", "phone": "07700 900123", "notes": "Prefers email"},
        "hub", hub_id, True, None, True,
    )  # fmt: skip
    # one version (by the user) and one audit row, in the same transaction as the record
    assert count(app_settings, "record_versions") == versions + 1
    assert count(app_settings, "audit_log") == audits + 1
    who = db(app_settings, "SELECT v.action, u.email FROM record_versions v JOIN users u ON u.id = v.changed_by "
             "WHERE v.object_type = 'group' AND v.object_id = %s", group_id)  # fmt: skip
    assert who == [("create", USERS["norwich"][0])]
    # the edit form shows every value as kept
    page = web.get(r.headers["location"]).text
    assert "Added: the group is kept" in page
    for shown in ('value="Forms Test Lunch Club"', "Hot lunches and company.", 'value="lunch, dominoes"',
                  'value="55"', 'value="drivers, cooks"', 'value="12:00"', 'value="11:30"',
                  'value="pat.private@example.org"', 'value="07700 900123"', 'value="Hearing loop"',
                  f'<option value="{hub_id}" selected>'):  # fmt: skip
        assert shown in page, shown
    assert re.search(r'name="place" value="hub" checked', page)
    assert re.search(r'value="older-people" checked', page) and re.search(
        r'name="meet_days_0" value="th" checked', page
    )
    # a resident's search near the hub finds the group, and the map draws its marker; never its private contact
    lon, lat = db(app_settings, "SELECT ST_X(geom), ST_Y(geom) FROM hubs WHERE id = %s", hub_id)[0]
    web.cookies.clear()
    near = web.get("/search/nearby", params={"lon": lon, "lat": lat, "radius_m": 200, "limit": 100})
    assert near.status_code == 200
    assert any(r["kind"] == "group" and r["id"] == group_id for r in near.json()["results"])
    assert "pat.private" not in near.text and "07700 900123" not in near.text
    bbox = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    markers = web.get("/map/markers.geojson", params={"bbox": bbox, "zoom": 17})
    assert f"group/{group_id}" in markers.text
    public = web.get(f"/groups/{group_id}")
    assert (
        public.status_code == 200 and "pat.private" not in public.text and "Prefers email" not in public.text
    )


def test_editing_changes_the_fields_writes_a_version_and_can_move_it_to_an_area(
    web: TestClient, app_settings: Settings
) -> None:
    csrf = sign_in(web, "norwich")
    hub_id, _ = hub_in(app_settings, NORWICH)
    path = f"/patch/{NORWICH}/groups/new"
    made = web.post(path, data={**full_group(csrf, hub_id, "Forms Edit Club"), "form_key": form_key(web, path)},
                    follow_redirects=False)  # fmt: skip
    edit = made.headers["location"].split("?")[0]
    ward = db(app_settings, "SELECT code FROM areas WHERE parent_code = %s AND kind = 'ward' ORDER BY code LIMIT 1",
              NORWICH)[0][0]  # fmt: skip
    form = {**full_group(csrf, hub_id, "Forms Edit Club renamed"), "place": "area", "areas": [ward],
            "meet_days_1": [], "meet_start_1": "", "meet_end_1": "", "meet_often_1": "", "contact_notes": ""}  # fmt: skip
    r = web.post(edit, data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == edit + "?saved=saved", problems(r.text)
    group_id = int(edit.split("/")[-2])
    row = db(app_settings, """SELECT name, location_precision, geom IS NULL, hub_id, jsonb_array_length(meets),
        private_contact, (SELECT array_agg(a.code) FROM group_areas ga JOIN areas a ON a.id = ga.area_id
        WHERE ga.group_id = g.id) FROM groups g WHERE id = %s""", group_id)[0]  # fmt: skip
    assert row == ("Forms Edit Club renamed", "area", True, None, 1,
                   {"name": "Pat Organiser", "email": "pat.private@example.org", "phone": "07700 900123"}, [ward])  # fmt: skip
    versions = db(app_settings, "SELECT action, changes ? 'name', changes ? 'location_precision' FROM record_versions "
                  "WHERE object_type = 'group' AND object_id = %s ORDER BY version", group_id)  # fmt: skip
    assert versions == [("create", False, False), ("update", True, True)]
    assert re.search(r'name="place" value="area" checked', web.get(edit).text)


def test_each_problem_is_shown_beside_its_field_and_nothing_is_written(
    web: TestClient, app_settings: Settings
) -> None:
    csrf = sign_in(web, "norwich")
    path = f"/patch/{NORWICH}/groups/new"
    bad = {
        "csrf_token": csrf, "form_key": form_key(web, path), "name": "", "website": "javascript:alert(1)",
        "email": "not an address", "phone": "12", "age_min": "50", "age_max": "10", "cost": "expensive",
        "categories": ["not-a-category"], "meet_days_0": ["tu"], "meet_start_0": "25:00", "meet_end_0": "",
        "place": "postcode", "postcode": "ZZ9 9ZZ", "venue_address": "", "contact_email": "also wrong",
    }  # fmt: skip
    before = (
        count(app_settings, "groups"),
        count(app_settings, "record_versions"),
        count(app_settings, "audit_log"),
    )
    r = web.post(path, data=bad)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert page.count('role="alert"') == 1 and "There is a problem: nothing was saved" in page
    for name in ("name", "website", "email", "phone", "age_max", "cost", "categories",
                 "meet_start_0", "meet_end_0", "postcode", "venue_address", "contact_email"):  # fmt: skip
        assert f'<a href="#f-{name}">' in page, name  # the summary links to the field
        assert f'id="f-{name}-error"' in page, name  # the message sits beside it
        assert re.search(rf'id="f-{name}"[^>]*>', page), name
    for name in ("name", "website", "email", "phone", "meet_start_0", "contact_email"):
        tag = re.search(rf'<(input|select|textarea) [^>]*id="f-{name}"[^>]*>', page)
        assert tag and 'aria-invalid="true"' in tag.group(0) and f"f-{name}-error" in tag.group(0), name
    assert 'value="javascript:alert(1)"' in page  # what was sent is shown again, to correct
    after = (
        count(app_settings, "groups"),
        count(app_settings, "record_versions"),
        count(app_settings, "audit_log"),
    )
    assert after == before


def test_a_venue_needs_its_public_name_and_a_tick_that_it_is_not_a_home(
    web: TestClient, app_settings: Settings
) -> None:
    """The rule: a group placed at a venue (by postcode, map or a search) publishes its point, so the form needs
    the public venue's name and address and a tick saying it is a public place; a group meeting at someone's
    home chooses 'serves an area', and no point is kept."""
    csrf = sign_in(web, "norwich")
    path = f"/patch/{NORWICH}/groups/new"
    base = {**full_group(csrf, 0, "Forms Venue Club"), "place": "map", "lon": "1.2930", "lat": "52.6309",
            "hub_id": "", "form_key": form_key(web, path)}  # fmt: skip
    before = count(app_settings, "groups")
    first = web.post(path, data=base)
    assert first.status_code == 422 and 'id="f-venue_address-error"' in first.text
    assert "a group that meets at someone&#39;s home is shown by the area it serves" in first.text
    second = web.post(path, data={**base, "venue_address": "12 Acacia Avenue"})
    assert second.status_code == 422 and 'id="f-venue_public-error"' in second.text
    assert "Confirm this is a public place, not someone&#39;s home" in second.text
    assert count(app_settings, "groups") == before
    ok = web.post(path, data={**base, "venue_address": "St Mark's Church Hall", "venue_public": "yes"},
                  follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303, problems(ok.text)
    group_id = int(ok.headers["location"].split("/")[-2])
    row = db(app_settings, "SELECT location_precision, venue_address, round(ST_X(geom)::numeric, 4)::float, ward_code "
             "IS NOT NULL FROM groups WHERE id = %s", group_id)[0]  # fmt: skip
    assert row == ("venue", "St Mark's Church Hall", 1.293, True)


def test_the_address_search_finds_places_without_saving_and_one_can_be_chosen(
    web: TestClient, app_settings: Settings
) -> None:
    csrf = sign_in(web, "norwich")
    hub_id, hub_name = hub_in(app_settings, NORWICH)
    path = f"/patch/{NORWICH}/groups/new"
    key = form_key(web, path)
    before = count(app_settings, "groups")
    words = hub_name.split()[0]
    r = web.post(path, data={**full_group(csrf, 0), "form_key": key, "action": "find", "find": words})
    assert r.status_code == 200 and count(app_settings, "groups") == before
    assert f'value="hub:{hub_id}"' in r.text and re.search(r'name="place" value="address" checked', r.text)
    assert 'value="Forms Test Lunch Club"' in r.text  # what was typed is kept
    empty = web.post(path, data={**full_group(csrf, 0), "form_key": key, "action": "find", "find": ""})
    assert empty.status_code == 422 and 'id="f-find-error"' in empty.text
    chosen = web.post(path, data={**full_group(csrf, 0, "Forms Found Club"), "form_key": key, "place": "address",
                                  "found": f"hub:{hub_id}"}, follow_redirects=False)  # fmt: skip
    assert chosen.status_code == 303, problems(chosen.text)
    group_id = int(chosen.headers["location"].split("/")[-2])
    assert db(app_settings, "SELECT location_precision, hub_id FROM groups WHERE id = %s", group_id) == [
        ("hub", hub_id)
    ]


def test_the_patch_page_links_the_forms(web: TestClient) -> None:
    sign_in(web, "norwich")
    page = web.get(f"/patch/{NORWICH}").text
    for kind in ("group", "hub", "space"):
        assert f'href="/patch/{NORWICH}/{kind}s/new">Add a {kind}</a>' in page
    # each listed record has a "Change" link to its form, which opens
    links = re.findall(rf'href="(/patch/{NORWICH}/(?:groups|hubs|spaces)/\d+/edit)">Change<', page)
    assert links
    assert web.get(links[0]).status_code == 200


def test_a_double_sent_form_makes_one_record(web: TestClient, app_settings: Settings) -> None:
    csrf = sign_in(web, "norwich")
    hub_id, _ = hub_in(app_settings, NORWICH)
    path = f"/patch/{NORWICH}/groups/new"
    form = {**full_group(csrf, hub_id, "Forms Double Club"), "form_key": form_key(web, path)}
    first = web.post(path, data=form, follow_redirects=False)
    again = web.post(path, data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert db(app_settings, "SELECT count(*) FROM groups WHERE name = 'Forms Double Club'") == [(1,)]
    other = web.post(path, data={**form, "name": "Forms Double Club changed"}, follow_redirects=False)
    assert other.status_code == 400  # the same form key for another record: refused, nothing written
    assert "This form was already used to add a record" in other.text
    assert db(app_settings, "SELECT count(*) FROM groups WHERE name LIKE 'Forms Double Club%%'") == [(1,)]


def test_a_co_ordinator_cannot_create_or_move_records_outside_their_districts(
    web: TestClient, app_settings: Settings
) -> None:
    csrf = sign_in(web, "norwich")
    breckland_hub, _ = hub_in(app_settings, BRECKLAND)
    norwich_hub, _ = hub_in(app_settings, NORWICH)
    path = f"/patch/{NORWICH}/groups/new"
    before = count(app_settings, "groups")
    # at another district's hub, from the co-ordinator's own patch: refused
    r = web.post(
        path, data={**full_group(csrf, breckland_hub, "Forms Stray"), "form_key": form_key(web, path)}
    )
    assert r.status_code == 403 and "outside your districts" in r.text
    # from the other district's patch: refused before anything is read
    assert web.get(f"/patch/{BRECKLAND}/groups/new").status_code == 403
    r = web.post(f"/patch/{BRECKLAND}/groups/new", data={**full_group(csrf, breckland_hub), "form_key": "k1"})
    assert r.status_code == 403
    assert count(app_settings, "groups") == before
    # a Norwich hub moved to a point in Breckland: refused, unchanged
    edit = f"/patch/{NORWICH}/hubs/{norwich_hub}/edit"
    page = web.get(edit)
    assert page.status_code == 200
    kept = db(app_settings, "SELECT to_jsonb(h) - 'updated_at' FROM hubs h WHERE id = %s", norwich_hub)
    moved = {"csrf_token": csrf, "name": "Moved away", "kind": "community_centre", "operator_type": "unknown",
             "place": "map", "lon": str(BRECKLAND_POINT[0]), "lat": str(BRECKLAND_POINT[1])}  # fmt: skip
    r = web.post(edit, data=moved)
    assert r.status_code == 403
    assert (
        db(app_settings, "SELECT to_jsonb(h) - 'updated_at' FROM hubs h WHERE id = %s", norwich_hub) == kept
    )
    # another district's record, edited from either patch: refused
    assert web.get(f"/patch/{BRECKLAND}/hubs/{breckland_hub}/edit").status_code == 403
    assert web.get(f"/patch/{NORWICH}/hubs/{breckland_hub}/edit").status_code in (403, 404)
    # an officer may place a record anywhere
    csrf = sign_in(web, "officer")
    ok = web.post(path, data={**full_group(csrf, breckland_hub, "Forms Officer Club"), "form_key": "officer-1"},
                  follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"].startswith(f"/patch/{BRECKLAND}/groups/")


def test_hub_space_and_room_forms_round_trip(web: TestClient, app_settings: Settings) -> None:
    csrf = sign_in(web, "norwich")
    postcode, lon, lat = db(app_settings, "SELECT p.postcode, ST_X(p.geom), ST_Y(p.geom) FROM postcodes p "
                            "JOIN areas l ON l.code = patchmap_lsoa_of(p.geom) WHERE l.parent_code = %s "
                            "ORDER BY p.postcode LIMIT 1", NORWICH)[0]  # fmt: skip
    hub = {"csrf_token": csrf, "name": "Forms Community Centre", "description": "A hall.", "kind": "community_centre",
           "address": "1 Forms Road", "facilities": "kitchen, wifi", "opening_hours": "Mo-Fr 09:00-17:00; Sa 10:00-13:00",
           "operator_name": "Forms Trust", "operator_type": "community", "website": "forms.example.org",
           "email": "", "phone": "", "step_free": "no", "accessibility_notes": "", "place": "postcode",
           "postcode": postcode.lower().replace(" ", ""), "contact_name": "Hall Keeper",
           "form_key": form_key(web, f"/patch/{NORWICH}/hubs/new")}  # fmt: skip
    r = web.post(f"/patch/{NORWICH}/hubs/new", data=hub, follow_redirects=False)
    assert r.status_code == 303, problems(r.text)
    hub_id = int(r.headers["location"].split("/")[-2])
    row = db(app_settings, "SELECT kind, address, facilities, opening_hours, operator_name, operator_type, website, "
             "step_free, postcode, ST_X(geom), ST_Y(geom), private_contact, opening_minutes IS NOT NULL FROM hubs "
             "WHERE id = %s", hub_id)[0]  # fmt: skip
    assert row == ("community_centre", "1 Forms Road", ["kitchen", "wifi"], "Mo-Fr 09:00-17:00; Sa 10:00-13:00",
                   "Forms Trust", "community", "https://forms.example.org", False, postcode, lon, lat,
                   {"name": "Hall Keeper"}, True)  # fmt: skip
    unreadable = web.post(f"/patch/{NORWICH}/hubs/{hub_id}/edit", data={**hub, "opening_hours": "whenever"})
    assert unreadable.status_code == 422 and 'id="f-opening_hours-error"' in unreadable.text
    # a space placed by typed coordinates (the map's keyboard alternative)
    space = {"csrf_token": csrf, "name": "Forms Empty Shop", "kind": "vacant_shop", "status": "available",
             "address": "3 Forms Street", "floor_area_m2": "85.5", "capacity": "30", "price_amount": "12.5",
             "price_unit": "hour", "price_band": "low-cost", "avail_weekdays": "yes", "avail_evenings": "no",
             "avail_weekends": "", "avail_from": "1 March 2027", "avail_notes": "Ask first", "terms": "Meanwhile use",
             "owner_name": "Forms Estates", "place": "map", "lon": "1.2950", "lat": "52.6290", "form_key": "space-1"}  # fmt: skip
    r = web.post(f"/patch/{NORWICH}/spaces/new", data=space, follow_redirects=False)
    assert r.status_code == 303, problems(r.text)
    space_id = int(r.headers["location"].split("/")[-2])
    row = db(app_settings, "SELECT kind, status, floor_area_m2::float, capacity, price_amount::float, price_unit, "
             "price_band, availability, terms, owner_name, round(ST_X(geom)::numeric, 3)::float FROM spaces WHERE id = %s",
             space_id)[0]  # fmt: skip
    assert row == ("vacant_shop", "available", 85.5, 30, 12.5, "hour", "low-cost",
                   {"weekdays": True, "evenings": False, "from": "1 March 2027", "notes": "Ask first"},
                   "Meanwhile use", "Forms Estates", 1.295)  # fmt: skip
    # a room of the hub: added, then changed
    new_room = f"/patch/{NORWICH}/hubs/{hub_id}/rooms/new"
    room = {"csrf_token": csrf, "name": "Main hall", "description": "Sprung floor", "capacity": "80",
            "floor_area_m2": "120", "facilities": "stage, piano", "step_free": "yes", "form_key": form_key(web, new_room)}  # fmt: skip
    r = web.post(new_room, data=room, follow_redirects=False)
    assert r.status_code == 303, problems(r.text)
    room_edit = r.headers["location"].split("?")[0]
    r = web.post(room_edit, data={**room, "capacity": "75", "name": ""})
    assert r.status_code == 422 and 'id="f-name-error"' in r.text
    r = web.post(room_edit, data={**room, "capacity": "75"}, follow_redirects=False)
    assert r.status_code == 303
    rows = db(app_settings, "SELECT name, description, capacity, floor_area_m2::float, facilities, step_free FROM rooms "
              "WHERE hub_id = %s", hub_id)  # fmt: skip
    assert rows == [("Main hall", "Sprung floor", 75, 120.0, ["stage", "piano"], True)]
    listed = web.get(f"/patch/{NORWICH}/hubs/{hub_id}/edit").text
    assert 'data-count-of="pm-room-list">1<' in listed and "Main hall" in listed


def test_markup_in_every_text_field_is_shown_as_text(web: TestClient, app_settings: Settings) -> None:
    csrf = sign_in(web, "norwich")
    hub_id, _ = hub_in(app_settings, NORWICH)
    path = f"/patch/{NORWICH}/groups/new"
    form = {**full_group(csrf, hub_id, XSS), "form_key": form_key(web, path)}
    for name in ("description", "activities", "languages", "skills_sought", "accessibility_notes", "contact_name",
                 "contact_notes"):  # fmt: skip
        form[name] = XSS
    r = web.post(path, data=form, follow_redirects=False)
    assert r.status_code == 303, problems(r.text)
    page = web.get(r.headers["location"]).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    # and on the residents' side, as JSON text (the map writes it with textContent)
    group_id = int(r.headers["location"].split("/")[-2])
    web.cookies.clear()
    assert web.get(f"/groups/{group_id}").json()["name"] == XSS


def test_forms_need_the_csrf_token_and_a_form_body(web: TestClient, app_settings: Settings) -> None:
    sign_in(web, "norwich")
    before = count(app_settings, "groups")
    r = web.post(f"/patch/{NORWICH}/groups/new", data={"name": "No token", "csrf_token": "wrong"})
    assert r.status_code == 403 and "security token" in r.text
    assert count(app_settings, "groups") == before
