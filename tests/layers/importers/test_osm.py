"""OpenStreetMap importer: classification, the demo's hubs and vacant shops, re-imports, hostile files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from layers.errors import ImportFailed
from layers.importers.demo import demo_files, table_counts
from layers.importers.osm import address, classify, facilities, import_osm, step_free, vacant_shop_name
from tests.conftest import DATA

OSM = demo_files(DATA)["osm"]
LIBRARY = {"amenity": "library", "name": "Test Library"}


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "library"}, ("hub", "library")),
        ({"amenity": "community_centre"}, ("hub", "community_centre")),
        ({"amenity": "social_centre"}, ("hub", "community_centre")),
        ({"amenity": "community_centre", "community_centre": "village_hall"}, ("hub", "village_hall")),
        ({"amenity": "village_hall"}, ("hub", "village_hall")),
        ({"building": "hall", "name": "St Mary's Hall"}, ("hub", "village_hall")),
        ({"amenity": "place_of_worship", "religion": "christian"}, ("hub", "place_of_worship")),
        ({"leisure": "sports_centre"}, ("hub", "sports_centre")),
        (
            {"leisure": "sports_centre", "building": "hall", "name": "Sewell Park Sports Centre"},
            ("hub", "sports_centre"),
        ),
        ({"amenity": "community_centre", "leisure": "sports_centre"}, ("hub", "community_centre")),
        ({"amenity": "school"}, ("hub", "school")),
        ({"shop": "vacant"}, ("space", "vacant_shop")),
        ({"shop": "vacant", "disused:shop": "erotic"}, ("space", "vacant_shop")),
        ({"disused:shop": "clothes"}, ("space", "vacant_shop")),
        ({"disused:shop": "yes", "shop": "second_hand"}, None),  # a trading shop with a stale tag
        ({"building": "hall"}, None),  # no name
        ({"building": "hall", "name": "Athena Games", "shop": "toys"}, None),
        ({"amenity": "pub", "name": "The Murderers"}, None),
        ({"leisure": "pitch"}, None),
        ({"leisure": "disused:sports_centre"}, None),
        ({}, None),
    ],
)
def test_classify(tags: dict[str, str], expected: tuple[str, str] | None) -> None:
    assert classify(tags) == expected


def test_field_helpers() -> None:
    assert step_free("yes") is True and step_free("designated") is True
    assert step_free("no") is False and step_free("limited") is False
    assert step_free(None) is None and step_free("unknown") is None
    assert facilities({"internet_access": "wlan", "toilets": "yes", "toilets:wheelchair": "yes"}) == [
        "accessible_toilets",
        "toilets",
        "wifi",
    ]
    assert (
        address({"addr:housenumber": "1", "addr:street": "High St", "addr:city": "Norwich"})
        == "1 High St, Norwich"
    )
    assert address({}) is None
    assert (
        vacant_shop_name({"addr:housenumber": "3", "addr:street": "Elm Hill"}, "way/1")
        == "Vacant shop, 3 Elm Hill"
    )
    assert vacant_shop_name({"addr:street": "Elm Hill"}, "way/1") == "Vacant shop near Elm Hill"
    assert vacant_shop_name({"addr:postcode": "nr2 1aw"}, "way/1") == "Vacant shop near NR2 1AW"
    assert vacant_shop_name({}, "way/1") == "Vacant shop (OpenStreetMap way/1)"


def test_demo_hubs_and_spaces(conn: Connection) -> None:
    kinds: dict[str, int] = dict(
        conn.execute(text("SELECT kind, count(*) FROM hubs WHERE source = 'osm' GROUP BY kind")).all()
    )
    assert kinds == {
        "library": 19,
        "sports_centre": 30,
        "community_centre": 1,
        "village_hall": 2,
        "school": 1,
    }
    spaces: dict[str, int] = dict(
        conn.execute(text("SELECT kind, count(*) FROM spaces WHERE source = 'osm' GROUP BY kind")).all()
    )
    assert spaces == {"vacant_shop": 31}
    assert conn.execute(text("SELECT count(*) FROM hubs WHERE name = '' OR geom IS NULL")).scalar_one() == 0


def test_millennium_library_fields(conn: Connection) -> None:
    lib = (
        conn.execute(
            text(
                "SELECT name, kind, address, postcode, opening_hours, phone, operator_name, operator_type, step_free, "
                "accessibility, facilities, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM hubs WHERE source_id = 'node/299412199'"
            )
        )
        .mappings()
        .one()
    )
    assert lib["name"] == "Norfolk and Norwich Millennium Library"
    assert lib["kind"] == "library"
    assert lib["address"] == "The Forum, Millennium Plain, Norwich"
    assert lib["postcode"] == "NR2 1AW"
    assert lib["opening_hours"] == "Mo-Fr 09:00-20:00; Sa 09:00-17:00"
    assert lib["phone"] == "+44 1603 774774"
    assert (lib["operator_name"], lib["operator_type"]) == ("Norfolk County Council", "council")
    assert lib["step_free"] is True
    assert lib["accessibility"]["wheelchair"] == "yes" and lib["accessibility"]["toilets:disabled"] == "yes"
    assert {"internet", "toilets", "accessible_toilets"} <= set(lib["facilities"])
    assert (lib["lon"], lib["lat"]) == pytest.approx((1.2909467, 52.6277308))


def test_unnamed_features_get_names(conn: Connection) -> None:
    names = conn.execute(
        text("SELECT source_id, name FROM spaces WHERE source_id IN ('way/120694310', 'way/337670405')")
    )
    assert dict(names.all()) == {"way/120694310": "Vacant shop, 367 Aylsham Road", "way/337670405": "SinSins"}
    unnamed = conn.execute(text("SELECT name FROM hubs WHERE source_id = 'relation/1804192'")).scalar_one()
    assert unnamed == "Sports centre (no name in OpenStreetMap)"


def test_map_feature_html_is_not_stored(conn: Connection) -> None:
    for table in ("hubs", "spaces", "postcodes", "groups"):
        dump = conn.execute(
            text(f"SELECT coalesce(string_agg(row_to_json(t)::text, ' '), '') FROM {table} t")
        ).scalar_one()
        for marker in ("mapFeature", "allowPopup", "<br", "caption"):
            assert marker not in dump, (table, marker)


def test_reimport_is_idempotent(conn: Connection) -> None:
    before = table_counts(conn)
    report = import_osm(conn, OSM)
    assert (report.loaded, report.updated, report.unchanged) == (0, 0, 84)
    assert report.rows == 2419 and not report.rejected
    assert table_counts(conn) == before


def _write(tmp_path: Path, features: list[dict[str, Any]], name: str = "test.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))  # NaN written as NaN
    return path


def _feature(
    osm_id: str | None, coordinates: Any, tags: dict[str, str] | None = None, geometry_type: str = "Point"
) -> dict[str, Any]:
    geometry = None if coordinates is None else {"type": geometry_type, "coordinates": coordinates}
    props: dict[str, Any] = dict(tags or LIBRARY) | {"mapFeature": {"location": "<b>html</b>"}}
    out: dict[str, Any] = {"type": "Feature", "properties": props, "geometry": geometry}
    if osm_id:
        out["id"] = osm_id
    return out


def test_new_and_changed_features(conn: Connection, tmp_path: Path) -> None:
    way = _feature(
        "way/1",
        [[[1.29, 52.63], [1.291, 52.63], [1.291, 52.631], [1.29, 52.631], [1.29, 52.63]]],
        {"amenity": "community_centre", "name": "Test Centre", "operator": "Test Parish"},
        "Polygon",
    )
    path = _write(tmp_path, [_feature("node/1", [1.29, 52.63]), way])
    report = import_osm(conn, [path])
    assert (report.loaded, report.updated, report.unchanged) == (2, 0, 0)
    row = conn.execute(
        text("SELECT kind, operator_type, ST_X(geom), ST_Y(geom) FROM hubs WHERE source_id = 'way/1'")
    ).one()
    assert row[:2] == ("community_centre", "unknown")
    assert 1.29 < row[2] < 1.291 and 52.63 < row[3] < 52.631  # a point on the polygon
    path = _write(tmp_path, [_feature("node/1", [1.29, 52.63], LIBRARY | {"wheelchair": "no"}), way])
    report = import_osm(conn, [path])
    assert (report.loaded, report.updated, report.unchanged) == (0, 1, 1)
    assert conn.execute(text("SELECT step_free FROM hubs WHERE source_id = 'node/1'")).scalar_one() is False


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (_feature("node/2", [float("nan"), 52.6]), "not numbers"),
        (_feature("node/2", [1.29, 95.0]), "out of range"),
        (_feature("node/2", [52.6, 1.29]), "swapped"),
        (_feature("node/2", []), "empty geometry"),
        (_feature("node/2", None), "no geometry"),
        (_feature("node/2", [1.29, 52.6], geometry_type="Blob"), "unreadable geometry"),
        (_feature(None, [1.29, 52.63], {"amenity": "library"}), "no OpenStreetMap id and no name"),
        (_feature("2", [1.29, 52.63]), "not an OpenStreetMap id"),
    ],
)
def test_bad_features_are_rejected(
    conn: Connection, tmp_path: Path, bad: dict[str, Any], reason: str
) -> None:
    path = _write(tmp_path, [_feature("node/1", [1.29, 52.63]), bad])
    before = table_counts(conn)
    with pytest.raises(ImportFailed) as failed:
        import_osm(conn, [path])
    assert "1 of 2 rows rejected" in failed.value.message and "nothing was imported" in failed.value.message
    assert reason in failed.value.detail and "test.geojson feature 2" in failed.value.detail
    assert table_counts(conn) == before
    report = import_osm(conn, [path], allow_rejects=True)
    assert report.loaded == 1 and len(report.rejected) == 1
    assert table_counts(conn)["hubs"] == before["hubs"] + 1


def test_bad_features_of_skipped_kinds_do_not_matter(conn: Connection, tmp_path: Path) -> None:
    pub = _feature(None, [float("nan"), 52.6], {"amenity": "pub", "name": "The Bad Geometry"})
    report = import_osm(conn, [_write(tmp_path, [_feature("node/1", [1.29, 52.63]), pub])])
    assert report.loaded == 1 and report.skipped == 1 and not report.rejected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"type": "FeatureCollection", "features": [', "not readable JSON"),
        ("\xff\xfe garbage", "not readable JSON"),
        ('{"type": "Feature", "geometry": null}', "not a GeoJSON FeatureCollection"),
        ("[1, 2, 3]", "not a GeoJSON FeatureCollection"),
    ],
)
def test_unreadable_files_fail(conn: Connection, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text(content, encoding="latin-1")
    before = table_counts(conn)
    with pytest.raises(ImportFailed, match=message):
        import_osm(conn, [_write(tmp_path, [_feature("node/1", [1.29, 52.63])]), path])
    assert table_counts(conn) == before


def test_missing_file_fails(conn: Connection, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="file not found"):
        import_osm(conn, [tmp_path / "nope.geojson"])


def test_duplicates_across_files_are_loaded_once(conn: Connection, tmp_path: Path) -> None:
    one = _write(tmp_path, [_feature("node/1", [1.29, 52.63])], "a.geojson")
    two = _write(tmp_path, [_feature("node/1", [1.29, 52.63])], "b.geojson")
    report = import_osm(conn, [one, two])
    assert report.loaded == 1 and any("more than one file" in n for n in report.notes)


def test_imports_keep_a_version_of_each_record(conn: Connection) -> None:
    """Every record an import writes gets a version: "create" when new, "import" with the changed fields."""
    from layers.records.versions import record_import

    hubs, created = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM hubs), (SELECT count(DISTINCT object_id) FROM record_versions "
            "WHERE object_type = 'hub' AND action = 'create')"
        )
    ).one()
    assert hubs == created > 0
    hub_id, name = conn.execute(text("SELECT id, name FROM hubs ORDER BY id LIMIT 1")).one()
    conn.execute(text("UPDATE hubs SET name = 'Renamed by a re-import' WHERE id = :i"), {"i": hub_id})
    assert record_import(conn, "hub", [hub_id]) == 1
    assert record_import(conn, "hub", [hub_id]) == 0  # nothing changed since
    action, changes = conn.execute(
        text(
            "SELECT action, changes FROM record_versions WHERE object_type = 'hub' AND object_id = :i "
            "ORDER BY version DESC LIMIT 1"
        ),
        {"i": hub_id},
    ).one()
    assert action == "import" and changes == {"name": [name, "Renamed by a re-import"]}


def test_features_without_osm_ids_are_keyed_by_name_and_place(conn: Connection, tmp_path: Path) -> None:
    """A council's own GeoJSON has no OSM ids: it loads, and loading it again (renamed) updates, not duplicates."""
    own = [
        _feature(None, [1.2950, 52.6301], {"amenity": "community_centre", "name": "Our Hall", "addr:postcode": "NR2 1AW"}),
        _feature(None, [1.2800, 52.6400], {"amenity": "library", "name": "Our Library"}),
    ]  # fmt: skip
    report = import_osm(conn, [_write(tmp_path, own, "council.geojson")])
    assert (report.loaded, report.rejected) == (2, [])
    assert any("2 features have no OpenStreetMap id" in n for n in report.notes)
    keys = conn.execute(
        text("SELECT source, source_id FROM hubs WHERE name LIKE 'Our %' ORDER BY name")
    ).all()
    assert [tuple(k) for k in keys] == [
        ("geojson", "our-hall@nr21aw"),
        ("geojson", "our-library@1.2800,52.6400"),
    ]
    own[0]["properties"]["opening_hours"] = "Mo-Fr 09:00-17:00"
    again = import_osm(conn, [_write(tmp_path, own, "council-2026.geojson")])
    assert (again.loaded, again.updated, again.unchanged) == (0, 1, 1)


def test_a_declared_crs_and_the_crs_option(conn: Connection, tmp_path: Path) -> None:
    """Old-style GeoJSON saying EPSG:27700 is reprojected; without the member, --crs does it; without either,
    metres are rejected as out of range rather than stored."""
    hall = {"amenity": "community_centre", "name": "Grid Hall"}
    feature = _feature("node/77", [622977.0, 308632.0], hall)  # The Forum, Norwich, in British National Grid
    said = tmp_path / "said.geojson"
    said.write_text(json.dumps({"type": "FeatureCollection", "features": [feature],
                                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}}))  # fmt: skip
    assert import_osm(conn, [said]).loaded == 1
    lon, lat = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM hubs WHERE source_id = 'node/77'")).one()
    assert lon == pytest.approx(1.2923, abs=2e-3) and lat == pytest.approx(52.6281, abs=2e-3)
    plain = _write(tmp_path, [feature | {"id": "node/78"}], "plain.geojson")
    with pytest.raises(ImportFailed, match="1 of 1 rows rejected"):
        import_osm(conn, [plain])
    assert import_osm(conn, [plain], crs="EPSG:27700").loaded == 1
    with pytest.raises(ImportFailed, match="unknown CRS"):
        import_osm(conn, [plain], crs="EPSG:999999")
