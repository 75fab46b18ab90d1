"""GET /groups/{id}, /hubs/{id}, /spaces/{id}, and the public/private split across every public response.

The demo is read through the session's ``client``; rows a test inserts are read through ``db``, an app on
one connection in a transaction rolled back after the test (``tests/rolled_back.py`` says why and how).

The privacy test inserts a group, a hub and a space holding private contacts (an email, a phone, a home
address) and a group whose only public location is its area but whose row holds a home point. It then
walks every field of every public response (search as JSON and GeoJSON, from a point and a postcode, and
each page) against an allow-list of field names kept here, independently of the response models, and
checks that no response contains any of the private strings or the home's coordinates.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.ogc_schemas import OgcFeature, OgcFeatureCollection
from api.schemas import GroupPublic, HubPublic, NearbyFeatureCollection, NearbyPage, SpacePublic
from layers.areas.contacts import PUBLIC_FIELDS as CONTACT_FIELDS
from tests.api_checks import error_body as _error
from tests.api_checks import ok_body as _ok
from tests.rolled_back import RolledBack

SWANTON = (0.95, 52.70)  # Swanton Morley ward, Breckland: no demo hub or space within 15 km
SWANTON_WARD = "E05005742"
HOSTILE = "<img src=x onerror=alert(1)>"
GEOJSON = "application/geo+json"
SECRETS = ("hidden.person@example.org", "07700 900461", "12 Hidden Lane", "Ms Owner Private", "NR99 9ZZ")
HOME = (0.9512345, 52.7012345)  # a home's point, never to be published

#: Every field name a public response may hold. Kept by hand on purpose: a new field must be added here
#: knowingly. Under "accessibility" the keys are data (OpenStreetMap tags), so they are not checked.
ALLOWED = {
    # search
    "origin", "radius_m", "kinds", "filters", "notes", "results", "serving_your_area", "limit", "offset",
    "more_results", "more_serving", "lon", "lat", "located_by", "postcode", "outward_code", "approximate",
    "postcodes", "category", "community", "q", "open_at", "cost", "step_free", "volunteers_wanted", "kind",
    "id", "name", "subtype", "url", "distance_m", "ward", "code", "address", "opening_hours", "meets",
    "availability", "status", "last_verified_at", "serves_your_area", "served_area", "days", "start", "end",
    "frequency", "weekdays", "evenings", "weekends", "from", "until",
    # GeoJSON
    "type", "features", "geometry", "coordinates", "properties",
    # pages
    "description", "categories", "communities_of_identity", "communities_of_interest", "activities",
    "location_precision", "venue_address", "hub", "areas_served", "website", "email", "phone",
    "accessibility", "age_min", "age_max", "languages", "skills_sought", "facilities", "operator_name",
    "operator_type", "groups", "spaces", "floor_area_m2", "capacity", "price_amount", "price_unit",
    "price_band", "terms",
    # a hub's rooms (GET /hubs/{id}) and how each is booked
    "rooms", "resource_id", "bookable", "price_per_hour", "rate_band", "sample",
    # the free-room search's filters (the answers' own fields are covered by tests/api/test_api_search_free.py)
    "free_from", "free_until", "free_for_minutes", "max_price", "book_url", "rooms_to_book", "currency", "approval",
    # a group whose venue is made up for the demo says so (labelled sample)
    "venue_sample",
    # OGC API – Features (/ogc): the envelope, the links, and the collections' own fields
    "numberMatched", "numberReturned", "timeStamp", "links", "href", "rel", "title", "ward_code", "lsoa_code",
    "district_code", "hub_id", "hub_name", "vintage", "population_total", "population_0_15",
    "population_16_59", "population_60_plus", "population_working_age", "imd_rank", "imd_decile",
    "income_decile", "employment_decile", "education_decile", "health_decile", "crime_decile",
    "housing_decile", "living_environment_decile",
    # the area collections' latest default-settings overlay (migration 0022_area_overlay)
    "assets_per_1000", "coverage_800m", "access_2sfca", "overlay_priority", "overlay_class",
    "overlay_class_label", "overlay_version", "overlay_computed_at",
}  # fmt: skip
#: Names the OGC API collections never hold, though other public answers may: a record's own email and phone.
OGC_NEVER = {"email", "phone", "private_contact", "owner_name", "manager_email"}
FREE_KEYS = {"accessibility"}


def walk(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(path, field name) of every object key in a JSON value, except the keys of free-form maps."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield where, key
            if key not in FREE_KEYS:
                yield from walk(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, f"{where}[{i}]")


def _private() -> dict[str, str]:
    return {"name": "Ms Owner Private", "email": SECRETS[0], "phone": SECRETS[1], "home_address": SECRETS[2]}


@pytest.fixture
def private(db: RolledBack) -> dict[str, int]:
    """A hub, a space and two groups near Swanton Morley, each holding private contacts."""
    hub = db.insert("hubs", name="Village hall", kind="village_hall", lon=0.951, lat=52.701,
                    address="The Street, Swanton Morley", postcode="NR20 4NS", private_contact=_private(),
                    opening_hours="Mo-Fr 09:00-17:00", accessibility={"wheelchair": "yes", "hearing_loop": True},
                    last_verified_at="2024-05-31T00:00:00Z")  # fmt: skip
    space = db.insert("spaces", name="Back room", kind="room", lon=0.9505, lat=52.7003, hub_id=hub,
                      owner_name="Ms Owner Private", private_contact=_private(), price_amount=12.5,
                      price_unit="hour", price_band="low-cost", floor_area_m2=30, capacity=20,
                      availability={"evenings": True, "notes": "ask"}, status="available")  # fmt: skip
    venue = db.insert("groups", name="Knit and natter", lon=0.951, lat=52.701, location_precision="hub",
                      hub_id=hub, private_contact=_private(), categories=["arts-culture"],
                      meets=[{"days": ["we"], "start": "14:00", "end": "16:00", "frequency": "weekly"}],
                      email="knit@example.org", volunteers_wanted=True, skills_sought=["teaching"])  # fmt: skip
    home = db.insert("groups", name="Street WhatsApp group", lon=HOME[0], lat=HOME[1],
                     location_precision="area", venue_address=None, postcode="NR99 9ZZ",
                     private_contact=_private(), categories=["mutual-aid"])  # fmt: skip
    db.execute(
        "INSERT INTO group_areas (group_id, area_id) SELECT %s, id FROM areas WHERE code = %s",
        [home, SWANTON_WARD],
    )
    return {"hub": hub, "space": space, "venue": venue, "home": home}


# ---------------------------------------------------------------- privacy


def test_no_private_field_or_value_in_any_public_response(db: RolledBack, private: dict[str, int]) -> None:
    """Every field of every public response is on the allow-list; no private value appears anywhere."""
    point = {"lon": SWANTON[0], "lat": SWANTON[1], "limit": 100}
    responses = [
        (db.get("/search/nearby", params=point), NearbyPage, "application/json"),
        (db.get("/search/nearby", params={**point, "f": "geojson"}), NearbyFeatureCollection, GEOJSON),
        (db.get("/search/nearby", params={"postcode": "NR2 1AW"}), NearbyPage, "application/json"),
        (db.get("/search/nearby", params={"postcode": "NR2"}, headers={"Accept": GEOJSON}),
         NearbyFeatureCollection, GEOJSON),
        (db.get(f"/hubs/{private['hub']}"), HubPublic, "application/json"),
        (db.get(f"/spaces/{private['space']}"), SpacePublic, "application/json"),
        (db.get(f"/groups/{private['venue']}"), GroupPublic, "application/json"),
        (db.get(f"/groups/{private['home']}"), GroupPublic, "application/json"),
    ]  # fmt: skip
    for response, model, media_type in responses:
        body = _ok(response, model, media_type)
        if "/search/nearby" in str(
            response.url
        ):  # the area's named council contact: public by design, as a whole
            contact = body.pop("contact", None)
            assert contact is None or set(contact) == set(CONTACT_FIELDS), (response.url, contact)
        for where, name in walk(body):
            assert name in ALLOWED, f"{response.url}: field {where}.{name} is not on the public allow-list"
        for secret in (*SECRETS, f"{HOME[0]}", f"{HOME[1]}", "private_contact", "client_key"):
            assert secret not in response.text, f"{response.url} holds {secret!r}"
    search = responses[0][0].json()
    assert {r["name"] for r in search["results"]} == {"Village hall", "Back room", "Knit and natter"}
    assert [g["name"] for g in search["serving_your_area"]] == ["Street WhatsApp group"]


def test_no_private_field_or_value_in_any_ogc_collection(db: RolledBack, private: dict[str, int]) -> None:
    """Every OGC API collection's items near the planted records, and each planted record as one feature, hold
    only allow-listed fields, never an email or phone (not even a public one) nor a private value."""
    room = db.insert("rooms", hub_id=private["hub"], name="Snug", capacity=8)
    db.execute(
        "INSERT INTO resources (room_id, rate_band, price_per_hour, weekly_hours, manager_email) "
        "VALUES (%s, 'low-cost', 5, 'Mo-Fr 09:00-17:00', %s)",
        [room, SECRETS[0]],
    )
    box = {"bbox": "0.90,52.65,1.00,52.75", "limit": 1000}
    ids = {"hubs": private["hub"], "spaces": private["space"], "groups": private["venue"], "rooms": room}
    responses = [
        *(db.get(f"/ogc/collections/{c}/items", params=box) for c in ("hubs", "spaces", "rooms", "groups")),
        *(db.get(f"/ogc/collections/{c}/items", params={**box, "limit": 3})
          for c in ("wards", "lsoas", "districts", "localities")),
        *(db.get(f"/ogc/collections/{c}/items/{i}") for c, i in ids.items()),
        db.get("/ogc/collections/groups/items", params={"limit": 1000}),
        db.get("/ogc/collections/hubs/items", params={**box, "crs": "http://www.opengis.net/def/crs/EPSG/0/27700"}),
    ]  # fmt: skip
    assert db.get(f"/ogc/collections/groups/items/{private['home']}").json()["geometry"] is None
    for response in responses:
        one = "/items/" in str(response.url)
        body = _ok(response, OgcFeature if one else OgcFeatureCollection, GEOJSON)
        for where, name in walk(body):
            assert name in ALLOWED and name not in OGC_NEVER, f"{response.url}: field {where}.{name}"
        for secret in (*SECRETS, f"{HOME[0]}", f"{HOME[1]}", "private_contact", "knit@example.org"):
            assert secret not in response.text, f"{response.url} holds {secret!r}"
    names = {f["properties"]["name"] for r in responses[:4] for f in r.json()["features"]}
    assert {"Village hall", "Back room", "Snug", "Knit and natter"} <= names


def test_a_group_known_by_its_area_has_no_location(db: RolledBack, private: dict[str, int]) -> None:
    """Its page gives the areas it serves, and no point, address, postcode or ward (its row holds a home)."""
    body = _ok(db.get(f"/groups/{private['home']}"), GroupPublic)
    assert body["location_precision"] == "area"
    assert (body["lon"], body["lat"], body["venue_address"], body["postcode"], body["ward"], body["hub"]) == (
        None, None, None, None, None, None
    )  # fmt: skip
    assert body["areas_served"] == [{"code": SWANTON_WARD, "name": "Swanton Morley", "kind": "ward"}]


def test_a_group_at_a_hub_is_placed_at_the_hub(db: RolledBack, private: dict[str, int]) -> None:
    """A group meeting at a hub: the hub's point, ward and link; its meets, public email and volunteering."""
    body = _ok(db.get(f"/groups/{private['venue']}"), GroupPublic)
    assert (body["lon"], body["lat"]) == (0.951, 52.701)
    assert body["hub"] == {"id": private["hub"], "name": "Village hall"}
    assert body["ward"] == {"code": SWANTON_WARD, "name": "Swanton Morley"}
    assert body["meets"] == [{"days": ["we"], "start": "14:00", "end": "16:00", "frequency": "weekly"}]
    assert body["email"] == "knit@example.org" and body["volunteers_wanted"] is True
    assert body["skills_sought"] == ["teaching"] and body["areas_served"] == []


# ---------------------------------------------------------------- pages


def test_hub_page(db: RolledBack, private: dict[str, int]) -> None:
    """A hub's page: where, when it opens, when last confirmed, and the groups and spaces there."""
    body = _ok(db.get(f"/hubs/{private['hub']}"), HubPublic)
    assert body["name"] == "Village hall" and body["kind"] == "village_hall"
    assert body["ward"] == {"code": SWANTON_WARD, "name": "Swanton Morley"}
    assert body["opening_hours"] == "Mo-Fr 09:00-17:00"
    assert body["accessibility"] == {"wheelchair": "yes", "hearing_loop": "yes"}
    assert body["last_verified_at"].startswith("2024-05-31T00:00:00")
    assert body["groups"] == [{"id": private["venue"], "name": "Knit and natter"}]
    assert body["spaces"] == [{"id": private["space"], "name": "Back room"}]


def test_space_page(db: RolledBack, private: dict[str, int]) -> None:
    """A space's page: price, availability, its hub; never the owner's name."""
    body = _ok(db.get(f"/spaces/{private['space']}"), SpacePublic)
    assert (body["price_amount"], body["price_unit"], body["price_band"]) == (12.5, "hour", "low-cost")
    assert (body["floor_area_m2"], body["capacity"]) == (30.0, 20)
    assert body["availability"] == {
        "weekdays": None, "evenings": True, "weekends": None, "from": None, "until": None, "notes": "ask"
    }  # fmt: skip
    assert body["hub"] == {"id": private["hub"], "name": "Village hall"} and body["status"] == "available"
    assert "owner_name" not in body


def test_demo_pages(client: TestClient) -> None:
    """The demo's library, a vacant shop and a group (known only by the district it serves)."""
    hub = _ok(client.get("/search/nearby", params={"postcode": "NR2 1AW", "kinds": "hub", "limit": 1}),
              NearbyPage)["results"][0]  # fmt: skip
    page = _ok(client.get(hub["url"]), HubPublic)
    assert page["name"] == "Norfolk and Norwich Millennium Library" and page["operator_type"] == "council"
    assert page["ward"] == {"code": "E05005882", "name": "Mancroft"} and page["step_free"] is True
    space = _ok(client.get("/search/nearby", params={"postcode": "NR2 1AW", "kinds": "space", "limit": 1}),
                NearbyPage)["results"][0]  # fmt: skip
    assert _ok(client.get(space["url"]), SpacePublic)["kind"] == "vacant_shop"
    group = _ok(client.get("/search/nearby", params={"postcode": "NR2 1AW"}), NearbyPage)[
        "serving_your_area"
    ][0]
    page = _ok(client.get(group["url"]), GroupPublic)
    assert page["areas_served"] == [{"code": "E07000148", "name": "Norwich", "kind": "district"}]
    assert page["lon"] is None and page["location_precision"] == "area"


def test_closed_groups_and_let_spaces_are_shown_with_their_status(db: RolledBack) -> None:
    """They keep their pages (with their status) but are not found by search."""
    group = db.insert("groups", name="Old club", lon=0.95, lat=52.70, location_precision="venue",
                      status="closed")  # fmt: skip
    space = db.insert("spaces", name="Taken shop", kind="vacant_shop", lon=0.95, lat=52.70, status="let")
    assert _ok(db.get(f"/groups/{group}"), GroupPublic)["status"] == "closed"
    assert _ok(db.get(f"/spaces/{space}"), SpacePublic)["status"] == "let"
    found = _ok(db.get("/search/nearby", params={"lon": 0.95, "lat": 52.70}), NearbyPage)
    assert not {r["name"] for r in found["results"]} & {"Old club", "Taken shop"}


def test_a_hostile_name_is_data(db: RolledBack) -> None:
    """A name holding HTML comes back verbatim in JSON: escaping it is the page's job."""
    hub = db.insert("hubs", name=HOSTILE, kind="other", lon=0.95, lat=52.70, description=HOSTILE)
    body = _ok(db.get(f"/hubs/{hub}"), HubPublic)
    assert body["name"] == HOSTILE and body["description"] == HOSTILE


@pytest.mark.parametrize("kind", ["groups", "hubs", "spaces"])
def test_unknown_ids_are_404(client: TestClient, kind: str) -> None:
    """An id no record has is 404, naming it."""
    body = _error(client.get(f"/{kind}/2147483647"), 404)
    assert "2147483647" in body["error"]


@pytest.mark.parametrize("kind", ["groups", "hubs", "spaces"])
@pytest.mark.parametrize("bad", ["abc", "1.5", "0", "-3", "2147483648", "99999999999999999999"])
def test_bad_ids_are_422(client: TestClient, kind: str, bad: str) -> None:
    """An id that is not a whole number from 1 to 2147483647 is 422, not 500."""
    _error(client.get(f"/{kind}/{bad}"), 422)
