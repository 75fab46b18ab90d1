"""The filters of ORUK's /services and /service_at_locations: each narrows the demo (and a few groups of the
test's own) to exactly the services the profile's words describe, checked against the database directly; the
paging counts the filtered set; filtered answers still validate against the profile's schemas; a bad value is
a 422 and a parameter Patchmap does not honour a 400, each naming it, never a 500 and never ignored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from api import oruk_schemas as s
from layers.oruk.ids import oruk_id, taxonomy_id, term_id
from tests.api.test_oruk import LISTINGS, _check
from tests.api_checks import error_body
from tests.rolled_back import RolledBack

POSTCODE = "NR2 1AW"  # in the demo's postcodes (1.2909, 52.6277)
SERVICES = LISTINGS["services"][0]
AT_LOCATIONS = LISTINGS["service_at_locations"][0]


@pytest.fixture
def own(db: RolledBack) -> dict[str, int]:
    """Groups with meeting times, ages, categories and places the demo lacks; a far one with no area."""
    meets = [{"days": ["mo", "we"], "start": "14:00", "end": "16:00", "frequency": "weekly"},
             {"days": ["sa"], "start": "10:00", "end": "12:30", "frequency": "fortnightly"},
             {"days": ["th"], "start": "19:00", "end": "21:00", "frequency": "monthly"}]  # fmt: skip
    knit = db.insert("groups", name="Knit and natter", location_precision="venue", lon=1.2931, lat=52.6291,
                     venue_address="Chapelfield Gardens, Norwich", categories=["arts-culture", "older-people"],
                     meets=meets, age_min=16, age_max=99, description="Knitting & chat, 100% friendly")  # fmt: skip
    youth = db.insert("groups", name="Youth football", location_precision="venue", lon=0.951, lat=52.701,
                      venue_address="Playing field, Swanton Morley", categories=["youth", "sport-activity"],
                      meets=[{"days": ["tu"], "start": "18:00", "end": "19:30", "frequency": "weekly"}],
                      age_min=11, age_max=18)  # fmt: skip
    db.execute("INSERT INTO group_areas (group_id, area_id) SELECT %s, id FROM areas WHERE code = 'E05005742'",
               [youth])  # fmt: skip
    anywhere = db.insert("groups", name="Phone befriending", location_precision="area", categories=["carers"])
    return {"knit": knit, "youth": youth, "anywhere": anywhere}


def _all(db: RolledBack, params: dict[str, Any], path: str = "services") -> list[str]:
    """The service ids of every page of a filtered listing, each page checked against the profile."""
    schema, model = (SERVICES, s.Page[s.ServiceBrief]) if path == "services" else (
        AT_LOCATIONS, s.Page[s.ServiceAtLocationBrief])  # fmt: skip
    ids: list[str] = []
    page = 1
    while True:
        body = _check(db.get(f"/oruk/{path}", params=params | {"page": page, "per_page": 7}), [schema], model)
        ids += [c.get("service_id", c["id"]) for c in body["contents"]]
        assert body["total_items"] >= len(ids) and body["size"] == len(body["contents"])
        if body["last_page"]:
            assert body["total_items"] == len(ids) and body["total_pages"] == -(-len(ids) // 7)
            return ids
        page += 1


def _groups(db: RolledBack, where: str, params: Any = None) -> set[str]:
    rows = db.execute(f"SELECT g.id FROM groups g WHERE g.status <> 'closed' AND ({where})", params)
    return {oruk_id("group", r["id"]) for r in rows}


def test_search_taxonomy_and_organisation(db: RolledBack, own: dict[str, int]) -> None:
    """search, taxonomy_term_id (its UUID or its term), taxonomy_id and organization_id each narrow exactly."""
    everyone = set(_all(db, {}))
    knit, youth, anywhere = (oruk_id("group", own[k]) for k in ("knit", "youth", "anywhere"))
    assert {knit, youth, anywhere} <= everyone
    assert set(_all(db, {"search": "knitting"})) == {knit}  # stemmed: "knitting" finds "Knit"
    assert set(_all(db, {"search": "100%"})) == {knit}  # the text itself, % taken literally
    word = db.execute("SELECT split_part(name, ' ', 1) AS w FROM groups WHERE id < %s ORDER BY id LIMIT 1",
                      [own["knit"]])[0]["w"]  # fmt: skip
    found = set(_all(db, {"search": word}))
    assert found and found < everyone
    assert found >= _groups(db, "g.name ILIKE %s", [f"%{word}%"])
    for key in ("older-people", "arts-culture"):
        expected = _groups(db, "%s = ANY(g.categories)", [key])
        assert set(_all(db, {"taxonomy_term_id": term_id(key)})) == expected
        assert set(_all(db, {"taxonomy_term_id": key})) == expected
    assert set(_all(db, {"taxonomy_id": taxonomy_id()})) == _groups(db, "g.categories <> '{}'") < everyone
    assert _all(db, {"taxonomy_id": taxonomy_id(), "taxonomy_term_id": "youth", "search": "football"}) == [
        youth
    ]
    org = oruk_id("organization", youth)
    assert _all(db, {"organization_id": org}) == [youth]
    assert _all(db, {"organization_id": org.upper(), "search": "knitting"}) == []


def test_modified_after_and_ages(db: RolledBack, own: dict[str, int]) -> None:
    """modified_after compares with the last change; ages as the profile words them (own minimum at least,
    own maximum at most)."""
    db.execute("UPDATE groups SET updated_at = '2020-01-01T00:00:00Z'")
    db.execute("UPDATE groups SET updated_at = '2030-06-01T12:00:00Z' WHERE id = %s", [own["knit"]])
    knit, youth = oruk_id("group", own["knit"]), oruk_id("group", own["youth"])
    assert _all(db, {"modified_after": "2030-06-01T12:00:00Z"}) == [knit]  # on or after
    assert _all(db, {"modified_after": "2030-06-01T13:00:00+01:00"}) == [knit]  # the same instant
    assert _all(db, {"modified_after": "2030-06-01T12:00:01"}) == []  # UTC without an offset
    assert len(_all(db, {"modified_after": "2019-12-31"})) == len(_all(db, {}))
    assert set(_all(db, {"minimum_age": 11})) == {knit, youth}
    assert _all(db, {"minimum_age": 12}) == [knit]
    assert _all(db, {"maximum_age": 18}) == [youth]
    assert _all(db, {"minimum_age": 10, "maximum_age": 18.5}) == [youth]
    assert len(_all(db, {"minimum_age": 0})) == len(_all(db, {}))


@pytest.mark.parametrize(
    ("params", "who"),
    [
        ({"day": "MO"}, ["knit"]),
        ({"day": "wednesday"}, ["knit"]),
        ({"day": "Tu"}, ["youth"]),
        ({"day": "SU"}, []),
        ({"start_time": "18:00"}, ["knit", "youth"]),  # knit's Thursday meeting starts at 19:00
        ({"start_time": "18:00", "day": "MO"}, []),  # but not on a Monday: one meeting must match all
        ({"day": "SA", "start_time": "10:00", "end_time": "12:30"}, ["knit"]),
        ({"day": "SA", "end_time": "12:29"}, []),
        ({"end_time": "16:00:00"}, ["knit"]),
        ({"end_time": "24:00"}, ["knit", "youth"]),
    ],
)
def test_day_and_times(db: RolledBack, own: dict[str, int], params: dict[str, str], who: list[str]) -> None:
    """day, start_time and end_time match meetings, all of them the same one."""
    assert set(_all(db, params)) == {oruk_id("group", own[k]) for k in who}


def test_postcode_and_proximity(db: RolledBack, own: dict[str, int]) -> None:
    """postcode: services serving an area that holds it, or naming none; proximity: located within that many
    metres of its point (or with no location, serving it), nearest first; the same on services at locations."""
    holds = ("EXISTS (SELECT 1 FROM group_areas ga JOIN areas a ON a.id = ga.area_id JOIN postcodes p "
             "ON p.postcode = %s WHERE ga.group_id = g.id AND ST_Intersects(a.geom, p.geom))")  # fmt: skip
    served = _groups(db, holds, [POSTCODE])
    covering = served | _groups(db, "NOT EXISTS (SELECT 1 FROM group_areas ga WHERE ga.group_id = g.id)")
    youth, anywhere = oruk_id("group", own["youth"]), oruk_id("group", own["anywhere"])
    assert anywhere in covering and youth not in covering  # youth serves Swanton Morley only
    assert set(_all(db, {"postcode": POSTCODE.lower().replace(" ", "")})) == covering
    located = _all(db, {}, "service_at_locations")
    points = db.execute(
        "SELECT s.id, ST_Distance(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)::geography, p.geom::geography) AS m "
        "FROM (SELECT (x->>'service_id') AS id, (x->'location'->>'longitude')::float8 AS lon, "
        "(x->'location'->>'latitude')::float8 AS lat FROM jsonb_array_elements(%s::jsonb) x) s "
        "JOIN postcodes p ON p.postcode = %s",
        [_locations(db), POSTCODE],
    )
    assert {p["id"] for p in points} == set(located)
    for metres in (300, 1500):
        near = [p for p in sorted(points, key=lambda p: p["m"]) if p["m"] <= metres and p["id"] in covering]
        assert 0 < len(near) < len(located)
        found = _all(db, {"postcode": POSTCODE, "proximity": metres})
        assert found[: len(near)] == [p["id"] for p in near]  # nearest first, then those with no location
        assert set(found[len(near) :]) == served - set(located)  # no location: serving the postcode
        assert _all(db, {"postcode": POSTCODE, "proximity": metres}, "service_at_locations") == [
            p["id"] for p in near
        ]


def _locations(db: RolledBack) -> str:
    rows = db.get("/oruk/service_at_locations", params={"per_page": 500}).json()["contents"]
    return json.dumps(rows)


@pytest.mark.parametrize(
    "params",
    [
        {"taxonomy_term_id": "no-such-term"}, {"taxonomy_term_id": oruk_id("nothing", 1)},
        {"taxonomy_id": oruk_id("nothing", 1)}, {"organization_id": "12"}, {"modified_after": "yesterday"},
        {"modified_after": "2025-13-01"}, {"minimum_age": -1}, {"maximum_age": "old"}, {"maximum_age": "nan"},
        {"minimum_age": 30, "maximum_age": 20}, {"day": "funday"}, {"start_time": "25:00"},
        {"end_time": "9am"}, {"postcode": "not a postcode"}, {"postcode": "ZZ9 9ZZ"}, {"proximity": 500},
        {"postcode": POSTCODE, "proximity": 0}, {"postcode": POSTCODE, "proximity": "inf"},
        {"postcode": POSTCODE, "proximity": "near"}, {"search": "x" * 201}, {"search": "tab\there"},
    ],
)  # fmt: skip
def test_bad_values_are_422(db: RolledBack, params: dict[str, Any]) -> None:
    """A value that cannot be honoured is a 422 {"error", "detail"}, on both listings."""
    for path in ("services", "service_at_locations"):
        body = error_body(db.get(f"/oruk/{path}", params=params), 422)
        said = f"{body['error']} {body['detail']}"
        assert any(name in said for name in params) or "postcode" in said.lower(), said


def test_unhonoured_parameters_are_400(db: RolledBack) -> None:
    """The profile's parameters Patchmap does not honour, and unknown or repeated ones, are refused by name."""
    for name in ("full", "full_service", "minimal", "format", "taxonomy_term", "lat"):
        body = error_body(db.get("/oruk/services", params={name: "true"}), 400)
        assert repr(name) in body["error"] and body["detail"]
    error_body(db.get("/oruk/services?day=MO&day=TU"), 400)
    assert "'search'" in error_body(db.get("/oruk/taxonomy_terms", params={"search": "food"}), 400)["error"]
    assert (
        "'postcode'" in error_body(db.get("/oruk/organizations", params={"postcode": POSTCODE}), 400)["error"]
    )


def test_the_openapi_document_describes_every_filter(db: RolledBack) -> None:
    """/openapi.json lists each filter of both listings with a description, and the 400 and 422 answers."""
    doc = db.get("/openapi.json").json()
    for path in ("/oruk/services", "/oruk/service_at_locations"):
        op = doc["paths"][path]["get"]
        described = {p["name"]: p.get("description", "") for p in op["parameters"]}
        for name in ("search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after",
                     "minimum_age", "maximum_age", "day", "start_time", "end_time", "postcode", "proximity",
                     "page", "per_page"):  # fmt: skip
            assert len(described.get(name, "")) > 10, (path, name)
        assert {"200", "400", "422"} <= set(op["responses"])
