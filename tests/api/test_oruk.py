"""The Open Referral UK 3.0 API (/oruk/): every answer over the whole demo (and groups with meeting times,
costs, categories and only an area) validates against the profile's own JSON Schemas, plain and closed to
undeclared fields; paging follows the profile; ids are stable UUIDs; no private value is published.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api import oruk_schemas as s
from layers.oruk import shapes
from layers.oruk.ids import oruk_id, taxonomy_id, term_id
from layers.settings import Settings
from tests.api_checks import error_body, ok_body
from tests.oruk_profile import PAGE_KEYS, answer_schema, errors, page_schema
from tests.rolled_back import RolledBack

SECRETS = ("hidden.person@example.org", "07700 900461", "12 Hidden Lane", "Ms Owner Private")
HOME = (0.9512345, 52.7012345)
#: Each listing: its path, the schema of its page and of one item's own answer, and the pydantic models.
LISTINGS: dict[str, tuple[dict[str, Any], list[dict[str, Any]], type[BaseModel], type[BaseModel]]] = {
    "services": (answer_schema("/services"), [answer_schema("/services/{id}"), {"$ref": "service.json"}],
                 s.Page[s.ServiceBrief], s.Service),
    # Not in the profile's OpenAPI; HSDS 3.0's organisation schemas.
    "organizations": (page_schema("compiled/organization_list.json"),
                      [{"$ref": "compiled/organization.json"}],
                      s.Page[s.Organization], s.OrganizationFull),
    # The OpenAPI gives /service_at_locations/{id} the schema of a service (compiled/service.json), a slip:
    # the answer is a service at a location, so its own compiled schema is used.
    "service_at_locations": (answer_schema("/service_at_locations"),
                             [{"$ref": "compiled/service_at_location.json"}],
                             s.Page[s.ServiceAtLocationBrief], s.ServiceAtLocationFull),
    "taxonomies": (answer_schema("/taxonomies"), [answer_schema("/taxonomies/{id}")], s.Page[s.Taxonomy],
                   s.Taxonomy),
    "taxonomy_terms": (answer_schema("/taxonomy_terms"), [answer_schema("/taxonomy_terms/{id}")],
                       s.Page[s.TaxonomyTerm], s.TaxonomyTerm),
}  # fmt: skip


def _based(schema: dict[str, Any]) -> dict[str, Any]:
    from tests.oruk_profile import BASE

    ref = schema.get("$ref", "")
    return schema if ref.startswith("http") or not ref else {"$ref": BASE + ref}


def _private() -> dict[str, str]:
    return {"name": SECRETS[3], "email": SECRETS[0], "phone": SECRETS[1], "home_address": SECRETS[2]}


@pytest.fixture
def groups(db: RolledBack) -> dict[str, int]:
    """Groups the demo lacks: one meeting at a hub with times, a cost and categories; one known only by its
    ward (its row holds a home); one at a public venue; one closed."""
    hub = db.insert("hubs", name="Village hall", kind="village_hall", lon=0.951, lat=52.701,
                    address="The Street, Swanton Morley", postcode="NR20 4NS", private_contact=_private())  # fmt: skip
    meets = [{"days": ["mo", "we"], "start": "14:00", "end": "16:00", "frequency": "weekly"},
             {"days": ["sa"], "start": "10:00", "end": "12:30", "frequency": "fortnightly"},
             {"days": ["th"], "start": "19:00", "end": "21:00", "frequency": "monthly"},
             {"days": ["fr"], "start": "09:00", "end": "10:00", "frequency": "occasional"}]  # fmt: skip
    knit = db.insert("groups", name="Knit and natter", location_precision="hub", hub_id=hub, lon=0.951, lat=52.701,
                     private_contact=_private(), categories=["arts-culture", "older-people"], meets=meets,
                     cost="low-cost", age_min=16, age_max=99, email="knit@example.org",
                     website="https://knit.example.org/", description="Knitting & chat")  # fmt: skip
    home = db.insert("groups", name="Street WhatsApp group", lon=HOME[0], lat=HOME[1], location_precision="area",
                     postcode="NR99 9ZZ", private_contact=_private(), categories=["mutual-aid"], cost="free")  # fmt: skip
    db.execute("INSERT INTO group_areas (group_id, area_id) SELECT %s, id FROM areas WHERE code = 'E05005742'",
               [home])  # fmt: skip
    venue = db.insert("groups", name="Walk and talk", lon=1.2931, lat=52.6291, location_precision="venue",
                      venue_address="Chapelfield Gardens, Norwich", postcode="NR2 1NY", cost="paid",
                      status="dormant")  # fmt: skip
    closed = db.insert("groups", name="Closed club", location_precision="venue", lon=1.29, lat=52.63,
                       venue_address="Somewhere, Norwich", status="closed")  # fmt: skip
    return {"hub": hub, "knit": knit, "home": home, "venue": venue, "closed": closed}


def _check(response: Any, schemas: list[dict[str, Any]], model: type[BaseModel]) -> dict[str, Any]:
    body = ok_body(response, model)
    for schema in schemas:
        for strict in (False, True):
            found = errors(_based(schema), body, strict=strict)
            assert not found, f"{response.url} ({'closed' if strict else 'plain'} {schema}): {found[:5]}"
    for secret in (*SECRETS, str(HOME[0]), str(HOME[1]), "private_contact"):
        assert secret not in response.text, f"{response.url} holds {secret!r}"
    return body


def test_every_answer_of_every_endpoint_validates(db: RolledBack, groups: dict[str, int]) -> None:
    """Every page of every listing, and every item's own answer, validate against the profile's schemas."""
    counts: dict[str, int] = {}
    for name, (page_schema_, item_schemas, page_model, item_model) in LISTINGS.items():
        seen: list[str] = []
        page, total = 1, None
        while True:
            body = _check(
                db.get(f"/oruk/{name}", params={"page": page, "per_page": 20}), [page_schema_], page_model
            )
            assert (
                set(body) == PAGE_KEYS
                and body["page_number"] == page
                and body["size"] == len(body["contents"])
            )
            total = body["total_items"] if total is None else total
            assert body["total_items"] == total and body["first_page"] == (page == 1)
            seen += [item["id"] for item in body["contents"]]
            if body["last_page"]:
                break
            page += 1
        assert page == body["total_pages"] and len(seen) == len(set(seen)) == total
        for id_ in seen:
            _check(db.get(f"/oruk/{name}/{id_}"), item_schemas, item_model)
        counts[name] = total
    demo_groups = db.execute("SELECT count(*) AS n FROM groups WHERE status <> 'closed'")[0]["n"]
    assert counts["services"] == counts["organizations"] == demo_groups
    assert counts["taxonomies"] == 1 and counts["taxonomy_terms"] == 18
    assert 0 < counts["service_at_locations"] < counts["services"]


def _service(db: RolledBack, group: int) -> dict[str, Any]:
    body: dict[str, Any] = db.get(f"/oruk/services/{oruk_id('group', group)}").json()
    return body


def test_a_group_as_a_service(db: RolledBack, groups: dict[str, int]) -> None:
    """Meeting times become schedules, the cost band a cost option, categories terms, the hub a location."""
    sid = oruk_id("group", groups["knit"])
    body = _service(db, groups["knit"])
    assert (body["id"], body["organization_id"]) == (sid, oruk_id("organization", sid))
    assert (body["url"], body["email"], body["minimum_age"], body["maximum_age"]) == (
        "https://knit.example.org/", "knit@example.org", 16, 99)  # fmt: skip
    rules = [(x.get("freq"), x.get("interval"), x["byday"], x["opens_at"], x["closes_at"])
             for x in body["schedules"]]  # fmt: skip
    assert rules == [("WEEKLY", 1, "MO,WE", "14:00", "16:00"), ("WEEKLY", 2, "SA", "10:00", "12:30"),
                     ("MONTHLY", 1, "TH", "19:00", "21:00"), (None, None, "FR", "09:00", "10:00")]  # fmt: skip
    assert body["schedules"][0]["description"] == "Weekly on Monday and Wednesday, 14:00 to 16:00"
    assert [c["option"] for c in body["cost_options"]] == ["Low cost"]
    assert [a["taxonomy_term"]["term"] for a in body["attributes"]] == ["arts-culture", "older-people"]
    assert {a["taxonomy_term_id"] for a in body["attributes"]} == {
        term_id("arts-culture"),
        term_id("older-people"),
    }
    [at] = body["service_at_locations"]
    location = at["location"]
    assert (location["name"], location["latitude"], location["longitude"]) == ("Village hall", 52.701, 0.951)
    [address] = location["addresses"]
    assert (address["address_1"], address["postal_code"], address["city"], address["country"]) == (
        "The Street, Swanton Morley", "NR20 4NS", "Breckland", "GB")  # fmt: skip
    assert location["id"] == oruk_id("hub", groups["hub"])
    again = db.get(f"/oruk/service_at_locations/{at['id']}").json()
    assert again["service"]["schedules"] == body["schedules"] and again["location"] == location
    org = db.get(f"/oruk/organizations/{body['organization_id']}").json()
    assert org["services"] == [body] and org["name"] == "Knit and natter"


def test_a_group_known_by_its_area_has_no_location(db: RolledBack, groups: dict[str, int]) -> None:
    """Its service names the ward it serves (with the ONS address of its code) and has no location."""
    body = _service(db, groups["home"])
    assert "service_at_locations" not in body
    assert [(a["name"], a["uri"]) for a in body["service_areas"]] == [
        ("Swanton Morley", "http://statistics.data.gov.uk/id/statistical-geography/E05005742")]  # fmt: skip
    assert body["cost_options"][0]["amount"] == 0
    page = db.get("/oruk/service_at_locations", params={"per_page": 500}).json()
    assert body["id"] not in {c["service_id"] for c in page["contents"]}


def test_venue_dormant_and_closed_groups(db: RolledBack, groups: dict[str, int]) -> None:
    """A venue is a location named by its address's first part; dormant is inactive; closed is left out."""
    body = _service(db, groups["venue"])
    location = body["service_at_locations"][0]["location"]
    assert (location["name"], body["status"]) == ("Chapelfield Gardens", "inactive")
    assert location["id"] == oruk_id("venue", body["id"])
    assert db.get(f"/oruk/services/{oruk_id('group', groups['closed'])}").status_code == 404


def test_sample_venues_say_so(client: TestClient) -> None:
    """A demo group whose venue is made up says so in its description, as everywhere else."""
    page = client.get("/oruk/services", params={"per_page": 500}).json()
    said = [c for c in page["contents"] if shapes.SAMPLE_VENUE in c.get("description", "")]
    assert said and all("sample" in c["organization"]["description"] for c in said)


def test_paging_and_unknown_ids(client: TestClient) -> None:
    """Bad page or per_page is a 422 saying which; an unknown or malformed id a 404; past the end is empty."""
    for params in ({"page": 0}, {"per_page": 0}, {"per_page": 501}, {"page": "x"}):
        body = error_body(client.get("/oruk/services", params=params), 422)
        assert body["detail"][0]["where"].startswith("query.")
    for path in ("services", "organizations", "service_at_locations", "taxonomies", "taxonomy_terms"):
        for id_ in (oruk_id("nothing", 1), "not-a-uuid", "'; DROP TABLE groups; --"):
            assert "UUID" in error_body(client.get(f"/oruk/{path}/{id_}"), 404)["detail"]
    past = client.get("/oruk/taxonomy_terms", params={"page": 99}).json()
    assert (past["empty"], past["size"], past["last_page"], past["total_items"]) == (True, 0, True, 18)


def test_api_info_and_ids(client: TestClient, settings: Settings) -> None:
    """/oruk/ says its version, profile and OpenAPI; ids are the same in SQL as in Python, and stable."""
    info = ok_body(client.get("/oruk/"), s.OrukInfo)
    assert info["version"] == "3.0" and info["openapi_url"].endswith("/openapi.json")
    assert not errors(answer_schema("/"), info, strict=False)
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.database.url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT patchmap_oruk_uuid('group/12')::text")).scalar() == oruk_id(
            "group", 12
        )
    engine.dispose()
    assert taxonomy_id() == client.get("/oruk/taxonomies").json()["contents"][0]["id"]
    first = client.get("/oruk/services").json()
    assert client.get("/oruk/services").json() == first
