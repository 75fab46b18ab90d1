"""The areas API: point and postcode lookup, area lists and one area as GeoJSON, against the demo data."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol, get_args

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from shapely import STRtree
from shapely.geometry import Point, shape

from api.routes.areas import AreaFeature, AreaKind, AreaLookup, AreaSummary
from layers.settings import Settings
from layers.sql import sql
from layers.taxonomy import AREA_KINDS
from tests.api_checks import error_body as _error
from tests.conftest import DATA

LIBRARY = {"lon": 1.29095, "lat": 52.62773}  # Norfolk and Norwich Millennium Library, OSM node/299412199
MANCROFT, NORWICH, LIBRARY_LSOA = "E05005882", "E07000148", "E01026822"


class Response(Protocol):
    """What the tests read of a TestClient response (httpx or httpx2, whichever Starlette uses)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...


# ---------------------------------------------------------------- helpers


def _ok(response: Response, model: Any, media_type: str = "application/json") -> Any:
    """Check a 200 response's status, content type and body against the model; return the JSON body."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    body = response.json()
    TypeAdapter(model).validate_python(body, strict=True)
    return body


class Boundaries:
    """Source boundaries read with shapely, independently of PostGIS and the importers."""

    def __init__(self, path: Path, code: str, name: str) -> None:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        self.geoms = [shape(f["geometry"]) for f in features]
        self.props = [f["properties"] for f in features]
        self.code, self.name = code, name
        self.tree = STRtree(self.geoms)

    def containing(self, point: Point) -> list[dict[str, Any]]:
        """Properties of every boundary that contains the point."""
        return [self.props[i] for i in self.tree.query(point, predicate="intersects")]

    def bounds(self) -> tuple[float, float, float, float]:
        """minx, miny, maxx, maxy of all the boundaries."""
        xs0, ys0, xs1, ys1 = zip(*(g.bounds for g in self.geoms), strict=True)
        return min(xs0), min(ys0), max(xs1), max(ys1)


@cache
def wards() -> Boundaries:
    """The demo's 2013 wards."""
    return Boundaries(DATA / "norfolk" / "wards_2013.geojson", "WD13CD", "WD13NM")


@cache
def lsoas() -> Boundaries:
    """The demo's 2011 LSOAs."""
    return Boundaries(DATA / "norfolk" / "lsoa_2011.geojson", "LSOA11CD", "LSOA11NM")


@cache
def localities() -> dict[str, set[str]]:
    """Member codes of each sample locality, from its CSV."""
    members: dict[str, set[str]] = {}
    with (DATA / "sample" / "norwich_localities.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            members.setdefault(row["locality_code"], set()).add(row["member_code"])
    return members


def _lookup(client: TestClient, **params: Any) -> Response:
    return client.get("/areas/lookup", params=params)


# ---------------------------------------------------------------- lookup


def test_the_millennium_library_is_in_mancroft(client: TestClient) -> None:
    """The Millennium Library's point is in Mancroft ward, Norwich, LSOA E01026822 and the city centre."""
    body = _ok(_lookup(client, **LIBRARY), AreaLookup)
    assert set(body) == set(AreaLookup.model_fields)
    assert body["point"] == LIBRARY
    assert body["ward"] == {"code": MANCROFT, "name": "Mancroft"}
    assert body["district"] == {"code": NORWICH, "name": "Norwich"}
    assert body["lsoa"]["code"] == LIBRARY_LSOA
    assert body["county"] is None
    assert "SAMPLE-NOR-CENTRE" in {loc["code"] for loc in body["localities"]}
    assert body["postcode"] is None and body["approximate"] is None


def _expected(lon: float, lat: float) -> dict[str, Any]:
    """The ward, district, LSOA and sample localities holding a point, computed with shapely."""
    point = Point(lon, lat)
    in_wards = wards().containing(point)
    in_lsoas = lsoas().containing(point)
    ward_codes = {p["WD13CD"] for p in in_wards}
    lsoa_codes = {p["LSOA11CD"] for p in in_lsoas}
    return {
        "wards": ward_codes,
        "districts": {p["LAD13CD"] for p in in_wards},
        "lsoas": lsoa_codes,
        "localities": {c for c, m in localities().items() if m & (ward_codes | lsoa_codes)},
    }


def test_random_points_agree_with_shapely(client: TestClient) -> None:
    """200 seeded random points in Norfolk's bounding box: the API agrees with shapely on the sources."""
    minx, miny, maxx, maxy = wards().bounds()
    rng = random.Random(20130401)
    points = [(round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6)) for _ in range(200)]
    points += [(1.29095, 52.62773), (1.2745, 52.6310)]  # and two inside the sample localities
    outside = inside = 0
    for lon, lat in points:
        expected = _expected(lon, lat)
        response = _lookup(client, lon=lon, lat=lat)
        if not (expected["wards"] or expected["lsoas"]):
            body = _error(response, 404)
            assert body["error"].startswith("No ward, district or LSOA contains this point"), (lon, lat)
            outside += 1
            continue
        body = _ok(response, AreaLookup)
        inside += 1
        where = f"point {lon}, {lat}"
        for key, plural in (("ward", "wards"), ("district", "districts"), ("lsoa", "lsoas")):
            got = body[key]["code"] if body[key] else None
            assert (got in expected[plural]) if expected[plural] else got is None, (where, key, got, expected)
        assert {loc["code"] for loc in body["localities"]} == expected["localities"], where
    assert inside > 100 and outside > 10  # the box holds both, so both paths were tested


def test_subdivided_and_raw_lookup_sql_agree(settings: Settings) -> None:
    """lookup_point.sql (subdivided pieces) and lookup_point_raw.sql (whole boundaries) give the same rows."""
    minx, miny, maxx, maxy = wards().bounds()
    rng = random.Random(2011)
    with psycopg.connect(settings.database.url) as db:
        for _ in range(150):
            params = {"lon": rng.uniform(minx, maxx), "lat": rng.uniform(miny, maxy)}
            # kind, code, name (lookup_point.sql also gives each district's and locality's contact)
            pieces = [row[:3] for row in db.execute(sql("lookup_point.sql"), params).fetchall()]
            raw = db.execute(sql("lookup_point_raw.sql"), params).fetchall()
            assert pieces == raw, params


def test_postcode_lookup(client: TestClient) -> None:
    """NR2 1AW (normalised from any spacing and case) is in Mancroft; its point is approximate."""
    body = _ok(_lookup(client, postcode=" nr21aw "), AreaLookup)
    assert body["postcode"] == "NR2 1AW"
    assert body["approximate"] is True
    assert body["ward"]["code"] == MANCROFT
    assert body["district"]["code"] == NORWICH
    again = _ok(_lookup(client, lon=body["point"]["lon"], lat=body["point"]["lat"]), AreaLookup)
    for key in ("ward", "district", "lsoa", "county", "localities"):
        assert again[key] == body[key]


@pytest.mark.parametrize(
    "params",
    [
        {"lat": 90.5, "lon": 1.2},
        {"lat": -91, "lon": 1.2},
        {"lat": 52.6, "lon": 180.01},
        {"lat": 52.6, "lon": -181},
        {"lat": "nan", "lon": 1.2},
        {"lat": "north", "lon": 1.2},
        {"lat": 52.6},
        {"lon": 1.2},
        {},
        {"lat": 52.6, "lon": 1.2, "postcode": "NR2 1AW"},
        {"postcode": "NR2 1AW", "lon": 1.2},
        {"postcode": "not a postcode"},
        {"postcode": "NR2 1AWX"},
        {"postcode": ""},
        {"postcode": "N" * 40},
    ],
)
def test_lookup_rejects_bad_input(client: TestClient, params: dict[str, Any]) -> None:
    """Out-of-range or missing points, both a point and a postcode, and invalid postcodes are 422."""
    _error(_lookup(client, **params), 422)


def test_unknown_postcode_is_404(client: TestClient) -> None:
    """A well-formed postcode Patchmap does not hold is 404, saying so."""
    body = _error(_lookup(client, postcode="ZE1 0AA"), 404)
    assert "ZE1 0AA" in body["error"]


def test_point_outside_every_boundary_is_404(client: TestClient) -> None:
    """A point in London is 404 with a message naming what Patchmap holds."""
    body = _error(_lookup(client, lat=51.5072, lon=-0.1276), 404)
    assert body["error"].startswith(
        "No ward, district or LSOA contains this point; Patchmap holds boundaries for 7 districts"
    )
    assert "Norwich" in body["error"]
    assert "lat and lon" in body["detail"]


# ---------------------------------------------------------------- /areas


def _list(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/areas", params=params)
    body: list[dict[str, Any]] = _ok(response, list[AreaSummary])
    for row in body:
        assert set(row) == set(AreaSummary.model_fields)
    return body


def test_area_kinds_match_the_taxonomy() -> None:
    """The API's kinds are the taxonomy's."""
    assert get_args(AreaKind) == AREA_KINDS


def test_wards_within_a_district(client: TestClient) -> None:
    """kind=ward&within=E07000148 lists Norwich's 13 wards, in name order."""
    rows = _list(client, kind="ward", within=NORWICH)
    expected = {p["WD13CD"] for p in wards().props if p["LAD13CD"] == NORWICH}
    assert {r["code"] for r in rows} == expected and len(expected) == 13
    assert all(r["kind"] == "ward" and r["parent_code"] == NORWICH and r["vintage"] == "2013" for r in rows)
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)


def test_lsoas_within_a_district_and_a_ward(client: TestClient) -> None:
    """LSOAs name their district as parent; LSOAs in a ward are found by geometry."""
    rows = _list(client, kind="lsoa", within=NORWICH, limit=1000)
    assert {r["code"] for r in rows} == {p["LSOA11CD"] for p in lsoas().props if p["LAD13CD"] == NORWICH}
    in_mancroft = {r["code"] for r in _list(client, kind="lsoa", within=MANCROFT)}
    assert LIBRARY_LSOA in in_mancroft and 0 < len(in_mancroft) < 15


def test_localities_within_a_district_and_members_of_a_locality(client: TestClient) -> None:
    """Localities (no parent_code) are found in Norwich by geometry; a locality lists its member wards."""
    assert {r["code"] for r in _list(client, kind="locality", within=NORWICH)} == set(localities())
    members = _list(client, kind="ward", within="SAMPLE-NOR-CENTRE")
    assert {r["code"] for r in members} == localities()["SAMPLE-NOR-CENTRE"]


def test_list_by_kind_and_name(client: TestClient) -> None:
    """kind alone, and q as a case-insensitive part of the name (wildcards taken literally)."""
    assert len(_list(client, kind="district")) == 7
    assert [r["code"] for r in _list(client, q="mancro")] == [MANCROFT]
    assert _list(client, q="%") == [] and _list(client, q="_") == []
    assert {r["kind"] for r in _list(client, q="Norwich", limit=1000)} >= {"district", "lsoa"}


def test_list_pages(client: TestClient) -> None:
    """limit and offset page through the list without overlap."""
    first = _list(client, kind="ward", limit=5)
    second = _list(client, kind="ward", limit=5, offset=5)
    both = _list(client, kind="ward", limit=10)
    assert len(first) == len(second) == 5
    assert first + second == both
    assert len(_list(client, kind="ward", limit=1000)) == 205


@pytest.mark.parametrize(
    "params", [{"kind": "parish"}, {"limit": 0}, {"limit": 1001}, {"offset": -1}, {"within": "X" * 40}]
)
def test_list_rejects_bad_parameters(client: TestClient, params: dict[str, Any]) -> None:
    """An unknown kind, or limit/offset out of bounds, is 422."""
    _error(client.get("/areas", params=params), 422)


def test_list_within_an_unknown_area_is_404(client: TestClient) -> None:
    """within names no area: 404."""
    body = _error(client.get("/areas", params={"kind": "ward", "within": "E07999999"}), 404)
    assert "E07999999" in body["error"]


# ---------------------------------------------------------------- /areas/{code}

GEOJSON = "application/geo+json"


def _vertices(geometry: dict[str, Any]) -> int:
    """How many positions a GeoJSON (multi)polygon has."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return sum(len(ring) for polygon in polygons for ring in polygon)


def test_area_feature_with_indicators(client: TestClient) -> None:
    """An LSOA as a GeoJSON Feature: properties and its IoD2019 indicators, not derived."""
    body = _ok(client.get(f"/areas/{LIBRARY_LSOA}"), AreaFeature, GEOJSON)
    props = body["properties"]
    assert body["id"] == LIBRARY_LSOA and props["code"] == LIBRARY_LSOA
    assert props["kind"] == "lsoa" and props["parent_code"] == NORWICH and props["members"] is None
    assert shape(body["geometry"]).contains(Point(LIBRARY["lon"], LIBRARY["lat"]))
    indicators = props["indicators"]
    assert {"imd_rank", "imd_decile", "population_total"} <= set(indicators)
    assert 1 <= indicators["imd_rank"]["value"] <= 32844
    assert 1 <= indicators["imd_decile"]["value"] <= 10
    assert indicators["imd_rank"]["derived"] is False and indicators["imd_rank"]["period"]


def test_ward_feature_has_derived_indicators(client: TestClient) -> None:
    """A ward's indicators are rolled up from its LSOAs, so they are marked derived."""
    props = _ok(client.get(f"/areas/{MANCROFT}"), AreaFeature, GEOJSON)["properties"]
    assert props["name"] == "Mancroft" and props["parent_code"] == NORWICH and props["vintage"] == "2013"
    assert props["indicators"]["population_total"]["derived"] is True
    assert props["indicators"]["population_total"]["value"] > 1000


def test_locality_feature_lists_members(client: TestClient) -> None:
    """A custom locality's Feature lists its member wards."""
    props = _ok(client.get("/areas/SAMPLE-NOR-CENTRE"), AreaFeature, GEOJSON)["properties"]
    assert props["kind"] == "locality"
    assert {m["code"] for m in props["members"]} == localities()["SAMPLE-NOR-CENTRE"]
    assert all(m["kind"] == "ward" for m in props["members"])


def test_simplification_reduces_vertices(client: TestClient) -> None:
    """simplify_m (metres, in EPSG:27700) gives fewer vertices, and the shape stays in place."""
    full = _ok(client.get("/areas/E07000148"), AreaFeature, GEOJSON)["geometry"]
    coarse = _ok(client.get("/areas/E07000148", params={"simplify_m": 100}), AreaFeature, GEOJSON)["geometry"]
    assert _vertices(coarse) < _vertices(full) / 2
    a, b = shape(full), shape(coarse)
    assert abs(a.area - b.area) / a.area < 0.05
    assert b.contains(Point(LIBRARY["lon"], LIBRARY["lat"]))


@pytest.mark.parametrize("params", [{"simplify_m": -1}, {"simplify_m": "lots"}])
def test_area_feature_rejects_bad_simplify(client: TestClient, params: dict[str, Any]) -> None:
    """A negative or non-numeric simplify_m is 422."""
    _error(client.get(f"/areas/{MANCROFT}", params=params), 422)


def test_unknown_area_is_404(client: TestClient) -> None:
    """An unknown code is 404."""
    body = _error(client.get("/areas/E05999999"), 404)
    assert "E05999999" in body["error"]
