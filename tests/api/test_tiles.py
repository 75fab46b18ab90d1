"""OGC API - Tiles: vector tiles of the boundaries and public assets, their descriptions, and HTTP caching.

Tiles are decoded (layers.tiles.decode) and checked against the database: the features of a tile are the areas
whose boundary meets it, with the fields TileJSON names; the assets' tiles hold public fields only. ETags
follow the data: the same while nothing changes, 304 for If-None-Match, and new after a hub moves (for the
hubs' tiles, and for the boundaries', whose overlay class the assets are an input of) or a boundary changes.
(tests/api/test_ogc_features.py checks the boundaries' overlay class against the OGC API's.) Writes run in a rolled-back transaction (``db``).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from layers.tiles import tilesets
from layers.tiles.cache import TileCache
from layers.tiles.decode import decode, rings, signed_area
from tests.rolled_back import RolledBack

MVT = "application/vnd.mapbox-vector-tile"
NORWICH = (1.2577946, 52.6010893)  # the demo's Eaton Vale Activity Centre (a hub)
SECRETS = ("tile.secret@example.org", "07700 900462", "Ms Tile Private")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The WebMercatorQuad tile (z, x, y) holding a point."""
    n = 2**z
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, int((lon + 180) / 360 * n), y


def url(collection: str, z: int, x: int, y: int) -> str:
    """The tile's path (OGC order: tileMatrix/tileRow/tileCol)."""
    return f"/ogc/collections/{collection}/tiles/WebMercatorQuad/{z}/{y}/{x}"


def meeting(conn: Connection, kind: str, z: int, x: int, y: int) -> set[str]:
    """Codes of the areas of a kind whose boundary meets the tile."""
    rows = conn.execute(
        text("SELECT code FROM areas WHERE kind = :k AND ST_Intersects(geom, ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326))"),
        {"k": kind, "z": z, "x": x, "y": y},
    )  # fmt: skip
    return {r[0] for r in rows}


@pytest.mark.parametrize(("collection", "kind", "z"), [("lsoas", "lsoa", 12), ("wards", "ward", 9),
                                                       ("districts", "district", 7), ("lsoas", "lsoa", 14)])  # fmt: skip
def test_a_tile_holds_the_areas_meeting_it_with_their_fields(
    client: TestClient, conn: Connection, collection: str, kind: str, z: int
) -> None:
    z, x, y = tile_of(*NORWICH, z)
    r = client.get(url(collection, z, x, y))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == MVT
    layers = decode(r.content)
    assert set(layers) == {collection}
    layer = layers[collection]
    assert layer.extent == 4096 and layer.version == 2
    codes = [f.properties["code"] for f in layer.features]
    assert len(codes) == len(set(codes))
    assert set(codes) == meeting(conn, kind, z, x, y)
    for f in layer.features:
        assert f.type == 3 and f.commands > 0  # polygons, drawn
        assert set(f.properties) <= set(tilesets.AREA_FIELDS)
        assert {"code", "name"} <= set(f.properties)
    with_imd = [f for f in layer.features if "imd_decile" in f.properties]
    assert with_imd and all(1 <= f.properties["imd_decile"] <= 10 for f in with_imd)


def test_every_zoom_band_draws_every_area_of_a_tile(client: TestClient, conn: Connection) -> None:
    for z in (5, 8, 10, 12, 16):
        z, x, y = tile_of(*NORWICH, z)
        layer = decode(client.get(url("wards", z, x, y)).content)["wards"]
        assert {f.properties["code"] for f in layer.features} == meeting(conn, "ward", z, x, y), z


@pytest.mark.parametrize(("collection", "z"), [("districts", 6), ("districts", 9), ("wards", 9), ("wards", 12),
                                             ("lsoas", 11), ("lsoas", 14), ("lsoas", 16)])  # fmt: skip
def test_polygons_wind_as_the_mvt_specification_asks(client: TestClient, collection: str, z: int) -> None:
    """Each polygon starts with an exterior ring (positive area by the surveyor's formula, y down the tile),
    whether its area lies inside the tile or is clipped at its edge; no ring is flat (zero area)."""
    layer = decode(client.get(url(collection, *tile_of(*NORWICH, z))).content)[collection]
    assert layer.features
    for f in layer.features:
        found = rings(f)
        assert found and all(len(r) >= 3 for r in found), f.properties["code"]
        areas = [signed_area(r) for r in found]
        assert areas[0] > 0 and all(a != 0 for a in areas), (f.properties["code"], areas)


def test_an_empty_tile_is_204_with_an_etag(client: TestClient) -> None:
    r = client.get(url("lsoas", 10, 100, 100))  # the Atlantic
    assert r.status_code == 204 and r.content == b""
    assert r.headers["etag"].startswith('"') and "max-age" in r.headers["cache-control"]


@pytest.mark.parametrize(
    "path",
    [url("lsoas", 25, 0, 0), url("lsoas", 3, 8, 0), url("lsoas", 3, 0, 8), url("lsoas", 17, 0, 0),
     url("hubs", 5, 15, 10), url("nowhere", 5, 15, 10),
     "/ogc/collections/lsoas/tiles/WorldCRS84Quad/5/10/15", "/ogc/tileMatrixSets/Other",
     "/ogc/collections/nowhere/tiles", "/ogc/collections/nowhere/tiles/WebMercatorQuad/tilejson.json"],
)  # fmt: skip
def test_a_tile_or_set_that_does_not_exist_is_404_with_a_reason(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404, (path, r.text)
    body = r.json()
    assert set(body) == {"error", "detail"} and body["error"] and body["detail"]


@pytest.mark.parametrize("tail", ["x/1/1", "1/-1/0", "1/0/99999999999", "1.5/0/0", "%00/0/0"])
def test_malformed_tile_numbers_are_422_never_500(client: TestClient, tail: str) -> None:
    r = client.get(f"/ogc/collections/lsoas/tiles/WebMercatorQuad/{tail}")
    assert r.status_code in (404, 422), r.text
    assert set(r.json()) == {"error", "detail"}


def test_tilejson_names_the_tiles_the_layer_and_its_fields(client: TestClient) -> None:
    for path in ("/ogc/collections/lsoas/tiles/WebMercatorQuad/tilejson.json",
                 "/ogc/collections/lsoas/tiles/WebMercatorQuad?f=tilejson"):  # fmt: skip
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        tj = r.json()
        assert tj["tilejson"] == "3.0.0"
        assert tj["tiles"] == ["http://testserver/ogc/collections/lsoas/tiles/WebMercatorQuad/{z}/{y}/{x}"]
        assert tj["vector_layers"][0]["id"] == "lsoas"
        assert set(tj["vector_layers"][0]["fields"]) == set(tilesets.AREA_FIELDS)
        assert 0 <= tj["minzoom"] < tj["maxzoom"]
    assert client.get("/ogc/collections/hubs/tiles/WebMercatorQuad/tilejson.json").json()["minzoom"] == 8
    r = client.get("/ogc/collections/lsoas/tiles/WebMercatorQuad?f=geojson")
    assert r.status_code == 422


def test_tileset_descriptions_and_the_tile_matrix_set(client: TestClient) -> None:
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) == 25
    assert tms["tileMatrices"][0]["matrixWidth"] == 1 and tms["tileMatrices"][10]["matrixWidth"] == 1024
    listed = client.get("/ogc/tileMatrixSets").json()["tileMatrixSets"]
    assert [t["id"] for t in listed] == ["WebMercatorQuad"]
    sets = client.get("/ogc/collections/wards/tiles").json()["tilesets"]
    assert sets[0]["dataType"] == "vector" and sets[0]["tileMatrixSetURI"] == tilesets.TMS_URI
    meta = client.get("/ogc/collections/hubs/tiles/WebMercatorQuad").json()
    assert meta["tileMatrixSetLimits"][0]["tileMatrix"] == "8"
    assert any(link["rel"] == "item" and link["type"] == MVT for link in meta["links"])


def test_links_and_conformance_for_the_features_api() -> None:
    links = tilesets.tile_links("lsoas", "https://example.org/ogc")
    assert {link["rel"] for link in links} == {
        "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "item", "describedby"}  # fmt: skip
    assert all(link["href"].startswith("https://example.org/ogc/collections/lsoas/tiles") for link in links)
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in tilesets.CONFORMANCE


def test_the_etag_holds_while_nothing_changes_and_if_none_match_is_304(client: TestClient) -> None:
    path = url("lsoas", *tile_of(*NORWICH, 12))
    first, again = client.get(path), client.get(path)
    etag = first.headers["etag"]
    assert etag == again.headers["etag"] and etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=60"
    for asked in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        r = client.get(path, headers={"If-None-Match": asked})
        assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag, asked
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url("lsoas", *tile_of(*NORWICH, 13))).headers["etag"] != etag  # another tile


def test_a_hub_moving_changes_the_hubs_tiles_and_the_boundaries_overlay_version(
    client: TestClient, db: RolledBack
) -> None:
    z, x, y = tile_of(*NORWICH, 14)
    hubs_before = db.get(url("hubs", z, x, y))
    lsoas_before = db.get(url("lsoas", z, x, y)).headers["etag"]
    ids = {f.id for f in decode(hubs_before.content)["hubs"].features}
    [hub] = db.execute("SELECT id FROM hubs WHERE name = 'Eaton Vale Activity Centre'")
    assert hub["id"] in ids
    db.execute("UPDATE hubs SET geom = ST_SetSRID(ST_MakePoint(1.0, 52.0), 4326) WHERE id = %s", [hub["id"]])
    after = db.get(url("hubs", z, x, y), headers={"If-None-Match": hubs_before.headers["etag"]})
    assert after.status_code in (200, 204) and after.headers["etag"] != hubs_before.headers["etag"]
    assert hub["id"] not in {f.id for f in decode(after.content).get("hubs", _empty()).features}
    # the boundaries carry the overlay class, which the assets are an input of: a new version
    lsoas_after = db.get(url("lsoas", z, x, y), headers={"If-None-Match": lsoas_before})
    assert lsoas_after.status_code == 200 and lsoas_after.headers["etag"] != lsoas_before


def test_boundaries_imported_change_the_boundaries_etag(db: RolledBack) -> None:
    z, x, y = tile_of(*NORWICH, 12)
    before = db.get(url("lsoas", z, x, y))
    db.execute("UPDATE areas SET name = name || ' (new)' WHERE kind = 'lsoa'")
    after = db.get(url("lsoas", z, x, y), headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert all(f.properties["name"].endswith(" (new)") for f in decode(after.content)["lsoas"].features)


def test_asset_tiles_hold_public_fields_only(db: RolledBack) -> None:
    lon, lat = 1.2601, 52.6031
    hub = db.insert("hubs", name="Tile Test Hub", kind="library", email=SECRETS[0], phone=SECRETS[1],
                    private_contact={"name": SECRETS[2]}, source="test", lon=lon, lat=lat)  # fmt: skip
    seen: dict[str, Any] = {}
    for collection in ("hubs", "spaces", "groups"):
        r = db.get(url(collection, *tile_of(lon, lat, 13)))
        assert r.status_code in (200, 204)
        assert not any(s.encode() in r.content for s in SECRETS)
        for layer in decode(r.content).values():
            for f in layer.features:
                assert set(f.properties) <= set(tilesets.ASSET_FIELDS) - {"id"}, f.properties
                assert f.type == 1 and f.id > 0
                seen[f"{collection}/{f.id}"] = f.properties
    assert seen[f"hubs/{hub}"] == {"subtype": "library", "name": "Tile Test Hub", "sample": False}


def _empty() -> Any:
    from layers.tiles.decode import Layer

    return Layer()


def test_a_repeat_is_served_from_the_kept_tile(client: TestClient) -> None:
    cache: TileCache = client.app.state.tile_cache  # type: ignore[attr-defined]
    path = url("wards", *tile_of(*NORWICH, 11))
    first = client.get(path)
    hits = cache.hits
    again = client.get(path)
    assert cache.hits == hits + 1 and again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]


def test_tiles_made_in_a_transaction_that_wrote_are_not_kept(app_client: TestClient, db: RolledBack) -> None:
    cache: TileCache = app_client.app.state.tile_cache  # type: ignore[attr-defined]
    db.execute("UPDATE areas SET name = name || ' (uncommitted)' WHERE kind = 'ward'")
    before = cache.bytes, cache.hits
    for _ in range(2):
        r = db.get(url("wards", *tile_of(*NORWICH, 10)))
        assert "(uncommitted)" in decode(r.content)["wards"].features[0].properties["name"]
    assert (cache.bytes, cache.hits) == before


def test_the_tile_cache_keeps_to_its_budget_and_its_etags() -> None:
    cache = TileCache(max_bytes=10)
    cache.put(("a", 1, 0, 0), '"1"', b"12345")
    cache.put(("a", 1, 0, 1), '"1"', b"67890")
    assert cache.get(("a", 1, 0, 0), '"1"') == b"12345" and cache.get(("a", 1, 0, 0), '"2"') is None
    cache.put(("a", 1, 1, 1), '"1"', b"abc")  # over budget: the least recently used goes
    assert cache.get(("a", 1, 0, 1), '"1"') is None and cache.bytes == 8
    cache.put(("a", 1, 1, 1), '"2"', b"x" * 11)  # larger than the whole budget: not kept
    assert cache.get(("a", 1, 1, 1), '"2"') is None


def test_a_new_indicator_reaches_the_tiles(db: RolledBack) -> None:
    z, x, y = tile_of(*NORWICH, 12)
    layer = decode(db.get(url("lsoas", z, x, y)).content)["lsoas"]
    code = layer.features[0].properties["code"]
    db.execute(
        "INSERT INTO indicators (area_code, key, value, period, source) VALUES (%s, 'imd_decile', 3, '2099', 'test')",
        [code],
    )
    db.execute("UPDATE indicators SET value = 4321 WHERE area_code = %s AND key = 'population_total'", [code])
    after = {
        f.properties["code"]: f.properties
        for f in decode(db.get(url("lsoas", z, x, y)).content)["lsoas"].features
    }
    assert after[code]["imd_decile"] == 3 and after[code]["population_total"] == 4321
    db.execute("DELETE FROM indicators WHERE area_code = %s", [code])
    gone = {
        f.properties["code"]: f.properties
        for f in decode(db.get(url("lsoas", z, x, y)).content)["lsoas"].features
    }
    assert {"code", "name"} <= set(gone[code]) and not {"imd_decile", "population_total"} & set(gone[code])


def test_tiles_are_served_by_the_plain_endpoint_in_front_of_the_documented_route(client: TestClient) -> None:
    """The tile path is in the OpenAPI document (its answers: 200, 204, 304, 404, 422) and is served first by
    the plain endpoint (api.routes.tiles.serve_tile), whose answers the other tests here check."""
    from api.routes import tiles as tile_routes

    path = tile_routes.PREFIX + tile_routes.TILE_PATH
    routes = [r for r in client.app.routes if getattr(r, "path", None) == path]  # type: ignore[attr-defined]
    assert [getattr(r, "endpoint", None) for r in routes][:1] == [tile_routes.serve_tile]
    documented = client.get("/openapi.json").json()["paths"][path]["get"]["responses"]
    assert {"200", "204", "304", "404", "422"} <= set(documented)
