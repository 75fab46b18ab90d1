"""OGC API – Features under /ogc, served on a local port and read by clients no one here wrote: GDAL's OAPIF
driver (``ogrinfo``, Debian's gdal-bin: ``make gis-deps``) and OWSLib's ``owslib.ogcapi.features``. Also:
paging by next links, bbox and bbox-crs, CRS84 / EPSG:4326 / EPSG:27700 output, property filters, HTML, the
standard's 400s and 404s, and that each collection's view holds exactly the properties the API lists.

The database is the demo's plus a hub, a space and a group holding private contacts (and a hostile name).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from owslib.ogcapi.features import Features
from pyproj import Transformer
from sqlalchemy import Connection, text

from api.ogc_schemas import (
    CollectionList,
    ConformanceClasses,
    LandingPage,
    OgcFeature,
    OgcFeatureCollection,
    Queryables,
)
from layers.analysis.gaps import CLASS_WORDS
from layers.ogc.collections import BNG, CONFORMANCE, EPSG_4326, list_collections
from layers.tiles import tilesets
from layers.tiles.decode import decode
from tests.api.test_tiles import tile_of
from tests.api_checks import error_body, ok_body
from tests.live_app import demo_database, served
from tests.waiting import until

GEOJSON = "application/geo+json"
HOSTILE = "<img src=x onerror=alert(1)> hall"
SECRETS = (
    "ogc.private@example.org",
    "07700 900777",
    "ogc.public@example.org",
    "01603 000777",
    "Mr Owner Ogc",
)
HOME = (1.2345678, 52.6543219)  # a group's home point: never published
IDS = [c.id for c in list_collections()]
COLUMNS = (
    "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
    "ORDER BY ordinal_position"
)


def _plant(conn: Connection) -> None:
    """A hub, a space and a group holding private and contact values, and a group meeting at a venue."""
    private = json.dumps({"name": SECRETS[4], "email": SECRETS[0], "phone": SECRETS[1]})
    hub = conn.execute(
        text(
            "INSERT INTO hubs (name, kind, geom, email, phone, private_contact) VALUES (:n, 'village_hall', "
            "ST_SetSRID(ST_MakePoint(1.29, 52.63), 4326), :e, :p, CAST(:pc AS jsonb)) RETURNING id"
        ),
        {"n": HOSTILE, "e": SECRETS[2], "p": SECRETS[3], "pc": private},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO spaces (name, kind, geom, owner_name, email, phone, private_contact, hub_id) VALUES "
            "('Ogc room', 'room', ST_SetSRID(ST_MakePoint(1.291, 52.631), 4326), :o, :e, :p, CAST(:pc AS jsonb), :h)"
        ),
        {"o": SECRETS[4], "e": SECRETS[2], "p": SECRETS[3], "pc": private, "h": hub},
    )
    conn.execute(
        text(
            "INSERT INTO groups (name, geom, location_precision, email, phone, private_contact, categories) "
            "VALUES ('Ogc street group', ST_SetSRID(ST_MakePoint(:x, :y), 4326), 'area', :e, :p, "
            "CAST(:pc AS jsonb), ARRAY['mutual-aid'])"
        ),
        {"x": HOME[0], "y": HOME[1], "e": SECRETS[2], "p": SECRETS[3], "pc": private},
    )
    conn.execute(
        text(
            "INSERT INTO groups (name, geom, location_precision, categories) VALUES ('Ogc lunch club', "
            "ST_SetSRID(ST_MakePoint(1.292, 52.632), 4326), 'venue', ARRAY['food', 'older-people'])"
        )
    )


@pytest.fixture(scope="module")
def live(server_url: str) -> Iterator[dict[str, str]]:
    """The app's OGC API root (url), served over this module's database (database)."""
    with demo_database(server_url, prefix="patchmap_ogc", setup=_plant) as settings, served(settings) as base:
        yield {"url": base + "/ogc", "database": settings.database.url}


@pytest.fixture(scope="module")
def url(live: dict[str, str]) -> str:
    """The app's OGC API root."""
    return live["url"]


def _get(url: str, **params: Any) -> httpx.Response:
    """GET url (with params, if any: an empty params would drop the url's own query)."""
    return httpx.get(url, params=params or None, timeout=30)


def _all(url: str, collection: str, **params: Any) -> list[dict[str, Any]]:
    """Every feature of a collection, following next links."""
    found: list[dict[str, Any]] = []
    page: str | None = f"{url}/collections/{collection}/items"
    first = True
    while page:
        response = _get(page, **params) if first else _get(page)
        body = ok_body(response, OgcFeatureCollection, GEOJSON)
        found += body["features"]
        page = next((k["href"] for k in body["links"] if k["rel"] == "next"), None)
        first = False
    return found


def test_landing_page_conformance_and_collections(url: str) -> None:
    """The landing page links the app's OpenAPI document; conformance and collections are as listed."""
    landing = ok_body(_get(url), LandingPage)
    desc = next(k["href"] for k in landing["links"] if k["rel"] == "service-desc")
    assert desc.endswith("/openapi.json")
    assert "/ogc/collections/{collectionId}/items" in httpx.get(desc, timeout=30).json()["paths"]
    assert ok_body(_get(url + "/conformance"), ConformanceClasses)["conformsTo"] == [
        *CONFORMANCE,
        *tilesets.CONFORMANCE,
    ]
    schemes = next(k["href"] for k in landing["links"] if k["rel"].endswith("/tiling-schemes"))
    assert _get(schemes).json()["id"] == "WebMercatorQuad"
    collections = ok_body(_get(url + "/collections"), CollectionList)["collections"]
    assert [c["id"] for c in collections] == IDS
    for c in collections:
        assert c["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84" and BNG in c["crs"]
        tiles = [k["href"] for k in c["links"] if k["rel"].endswith("/tilesets-vector")]
        # every collection but rooms (inside their hubs) is also served as vector tiles
        assert tiles == ([] if c["id"] == "rooms" else [f"{url}/collections/{c['id']}/tiles"])
        if tiles:
            assert _get(tiles[0]).json()["tilesets"]
        assert c["extent"]["spatial"]["bbox"][0][0] < 1.3 < c["extent"]["spatial"]["bbox"][0][2]


def test_each_view_holds_exactly_the_listed_properties(live: dict[str, str]) -> None:
    """Each collection's view (which tipg would read too) has exactly the API's properties and a geometry,
    and its features carry those properties in that order."""
    with psycopg.connect(live["database"]) as conn:
        for collection in list_collections():
            columns = [r[0] for r in conn.execute(COLUMNS, ["ogc", collection.id])]
            assert columns == [*collection.properties, "geom"], collection.id
            first = ok_body(
                _get(f"{live['url']}/collections/{collection.id}/items", limit=1),
                OgcFeatureCollection,
                GEOJSON,
            )
            assert tuple(first["features"][0]["properties"]) == collection.properties, collection.id


def test_paging_by_next_and_prev_links(url: str) -> None:
    """Pages of 7 hubs, followed by next links, give every hub once; counts and prev links agree."""
    everything = ok_body(_get(f"{url}/collections/hubs/items", limit=1000), OgcFeatureCollection, GEOJSON)
    paged = _all(url, "hubs", limit=7)
    assert [f["id"] for f in paged] == [f["id"] for f in everything["features"]]
    assert everything["numberMatched"] == everything["numberReturned"] == len(paged)
    second = _get(f"{url}/collections/hubs/items", limit=7, offset=7).json()
    assert second["numberReturned"] == 7
    prev = next(k["href"] for k in second["links"] if k["rel"] == "prev")
    assert [f["id"] for f in _get(prev).json()["features"]] == [f["id"] for f in paged[:7]]
    assert _get(f"{url}/collections/hubs/items", limit=5000).json()["numberReturned"] == len(paged)


def test_bbox_in_each_crs_and_geometry_in_each_crs(url: str) -> None:
    """The same box in CRS84, EPSG:4326 (lat, lon) and EPSG:27700 finds the same hubs; EPSG:4326 and
    EPSG:27700 geometry is the CRS84 point with its axes swapped, or transformed (to the centimetre)."""
    items = f"{url}/collections/hubs/items"
    crs84 = _all(url, "hubs", bbox="1.25,52.6,1.35,52.66", limit=100)
    lat_lon = _all(url, "hubs", bbox="52.6,1.25,52.66,1.35", **{"bbox-crs": EPSG_4326}, limit=100)
    assert len(crs84) > 5 and [f["id"] for f in lat_lon] == [f["id"] for f in crs84]
    to_bng = Transformer.from_crs("OGC:CRS84", "EPSG:27700", always_xy=True)
    x0, y0 = to_bng.transform(1.26, 52.61)
    x1, y1 = to_bng.transform(1.34, 52.65)
    in_bng = _all(url, "hubs", bbox=f"{x0},{y0},{x1},{y1}", **{"bbox-crs": BNG}, limit=100)
    assert {f["id"] for f in in_bng} <= {f["id"] for f in crs84} and in_bng
    response = _get(items, bbox="1.25,52.6,1.35,52.66", crs=BNG, limit=100)
    assert response.headers["content-crs"] == f"<{BNG}>"
    assert _get(items, limit=1).headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    for plain, bng in zip(crs84, response.json()["features"], strict=True):
        x, y = to_bng.transform(*plain["geometry"]["coordinates"])
        assert bng["geometry"]["coordinates"] == pytest.approx([x, y], abs=0.1)
        assert "crs" not in bng["geometry"]
    swapped = _get(f"{items}/{crs84[0]['id']}", crs=EPSG_4326)
    assert swapped.json()["geometry"]["coordinates"] == crs84[0]["geometry"]["coordinates"][::-1]
    assert swapped.headers["content-crs"] == f"<{EPSG_4326}>"


def test_property_filters(url: str) -> None:
    """Filters on the main fields select what they name, and combine with each other and the bbox."""
    norwich = _all(url, "wards", district_code="E07000148", limit=100)
    assert len(norwich) == 13 and {f["properties"]["district_code"] for f in norwich} == {"E07000148"}
    assert norwich[0]["geometry"]["type"] == "MultiPolygon"
    groups = _all(url, "groups", limit=1000)
    food = _all(url, "groups", category="food", limit=100)
    assert [f["properties"]["name"] for f in food] == ["Ogc lunch club"]
    assert {f["id"] for f in food} == {f["id"] for f in groups if "food" in f["properties"]["categories"]}
    ward = food[0]["properties"]["ward_code"]
    assert all(f["properties"]["ward_code"] == ward for f in _all(url, "hubs", ward_code=ward))
    named = _all(url, "districts", name="Norwich")
    assert [f["id"] for f in named] == ["E07000148"] and named[0]["properties"]["population_total"] > 100_000
    assert all(f["properties"]["bookable"] for f in _all(url, "rooms", bookable="true", limit=100))


def test_a_group_known_by_its_area_has_no_geometry(url: str) -> None:
    """Its feature has null geometry and no address, postcode or ward; its home point is nowhere."""
    street = _all(url, "groups", name="Ogc street group")
    assert len(street) == 1 and street[0]["geometry"] is None
    assert [street[0]["properties"][k] for k in ("venue_address", "postcode", "ward_code")] == [None] * 3


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/collections/nowhere", {}, 404),
        ("/collections/nowhere/items", {}, 404),
        ("/collections/hubs/items/999999", {}, 404),
        ("/collections/hubs/items/not-a-number", {}, 404),
        ("/collections/wards/items/E99999999", {}, 404),
        ("/collections/hubs/items", {"bbox": "1,2,3"}, 400),
        ("/collections/hubs/items", {"bbox": "1.4,52,1.2,53"}, 400),
        ("/collections/hubs/items", {"bbox": "a,b,c,d"}, 400),
        ("/collections/hubs/items", {"bbox": "1,2,3,4", "bbox-crs": "EPSG:3857"}, 400),
        ("/collections/hubs/items", {"bbox": "1e9,0,2e9,1", "bbox-crs": BNG}, 400),
        ("/collections/hubs/items", {"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}, 400),
        ("/collections/hubs/items/1", {"crs": "nonsense"}, 400),
        ("/collections/hubs/items", {"limit": "0"}, 400),
        ("/collections/hubs/items", {"limit": "ten"}, 400),
        ("/collections/hubs/items", {"offset": "-1"}, 400),
        ("/collections/hubs/items", {"colour": "red"}, 400),
        ("/collections/hubs/items", {"category": "food"}, 400),
        ("/collections/rooms/items", {"bookable": "maybe"}, 400),
        ("/collections/hubs/items", {"datetime": "yesterday"}, 400),
        ("/collections/hubs/items", {"f": "xml"}, 400),
        ("/collections", {"f": "csv"}, 400),
        ("", {"limit": "1"}, 400),
    ],
)
def test_bad_requests_are_400_and_missing_things_404(
    url: str, path: str, params: dict[str, str], status: int
) -> None:
    """As the standard asks: an unknown or malformed parameter is a 400; no collection or feature a 404."""
    body = error_body(_get(url + path, **params), status)
    assert body["detail"], body


def test_html_pages_escape_and_keep_the_csp(url: str) -> None:
    """Each document is also a page (f=html or Accept: text/html) whose values are escaped."""
    for path in ("", "/conformance", "/collections", "/collections/hubs", "/collections/hubs/items"):
        page = httpx.get(
            url + path, headers={"Accept": "text/html"}, params={"limit": 1000} if "items" in path else {}
        )
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<img src=x" not in page.text
    listing = _get(f"{url}/collections/hubs/items", f="html", limit=1000).text
    assert "&lt;img src=x onerror=alert(1)&gt; hall" in listing
    hostile = _all(url, "hubs", name=HOSTILE)[0]
    assert "&lt;img src=x" in _get(f"{url}/collections/hubs/items/{hostile['id']}", f="html").text


def _ogrinfo(*args: str) -> str:
    """ogrinfo's output (read-only), failing the test on an error."""
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "GDAL's ogrinfo is missing: make gis-deps (Debian gdal-bin)"
    done = subprocess.run([ogrinfo, "-ro", *args], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and "ERROR" not in done.stderr, done.stderr
    return done.stdout


def test_gdal_lists_every_collection_and_reads_every_feature(url: str) -> None:
    """GDAL's OAPIF driver lists the eight collections, then reads every feature of each (as many as the API
    says match); none of the planted private or contact values comes through."""
    listing = _ogrinfo("-so", f"OAPIF:{url}")
    assert re.findall(r"^\d+: (\w+) ", listing, re.MULTILINE) == IDS
    for collection in IDS:
        matched = _get(f"{url}/collections/{collection}/items", limit=1).json()["numberMatched"]
        out = _ogrinfo("-al", "-geom=SUMMARY", f"OAPIF:{url}", collection)
        assert out.count("OGRFeature(") == matched, collection
        for secret in (*SECRETS, "private_contact", str(HOME[0])):
            assert secret not in out, (collection, secret)
    rooms = _ogrinfo("-al", "-so", f"OAPIF:{url}", "rooms")
    assert "price_per_hour: Real" in rooms and "Geometry: Point" in rooms


def test_owslib_reads_every_collection(url: str) -> None:
    """OWSLib's OGC API client reads the conformance, every collection and every feature, page by page."""
    api = Features(url)
    assert set(CONFORMANCE) <= set(api.conformance()["conformsTo"])
    assert [c["id"] for c in api.collections()["collections"]] == IDS
    for collection in IDS:
        assert api.collection(collection)["id"] == collection
        got: list[Any] = []
        while True:
            page = api.collection_items(collection, limit=200, offset=len(got))
            got += page["features"]
            if page["numberReturned"] < 200:
                break
        assert len(got) == page["numberMatched"] and len({f["id"] for f in got}) == len(got), collection
        one = api.collection_item(collection, str(got[-1]["id"]))
        OgcFeature.model_validate(one)
        assert one["properties"] == got[-1]["properties"]


#: Each area collection, its overlay level, and each overlay property with the overlay record's field.
LEVELS = {"wards": "ward", "districts": "district", "lsoas": "lsoa", "localities": "locality"}
MEASURES = {
    "assets_per_1000": "assets_per_1000",
    "coverage_800m": "coverage",
    "access_2sfca": "access_2sfca",
    "overlay_priority": "priority",
    "overlay_class": "bivariate_class",
}


def _overlay(url: str, level: str) -> dict[str, dict[str, Any]]:
    """The officers' overlay of a level under its default settings, by area code."""
    body = _get(url.removesuffix("/ogc") + "/analysis/overlay", level=level, f="json").json()
    return {a["code"]: a for a in body["areas"]}


def _runs(database: str) -> dict[str, tuple[str, Any]]:
    """Each stored level's data version and when it was computed."""
    with psycopg.connect(database) as conn:
        return {
            r[0]: (r[1], r[2])
            for r in conn.execute("SELECT level, version, computed_at FROM area_overlay_runs")
        }


def _check_same(url: str, collection: str) -> list[dict[str, Any]]:
    """The collection's overlay properties equal the officers' overlay of its level; its features."""
    features = _all(url, collection, limit=1000)
    officers = _overlay(url, LEVELS[collection])
    assert {f["id"] for f in features} == set(officers), collection
    for feature in features:
        mine, theirs = feature["properties"], officers[feature["id"]]
        assert {k: mine[k] for k in MEASURES} == {k: theirs[f] for k, f in MEASURES.items()}, feature["id"]
        label = CLASS_WORDS[mine["overlay_class"]] if mine["overlay_class"] else None
        assert mine["overlay_class_label"] == label and mine["overlay_version"].startswith("v1-")
    return features


@pytest.mark.parametrize("collection", list(LEVELS))
def test_area_collections_carry_the_officers_default_overlay(url: str, collection: str) -> None:
    """Each area's overlay measures are the officers' overlay of its level with no parameters (what
    /analysis/overlay?level=...&f=json gives), class label in words, and the data version."""
    features = _check_same(url, collection)
    if collection in ("wards", "lsoas"):
        assert any(f["properties"]["overlay_class"] for f in features), collection


def test_the_overlay_is_computed_once_per_data_version_and_follows_a_change(live: dict[str, str]) -> None:
    """Pages read while the data stands reuse the stored overlay; a hub added in a ward changes its measures
    (and the version) at the next read, to the officers' overlay's new values."""
    url = live["url"]
    before = {f["id"]: f["properties"] for f in _check_same(url, "wards")}
    stored = _runs(live["database"])["ward"]
    _get(f"{url}/collections/wards/items", limit=3)
    _get(f"{url}/collections/wards/items/{next(iter(before))}")
    assert _runs(live["database"])["ward"] == stored  # not computed again
    with psycopg.connect(live["database"]) as conn:
        ward = conn.execute(
            "SELECT code FROM areas WHERE kind = 'ward' AND ST_Contains(geom, ST_SetSRID(ST_MakePoint(1.2935, "
            "52.6285), 4326))"
        ).fetchone()
        assert ward is not None
        conn.execute(
            "INSERT INTO hubs (name, kind, geom) VALUES ('Ogc overlay hall', 'community_centre', "
            "ST_SetSRID(ST_MakePoint(1.2935, 52.6285), 4326))"
        )
    after = {f["id"]: f["properties"] for f in _check_same(url, "wards")}
    code = ward[0]
    assert after[code]["assets_per_1000"] > before[code]["assets_per_1000"]
    assert after[code]["overlay_version"] != before[code]["overlay_version"]
    assert _runs(live["database"])["ward"][0] == after[code]["overlay_version"] != stored[0]


def test_filter_by_overlay_class(url: str) -> None:
    """overlay_class selects the areas of that class, alone or with another filter."""
    wards = _all(url, "wards", limit=1000)
    for cls in {f["properties"]["overlay_class"] for f in wards if f["properties"]["overlay_class"]}:
        picked = _all(url, "wards", overlay_class=cls, limit=1000)
        assert {f["id"] for f in picked} == {
            f["id"] for f in wards if f["properties"]["overlay_class"] == cls
        }
        both = _all(url, "wards", overlay_class=cls, district_code="E07000148")
        assert {f["id"] for f in both} <= {f["id"] for f in picked}
    assert _get(f"{url}/collections/wards/items", overlay_class="nonsense").json()["numberMatched"] == 0


@pytest.mark.parametrize("collection", IDS)
def test_every_filter_of_every_collection_selects_what_it_names(url: str, collection: str) -> None:
    """Each filter a collection lists is a column of its view: given a value one of its features holds, it
    answers 200 with features holding that value; a filter of another collection is a 400, never a 500."""
    found = next(c for c in list_collections() if c.id == collection)
    features = _all(url, collection, limit=1000)
    for name, where in found.filters.items():
        held = [
            f["properties"][where.column]
            for f in features
            if f["properties"].get(where.column) not in (None, [])
        ]
        value = held[0][0] if held and isinstance(held[0], list) else held[0] if held else None
        if value is None:  # nothing holds a value: the filter must still be answered (and select nothing)
            value = {"integer": "1", "boolean": "true"}.get(where.kind, "nothing-holds-this")
        asked = str(value).lower() if isinstance(value, bool) else str(value)
        picked = _all(url, collection, **{name: asked}, limit=1000)
        for f in picked:
            got = f["properties"][where.column]
            assert (asked in got) if isinstance(got, list) else str(got).lower() == asked.lower(), (name, got)
        if held:
            assert picked, (collection, name, asked)
    others = {n for c in list_collections() for n in c.filters} - set(found.filters)
    for name in sorted(others):
        body = error_body(_get(f"{url}/collections/{collection}/items", **{name: "x"}), 400)
        assert name in body["error"], body


def _tile_overlay(url: str, collection: str, z: int, etag: str | None = None) -> tuple[httpx.Response, dict]:
    """A boundary tile over Norwich (asked with If-None-Match when etag is given), and each of its areas'
    overlay class and priority by code (None where the tile carries none)."""
    _, x, y = tile_of(1.2935, 52.6285, z)
    headers = {"If-None-Match": etag} if etag else None
    r = httpx.get(
        f"{url}/collections/{collection}/tiles/WebMercatorQuad/{z}/{y}/{x}", headers=headers, timeout=60
    )
    if r.status_code != 200:
        return r, {}
    layer = decode(r.content)[collection]
    got = {
        f.properties["code"]: (f.properties.get("overlay_class"), f.properties.get("overlay_priority"))
        for f in layer.features
    }
    return r, got


def test_boundary_tiles_carry_the_collections_overlay_and_follow_a_change(live: dict[str, str]) -> None:
    """Each area in a ward or LSOA tile carries the overlay class and priority its OGC API feature has; a
    change to the assets changes the tile's ETag, and the tile (asked first) stores the new overlay itself."""
    url = live["url"]
    for collection, z in (("wards", 11), ("lsoas", 13)):
        r, tiled = _tile_overlay(url, collection, z)
        assert r.status_code == 200 and tiled, collection
        items = {f["id"]: f["properties"] for f in _all(url, collection, limit=1000)}
        assert tiled == {c: (items[c]["overlay_class"], items[c]["overlay_priority"]) for c in tiled}
        assert any(cls for cls, _ in tiled.values()), collection
    r = _tile_overlay(url, "wards", 11)[0]
    assert _tile_overlay(url, "wards", 11, r.headers["etag"])[0].status_code == 304
    with psycopg.connect(live["database"]) as conn:
        for i in range(3):
            conn.execute(
                "INSERT INTO hubs (name, kind, geom) VALUES (%s, 'community_centre', "
                "ST_SetSRID(ST_MakePoint(1.2935, 52.6285), 4326))",
                [f"Tile overlay hall {i}"],
            )
    stored = _runs(live["database"])["ward"]
    again, after = _tile_overlay(url, "wards", 11, r.headers["etag"])
    assert again.status_code == 200 and again.headers["etag"] != r.headers["etag"]
    assert _runs(live["database"])["ward"][0] != stored[0]  # the tile stored the new overlay
    items = {f["id"]: f["properties"] for f in _all(url, "wards", limit=1000)}
    assert after == {c: (items[c]["overlay_class"], items[c]["overlay_priority"]) for c in after}
    assert _runs(live["database"])["ward"][0] != stored[0]


def test_queryables_name_every_filter_and_owslib_reads_them(url: str) -> None:
    """Each collection links to its queryables (OGC API - Features - Part 3): a JSON Schema naming exactly the
    filters its items take, with their types; OWSLib reads them; the HTML page escapes; no collection, 404."""
    api = Features(url)
    for found in list_collections():
        doc = ok_body(_get(f"{url}/collections/{found.id}/queryables"), Queryables, "application/schema+json")
        assert set(doc["properties"]) == set(found.filters), found.id
        for name, where in found.filters.items():
            assert doc["properties"][name]["type"] == {"integer": "integer", "boolean": "boolean"}.get(
                where.kind, "string"
            )
        assert doc["additionalProperties"] is False and doc["$id"].endswith(f"/{found.id}/queryables")
        assert api.collection_queryables(found.id)["properties"] == doc["properties"]
        links = _get(f"{url}/collections/{found.id}").json()["links"]
        assert any(k["rel"].endswith("/queryables") and k["href"] == doc["$id"] for k in links)
    page = _get(f"{url}/collections/hubs/queryables", f="html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "operator_type" in page.text and "content-security-policy" in page.headers
    error_body(_get(f"{url}/collections/nowhere/queryables"), 404)
    error_body(_get(f"{url}/collections/hubs/queryables", f="xml"), 400)


def test_many_tiles_at_once_after_a_change_are_all_answered(live: dict[str, str]) -> None:
    """A map asks for a screenful of boundary tiles at once. After a change to the data each needs the level's
    overlay stored again: one request stores it while the others wait without holding the pool's
    connections (4 here, each waited for at most 0.5 s), so none is answered 503, however long the storing
    takes (here held up by the test holding the storing's lock until another read has been answered)."""
    url, database = live["url"], live["database"]
    with psycopg.connect(database) as conn:
        conn.execute(
            "INSERT INTO hubs (name, kind, geom) VALUES ('Tile rush hall', 'community_centre', "
            "ST_SetSRID(ST_MakePoint(1.2801, 52.6302), 4326))"
        )
    stored = _runs(database).get("lsoa", ("", None))[0]
    _, x0, y0 = tile_of(1.2935, 52.6285, 14)
    paths = [
        f"{url}/collections/{c}/tiles/WebMercatorQuad/14/{y0 + j}/{x0 + i}"
        for c in ("lsoas", "wards")
        for i in range(-2, 2)
        for j in range(-1, 2)
    ]
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"

    async def ask_all() -> tuple[list[int], int]:
        with psycopg.connect(database) as holder, psycopg.connect(database, autocommit=True) as watcher:
            holder.execute(
                "SELECT pg_advisory_xact_lock(hashtext('patchmap.area_overlay.' || level)) "
                "FROM (VALUES ('lsoa'), ('ward')) v(level)"
            )
            async with httpx.AsyncClient(timeout=120) as client:
                asked = [asyncio.create_task(client.get(p)) for p in paths]
                # the storing has begun, and waits for the lock (asked on a thread: the requests go on)
                await asyncio.to_thread(until, lambda: watcher.execute(waiting).fetchone()[0], "the storing")
                # while it waits, another read still gets a pooled connection (not a 503 after 0.5 s)
                probe = await client.get(f"{url}/collections/hubs/items", params={"limit": 1})
                holder.rollback()  # the lock goes
                answers = await asyncio.gather(*asked)
        return [a.status_code for a in answers], probe.status_code

    statuses, probe = asyncio.run(ask_all())
    assert probe == 200 and set(statuses) <= {200, 204} and 200 in statuses, (probe, statuses)
    assert _runs(database)["lsoa"][0] != stored  # stored again for the new data
