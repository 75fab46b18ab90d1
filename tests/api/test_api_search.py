"""GET /search/nearby against real PostGIS: filters, true-distance order, postcodes, serving_your_area, GeoJSON.

Two kinds of data:
- the Norwich demo, read through the session's ``client`` (its own pool);
- rows a test inserts, read through ``db``: an app whose requests all run on one connection inside a
  transaction that is rolled back at the end (``tests/rolled_back.py`` says why and how). The inserted
  places sit around Swanton Morley in Breckland, 15 km from any demo hub or space, at distances set with
  pyproj's geodesic, so each answer is known exactly.

The query plan is checked in ``tests/layers/test_search_plan.py``.
"""

from __future__ import annotations

import json
from functools import cache
from itertools import pairwise
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely import STRtree
from shapely.geometry import Point, shape

from api.schemas import NearbyFeatureCollection, NearbyPage
from layers.settings import Settings
from tests.api_checks import error_body as _error
from tests.api_checks import ok_body
from tests.conftest import DATA
from tests.rolled_back import RolledBack

GEOD = Geod(ellps="WGS84")
LIBRARY = {"lon": 1.29095, "lat": 52.62773}  # Norfolk and Norwich Millennium Library
SWANTON = (0.95, 52.70)  # Swanton Morley ward, Breckland: no demo hub or space within 15 km
SWANTON_WARD, NORWICH, BRECKLAND = "E05005742", "E07000148", "E07000143"
HOSTILE = "<img src=x onerror=alert(1)>"
GEOJSON = "application/geo+json"


# ---------------------------------------------------------------- helpers and fixtures


def _ok(response: Any, media_type: str = "application/json") -> dict[str, Any]:
    """Check a 200 search response against its model (JSON page or GeoJSON collection); return the body."""
    model = NearbyPage if media_type == "application/json" else NearbyFeatureCollection
    return ok_body(response, model, media_type)


def _at(east_m: float = 0, north_m: float = 0, origin: tuple[float, float] = SWANTON) -> dict[str, float]:
    """The point east_m and north_m metres (geodesic, each in turn) from origin."""
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], 90, east_m) if east_m else (*origin, 0)
    lon, lat, _ = GEOD.fwd(lon, lat, 0, north_m) if north_m else (lon, lat, 0)
    return {"lon": lon, "lat": lat}


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic metres between two lon/lat points (WGS84), computed by pyproj, not PostGIS."""
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


@cache
def _wards() -> tuple[STRtree, list[dict[str, Any]]]:
    """The demo's ward boundaries, read with shapely (independently of PostGIS)."""
    features = json.loads((DATA / "norfolk" / "wards_2013.geojson").read_text(encoding="utf-8"))["features"]
    return STRtree([shape(f["geometry"]) for f in features]), [f["properties"] for f in features]


def ward_of(lon: float, lat: float) -> dict[str, str]:
    """The ward holding a point, by shapely."""
    tree, props = _wards()
    (index,) = tree.query(Point(lon, lat), predicate="intersects")
    return {"code": props[index]["WD13CD"], "name": props[index]["WD13NM"]}


MON_EVENING = [{"days": ["mo"], "start": "18:00", "end": "20:00", "frequency": "weekly"}]
#: (key, table, metres east, metres north, columns): the places around Swanton Morley.
PLACES: list[tuple[str, str, float, float, dict[str, Any]]] = [
    ("library", "hubs", 0, 100, dict(name="Test library", kind="library", opening_hours="Mo-Fr 09:00-17:00",
                                     step_free=True, description="reading room and a garden")),
    ("hall", "hubs", 300, 0, dict(name="Test hall", kind="village_hall", opening_hours="Sa 10:00-16:00",
                                  step_free=False)),
    ("centre", "hubs", 0, -500, dict(name="Test centre", kind="community_centre", opening_hours="by appointment")),
    ("far_hub", "hubs", 2500, 0, dict(name="Far hub", kind="library")),
    ("room", "spaces", -200, 0, dict(name="Free room", kind="room", price_band="free", step_free=True,
                                     availability={"weekdays": True, "evenings": True, "weekends": False})),
    ("shop", "spaces", 280, 280, dict(name="Cheap shop", kind="vacant_shop", price_band="low-cost",
                                      availability={"weekends": True})),
    ("big_hall", "spaces", 0, 600, dict(name="Market hall", kind="hall", price_band="market")),
    ("let_room", "spaces", 150, 0, dict(name="Let room", kind="room", status="let")),
    ("lunch", "groups", 0, 250, dict(name="Lunch club", location_precision="venue",
                                     venue_address="Church Hall, Swanton Morley", categories=["food", "mutual-aid"],
                                     communities_of_identity=["older-people"], activities=["knitting", "lunch"],
                                     meets=MON_EVENING, cost="free", step_free=True, volunteers_wanted=True)),
    ("youth", "groups", -350, 0, dict(name="Youth football", location_precision="venue", categories=["youth"],
                                      communities_of_interest=["sport"], cost="low-cost",
                                      meets=[{"days": ["sa"], "start": "10:00", "end": "12:00",
                                              "frequency": "weekly"}])),
    ("closed", "groups", 0, 120, dict(name="Closed food bank", location_precision="venue", categories=["food"],
                                      status="closed", meets=MON_EVENING)),
    # at the hall (its hub), so 300 m away
    ("arts", "groups", 300, 0, dict(name="Arts group", location_precision="hub", categories=["arts-culture"],
                                    cost="paid", status="dormant",
                                    meets=[{"days": ["tu"], "start": "19:00", "end": "21:00"}])),
    # known only by the area it serves: its point (a home) must never be used or shown
    ("home", "groups", 0, 50, dict(name="Street mutual aid", location_precision="area", categories=["food"],
                                   meets=MON_EVENING)),
]  # fmt: skip


@pytest.fixture
def places(db: RolledBack) -> dict[str, int]:
    """The PLACES around Swanton Morley, inserted; their ids by key."""
    ids: dict[str, int] = {}
    for key, table, east, north, columns in PLACES:
        hub = {"hub_id": ids["hall"]} if key == "arts" else {}
        ids[key] = db.insert(table, **_at(east_m=east, north_m=north), **columns, **hub)
    db.execute(
        "INSERT INTO group_areas (group_id, area_id) SELECT %s, id FROM areas WHERE code = %s",
        [ids["home"], SWANTON_WARD],
    )
    return ids


def _search(db: RolledBack | TestClient, **params: Any) -> dict[str, Any]:
    return _ok(db.get("/search/nearby", params=params))


def _near_swanton(db: RolledBack, **params: Any) -> dict[str, Any]:
    return _search(db, lon=SWANTON[0], lat=SWANTON[1], limit=100, **params)


def _names(body: dict[str, Any]) -> set[str]:
    return {r["name"] for r in body["results"]}


# ---------------------------------------------------------------- distance and order


def test_results_are_in_true_distance_order(db: RolledBack, places: dict[str, int]) -> None:
    """Every result's distance_m is the geodesic distance (pyproj) to the metre, nearest first."""
    body = _near_swanton(db)
    assert body["origin"]["located_by"] == "point" and body["kinds"] == ["group", "hub", "space"]
    distances = [r["distance_m"] for r in body["results"]]
    assert distances == sorted(distances) and len(distances) == 9
    for r in body["results"]:
        assert abs(r["distance_m"] - _metres(SWANTON, (r["lon"], r["lat"]))) <= 1, r["name"]
        assert r["url"] == f"/{r['kind']}s/{r['id']}"
        assert r["ward"] == ward_of(r["lon"], r["lat"]), r["name"]
    first = body["results"][0]
    assert (first["name"], first["distance_m"], first["subtype"]) == ("Test library", 100, "library")
    assert body["more_results"] is False and body["notes"] == []


def test_demo_hubs_in_order_against_pyproj(client: TestClient, settings: Settings) -> None:
    """Near the Millennium Library: the same hubs, in the same order, as pyproj's geodesic says."""
    with psycopg.connect(settings.database.url) as conn:
        hubs = conn.execute("SELECT id, ST_X(geom), ST_Y(geom) FROM hubs").fetchall()
    here = (LIBRARY["lon"], LIBRARY["lat"])
    expected = {i: _metres(here, (x, y)) for i, x, y in hubs if _metres(here, (x, y)) <= 1500}
    body = _search(client, **LIBRARY, kinds="hub", radius_m=1500, limit=100)
    got = [r["id"] for r in body["results"]]
    assert len(expected) >= 10 and set(got) == set(expected)
    for r in body["results"]:
        assert abs(r["distance_m"] - expected[r["id"]]) <= 1
    # nearest first by pyproj's metres too (two hubs within a millimetre may come either way)
    assert all(expected[a] <= expected[b] + 0.001 for a, b in pairwise(got))
    assert body["results"][0]["name"] == "Norfolk and Norwich Millennium Library"


def test_paging(db: RolledBack, places: dict[str, int]) -> None:
    """limit and offset page through the same order; more_results says whether another page exists."""
    whole = _near_swanton(db)["results"]
    pages = [_search(db, lon=SWANTON[0], lat=SWANTON[1], limit=4, offset=o) for o in (0, 4, 8)]
    assert [r["id"] for p in pages for r in p["results"]] == [r["id"] for r in whole]
    assert [p["more_results"] for p in pages] == [True, True, False]


# ---------------------------------------------------------------- filters

EVERYTHING = {"Test library", "Test hall", "Test centre", "Free room", "Cheap shop", "Market hall", "Lunch club",
              "Youth football", "Arts group"}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, EVERYTHING),
        ({"radius_m": 3000}, EVERYTHING | {"Far hub"}),
        ({"radius_m": 260}, {"Test library", "Free room", "Lunch club"}),
        ({"kinds": "hub"}, {"Test library", "Test hall", "Test centre"}),
        ({"kinds": "space, GROUP"}, {"Free room", "Cheap shop", "Market hall", "Lunch club", "Youth football",
                                     "Arts group"}),
        ({"category": "food"}, {"Lunch club"}),
        ({"category": "mutual-aid"}, {"Lunch club"}),
        ({"category": "library"}, {"Test library"}),
        ({"category": "room"}, {"Free room"}),
        ({"community": "older-people"}, {"Lunch club"}),
        ({"community": "sport"}, {"Youth football"}),
        ({"q": "knitting"}, {"Lunch club"}),
        ({"q": "garden"}, {"Test library"}),
        ({"q": "football -youth"}, set()),
        ({"q": "the"}, set()),  # only a stop word: nothing to match, and no error
        ({"q": '"unbalanced quote & | ! (('}, set()),
        ({"open_at": "mo 18:30"}, {"Lunch club", "Free room"}),
        ({"open_at": "Monday 10:00"}, {"Test library", "Free room"}),
        ({"open_at": "sat 11:00"}, {"Test hall", "Cheap shop", "Youth football"}),
        ({"open_at": "tu 20:59"}, {"Arts group", "Free room"}),
        ({"open_at": "su 12:00"}, {"Cheap shop"}),
        ({"open_at": "su 03:00", "kinds": "group,hub"}, set()),
        ({"cost": "free"}, {"Lunch club", "Free room"}),
        ({"cost": "low-cost"}, {"Lunch club", "Youth football", "Free room", "Cheap shop"}),
        ({"step_free": "true"}, {"Test library", "Free room", "Lunch club"}),
        ({"step_free": "false"}, EVERYTHING),
        ({"volunteers_wanted": "true"}, {"Lunch club"}),
        ({"category": "food", "community": "older-people", "q": "lunch", "open_at": "mo 19:59",
          "cost": "free", "step_free": "true", "volunteers_wanted": "true"}, {"Lunch club"}),
        ({"kinds": "hub", "category": "food"}, set()),
    ],
)  # fmt: skip
def test_filters(db: RolledBack, places: dict[str, int], params: dict[str, Any], expected: set[str]) -> None:
    """Each filter finds exactly the places it should; closed groups, let spaces and homes never appear."""
    body = _near_swanton(db, **params)
    assert _names(body) == expected, params
    assert not _names(body) & {"Closed food bank", "Let room", "Street mutual aid"}


def test_filters_that_do_not_apply_say_so(db: RolledBack, places: dict[str, int]) -> None:
    """A group category leaves hubs and spaces out, and the answer's notes and kinds say so."""
    body = _near_swanton(db, category="food")
    assert body["kinds"] == ["group"]
    assert body["notes"] == ["No hubs and spaces: category 'food' applies only to groups."]
    assert body["filters"]["category"] == "food"
    body = _near_swanton(db, cost="low-cost", open_at="monday 18:30")
    assert body["kinds"] == ["group", "space"] and body["filters"]["open_at"] == "mo 18:30"
    assert body["notes"] == ["No hubs: cost 'low-cost' applies only to groups and spaces."]


def test_result_summaries(db: RolledBack, places: dict[str, int]) -> None:
    """Groups show meets and cost, hubs opening_hours, spaces availability and price band."""
    by_name = {r["name"]: r for r in _near_swanton(db)["results"]}
    lunch, library, room, arts = (
        by_name[n] for n in ("Lunch club", "Test library", "Free room", "Arts group")
    )
    assert lunch["kind"] == "group" and lunch["subtype"] == "food" and lunch["cost"] == "free"
    assert lunch["meets"] == MON_EVENING and lunch["address"] == "Church Hall, Swanton Morley"
    assert lunch["opening_hours"] is None and lunch["availability"] is None and lunch["status"] == "active"
    assert library["opening_hours"] == "Mo-Fr 09:00-17:00" and library["meets"] is None
    assert room["availability"] == {
        "weekdays": True, "evenings": True, "weekends": False, "from": None, "until": None, "notes": None
    }  # fmt: skip
    assert room["cost"] == "free" and room["status"] == "available"
    assert arts["status"] == "dormant" and arts["distance_m"] == 300  # at its hub's point


# ---------------------------------------------------------------- serving your area


def test_serving_your_area_from_norwich(client: TestClient, settings: Settings) -> None:
    """The demo groups with no venue serve Norwich: they are listed from a Norwich point, with no distance (the
    demo's other groups have a venue or hub, layers/importers/demo_groups.py, and are listed by distance)."""
    with psycopg.connect(settings.database.url) as conn:
        row = conn.execute(
            "SELECT count(DISTINCT g.id) FROM groups g JOIN group_areas ga ON ga.group_id = g.id "
            "JOIN areas a ON a.id = ga.area_id WHERE g.geom IS NULL AND g.status = 'active' AND a.code = %s",
            (NORWICH,),
        ).fetchone()
    assert row is not None and row[0] >= 1
    body = _search(client, **LIBRARY, limit=100)
    serving = body["serving_your_area"]
    assert len(serving) == row[0] and body["more_serving"] is False
    assert all(g["serves_your_area"] is True and g["kind"] == "group" for g in serving)
    assert all(g["served_area"] == {"code": NORWICH, "name": "Norwich", "kind": "district"} for g in serving)
    assert all("distance_m" not in g and "lon" not in g for g in serving)
    assert not {g["id"] for g in serving} & {r["id"] for r in body["results"] if r["kind"] == "group"}
    assert len(_search(client, **LIBRARY, limit=2)["serving_your_area"]) == min(2, row[0])


def test_no_norwich_groups_from_breckland(client: TestClient) -> None:
    """From a point in Breckland, no Norwich group serves the area."""
    body = _search(client, lon=SWANTON[0], lat=SWANTON[1])
    assert body["serving_your_area"] == [] and body["results"] == []


def test_serving_your_area_takes_the_same_filters(db: RolledBack, places: dict[str, int]) -> None:
    """A group known by its area is found by the area, filtered like the rest, and never by its point."""
    body = _near_swanton(db)
    assert [g["name"] for g in body["serving_your_area"]] == ["Street mutual aid"]
    assert body["serving_your_area"][0]["served_area"] == {
        "code": SWANTON_WARD, "name": "Swanton Morley", "kind": "ward"
    }  # fmt: skip
    assert "Street mutual aid" not in _names(body)
    for params, found in [({"category": "food"}, True), ({"category": "youth"}, False),
                          ({"open_at": "mo 18:30"}, True), ({"open_at": "tu 18:30"}, False),
                          ({"kinds": "hub,space"}, False), ({"volunteers_wanted": "true"}, False)]:  # fmt: skip
        names = [g["name"] for g in _near_swanton(db, **params)["serving_your_area"]]
        assert names == (["Street mutual aid"] if found else []), params


def test_a_group_without_a_point_is_found_by_its_area(db: RolledBack) -> None:
    """A group said to meet at a hub but with no point yet is not lost: it is found by the area it serves."""
    group = db.insert("groups", name="Hub group, no point yet", location_precision="hub")
    db.execute(
        "INSERT INTO group_areas (group_id, area_id) SELECT %s, id FROM areas WHERE code = %s",
        [group, SWANTON_WARD],
    )
    body = _near_swanton(db)
    assert [g["id"] for g in body["serving_your_area"]] == [group] and body["results"] == []


# ---------------------------------------------------------------- postcodes


def test_search_from_a_postcode(client: TestClient) -> None:
    """NR2 1AW (any spacing or case) is the library's approximate postcode: the library is 0 m away."""
    body = _search(client, postcode=" nr21aw ", kinds="hub")
    origin = body["origin"]
    assert origin["located_by"] == "postcode" and origin["postcode"] == "NR2 1AW"
    assert origin["outward_code"] == "NR2" and origin["approximate"] is True and origin["postcodes"] == 1
    first = body["results"][0]
    assert first["name"] == "Norfolk and Norwich Millennium Library" and first["distance_m"] == 0
    assert first["postcode"] == "NR2 1AW" and body["notes"] == []


def test_search_from_an_outward_code(client: TestClient, settings: Settings) -> None:
    """NR2 alone: the mean point of NR2's postcodes, and the answer says so."""
    with psycopg.connect(settings.database.url) as conn:
        points = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM postcodes WHERE outward = 'NR2'").fetchall()
    body = _search(client, postcode="nr2")
    origin = body["origin"]
    assert origin["located_by"] == "outward_code" and origin["outward_code"] == "NR2"
    assert origin["postcode"] is None and origin["postcodes"] == len(points) > 100
    assert origin["lon"] == pytest.approx(sum(p[0] for p in points) / len(points), abs=1e-9)
    assert origin["lat"] == pytest.approx(sum(p[1] for p in points) / len(points), abs=1e-9)
    assert body["notes"] == [f"NR2 is an outward code: searching from the mean point of the {len(points)} "
                             "postcodes in NR2 Patchmap holds."]  # fmt: skip
    assert body["results"] and body["serving_your_area"]


def test_unknown_postcode_in_a_known_outward_code(client: TestClient) -> None:
    """A postcode Patchmap lacks, in an outward code it has, falls back to the outward code, saying so."""
    body = _search(client, postcode="NR2 9ZZ")
    assert body["origin"]["located_by"] == "outward_code" and body["origin"]["postcode"] is None
    assert body["notes"][0].startswith("Postcode NR2 9ZZ is not known: searching from the mean point")


@pytest.mark.parametrize(("postcode", "error"), [("ZE1 0AA", "Postcode ZE1 0AA is not known"),
                                                 ("ze1", "Outward code ZE1 is not known")])  # fmt: skip
def test_unknown_postcode_is_404(client: TestClient, postcode: str, error: str) -> None:
    """A postcode or outward code Patchmap does not hold at all is 404, saying so."""
    assert _error(client.get("/search/nearby", params={"postcode": postcode}), 404)["error"] == error


# ---------------------------------------------------------------- bad parameters


POINT = {"lat": LIBRARY["lat"], "lon": LIBRARY["lon"]}


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({**POINT, "kinds": "groups,parks"}, "Unknown kinds"),
        ({**POINT, "kinds": ","}, "No kinds given"),
        ({**POINT, "category": "knitting"}, "Unknown category"),
        ({**POINT, "community": "cats"}, "Unknown community"),
        ({**POINT, "open_at": "someday 18:30"}, "is not a day and a time"),
        ({**POINT, "open_at": "mo 24:00"}, "is not a day and a time"),
        ({**POINT, "open_at": "mo 12:60"}, "is not a day and a time"),
        ({**POINT, "open_at": "18:30"}, "is not a day and a time"),
        ({**POINT, "open_at": "mo"}, "is not a day and a time"),
        ({**POINT, "radius_m": 0}, "not valid"),
        ({**POINT, "radius_m": -5}, "not valid"),
        ({**POINT, "radius_m": 50001}, "not valid"),
        ({**POINT, "radius_m": "nan"}, "not valid"),
        ({**POINT, "radius_m": "far"}, "not valid"),
        ({**POINT, "cost": "cheap"}, "not valid"),
        ({**POINT, "limit": 0}, "not valid"),
        ({**POINT, "limit": 101}, "not valid"),
        ({**POINT, "offset": -1}, "not valid"),
        ({**POINT, "offset": 1001}, "not valid"),
        ({**POINT, "step_free": "maybe"}, "not valid"),
        ({**POINT, "f": "xml"}, "not valid"),
        ({**POINT, "radius": 500}, "not valid"),
        ({**POINT, "q": "x" * 201}, "not valid"),
        ({**POINT, "q": "lunch\x00club"}, "control character"),
        ({**POINT, "postcode": "NR2 1AW"}, "not both"),
        ({"postcode": "NR2 1AW", "lat": 52.6}, "not both"),
        ({}, "Give a point"),
        ({"lat": 52.6}, "Give a point"),
        ({"lon": 1.2}, "Give a point"),
        ({"lat": 91, "lon": 1.2}, "not valid"),
        ({"lat": 52.6, "lon": -181}, "not valid"),
        ({"lat": "nan", "lon": 1.2}, "not valid"),
        ({"lat": "north", "lon": 1.2}, "not valid"),
    ],
)
def test_bad_parameters_are_422(client: TestClient, params: dict[str, Any], says: str) -> None:
    """Each bad parameter is a 422 whose body says what was wrong (never a 500)."""
    body = _error(client.get("/search/nearby", params=params), 422)
    assert says in body["error"], body


@pytest.mark.parametrize("postcode", ["not a postcode", "", "NR2 1AWX", "N" * 17])
def test_invalid_postcodes_are_422(client: TestClient, postcode: str) -> None:
    """A string that is neither a postcode nor an outward code is 422."""
    _error(client.get("/search/nearby", params={"postcode": postcode}), 422)


def test_unknown_category_names_the_allowed_values(client: TestClient) -> None:
    """The 422 for a category or community lists what is allowed."""
    detail = _error(client.get("/search/nearby", params={**LIBRARY, "category": "x"}), 422)["detail"]
    assert "food" in detail and "library" in detail and "vacant_shop" in detail
    detail = _error(client.get("/search/nearby", params={**LIBRARY, "community": "x"}), 422)["detail"]
    assert "older-people" in detail and "gardening" in detail


# ---------------------------------------------------------------- GeoJSON and data as data


def test_geojson_by_accept_header_or_f(db: RolledBack, places: dict[str, int]) -> None:
    """Accept: application/geo+json or f=geojson gives a FeatureCollection of the same results."""
    params = {"lon": SWANTON[0], "lat": SWANTON[1], "limit": 100}
    plain = _ok(db.get("/search/nearby", params=params))
    by_accept = _ok(db.get("/search/nearby", params=params, headers={"Accept": GEOJSON}), GEOJSON)
    by_f = _ok(db.get("/search/nearby", params={**params, "f": "geojson"}), GEOJSON)
    assert by_accept == by_f and by_f["type"] == "FeatureCollection"
    assert [f["id"] for f in by_f["features"]] == [f"{r['kind']}/{r['id']}" for r in plain["results"]]
    for feature, r in zip(by_f["features"], plain["results"], strict=True):
        assert feature["geometry"] == {"type": "Point", "coordinates": [r["lon"], r["lat"]]}
        assert feature["properties"] == {k: v for k, v in r.items() if k not in ("lon", "lat")}
    assert by_f["serving_your_area"] == plain["serving_your_area"] and by_f["origin"] == plain["origin"]
    _ok(db.get("/search/nearby", params={**params, "f": "json"}, headers={"Accept": GEOJSON}))


def test_a_hostile_name_is_returned_as_data(db: RolledBack) -> None:
    """A name holding HTML comes back verbatim, as JSON data: escaping it is the page's job."""
    db.insert("hubs", name=HOSTILE, kind="other", **_at(north_m=10))
    body = _near_swanton(db)
    assert body["results"][0]["name"] == HOSTILE


def test_openapi_documents_search(client: TestClient) -> None:
    """/openapi.json lists the search with its parameters and both its media types."""
    spec = client.get("/openapi.json").json()["paths"]["/search/nearby"]["get"]
    assert set(spec["responses"]["200"]["content"]) == {"application/json", GEOJSON}
    assert {p["name"] for p in spec["parameters"]} >= {"lat", "lon", "postcode", "radius_m", "open_at", "f"}
