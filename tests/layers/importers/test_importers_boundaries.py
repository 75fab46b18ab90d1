"""Boundary and locality importers on real files, other CRSs, and hostile files."""

from __future__ import annotations

import json
import math
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import Connection, text

from layers.errors import ImportFailed
from layers.importers.boundaries import import_boundaries
from layers.importers.localities import import_localities
from tests.conftest import DATA, FIXTURES

WARDS = DATA / "norfolk" / "wards_2013.geojson"
LSOAS = DATA / "norfolk" / "lsoa_2011.geojson"
LIBRARY = (1.29095, 52.62773)  # Norfolk and Norwich Millennium Library, in Mancroft ward


def count(conn: Connection, sql: str = "SELECT count(*) FROM areas") -> int:
    return int(conn.execute(text(sql)).scalar_one())


def write_geojson(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def ward(code: str, name: str, ring: list[list[float]] | None) -> dict[str, object]:
    geom = {"type": "Polygon", "coordinates": [ring]} if ring is not None else None
    return {
        "type": "Feature",
        "properties": {"WD13CD": code, "WD13NM": name, "LAD13CD": "E07000148", "LAD13NM": "Norwich"},
        "geometry": geom,
    }


SQUARE = [[1.20, 52.60], [1.21, 52.60], [1.21, 52.61], [1.20, 52.61], [1.20, 52.60]]


def test_demo_loaded_norfolk_boundaries(conn: Connection) -> None:
    kinds = dict(conn.execute(text("SELECT kind, count(*) FROM areas GROUP BY kind")).all())
    assert kinds["ward"] == 205 and kinds["lsoa"] == 538 and kinds["district"] == 7
    assert count(conn, "SELECT count(*) FROM area_pieces") >= 205 + 538 + 7
    assert count(conn, "SELECT count(*) FROM areas WHERE NOT ST_IsValid(geom)") == 0
    assert count(conn, "SELECT count(*) FROM areas WHERE ST_SRID(geom) <> 4326") == 0


def test_districts_are_dissolved_from_their_wards(conn: Connection) -> None:
    wards = gpd.read_file(WARDS).to_crs(27700)
    expected = wards[wards.LAD13CD == "E07000148"].union_all().area
    got = conn.execute(
        text(
            "SELECT ST_Area(ST_Transform(geom, 27700)) FROM areas WHERE code = 'E07000148' AND kind = 'district'"
        )
    ).scalar_one()
    assert got == pytest.approx(expected, rel=1e-6)


def test_reimport_is_idempotent(conn: Connection) -> None:
    before = count(conn)
    report = import_boundaries(conn, WARDS, kind="ward")
    assert (report.loaded, report.updated, report.unchanged) == (0, 0, 205)
    assert count(conn) == before


def test_british_national_grid_shapefile_is_reprojected(conn: Connection) -> None:
    report = import_boundaries(conn, FIXTURES / "norwich_wards_bng.zip", kind="ward", derive_parents=False)
    assert report.rows == 13 and not report.rejected
    assert report.loaded == 0 and report.updated + report.unchanged == 13
    found = (
        conn.execute(
            text(
                "SELECT a.code FROM area_pieces p JOIN areas a ON a.id = p.area_id "
                "WHERE a.kind = 'ward' AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
            ),
            {"x": LIBRARY[0], "y": LIBRARY[1]},
        )
        .scalars()
        .all()
    )
    assert found == ["E05005882"]
    shift = conn.execute(
        text(
            "SELECT ST_HausdorffDistance(ST_Transform(geom, 27700), ST_Transform(ST_GeomFromGeoJSON(:g), 27700)) "
            "FROM areas WHERE code = 'E05005882'"
        ),
        {
            "g": json.dumps(
                gpd.read_file(WARDS).set_index("WD13CD").loc[["E05005882"]].geometry.iloc[0].__geo_interface__
            )
        },
    ).scalar_one()
    assert shift < 0.01  # metres: the round trip through EPSG:27700 moves nothing that matters


def test_geopackage_and_wkt_csv(conn: Connection, tmp_path: Path) -> None:
    wards = gpd.read_file(WARDS)
    norwich = wards[wards.LAD13CD == "E07000148"]
    norwich.to_file(tmp_path / "w.gpkg", driver="GPKG")
    assert import_boundaries(conn, tmp_path / "w.gpkg", kind="ward").rows == 13
    df = norwich.drop(columns="geometry").assign(wkt=norwich.geometry.to_wkt())
    df.to_csv(tmp_path / "w.csv", index=False)
    report = import_boundaries(conn, tmp_path / "w.csv", kind="ward")
    assert report.rows == 13 and not report.rejected


def test_bow_tie_polygon_is_repaired(conn: Connection, tmp_path: Path) -> None:
    bow = [[1.20, 52.60], [1.21, 52.61], [1.21, 52.60], [1.20, 52.61], [1.20, 52.60]]
    path = write_geojson(tmp_path / "bow.geojson", [ward("E05999991", "Bow Tie", bow)])
    report = import_boundaries(conn, path, kind="ward", derive_parents=False)
    assert report.loaded == 1 and len(report.repaired) == 1
    assert "Self-intersection" in report.repaired[0].reason
    valid, parts = conn.execute(
        text("SELECT ST_IsValid(geom), ST_NumGeometries(geom) FROM areas WHERE code = 'E05999991'")
    ).one()
    assert valid and parts == 2


@pytest.mark.parametrize(
    ("ring", "reason"),
    [
        ([[1.2, 95.0], [1.3, 95.0], [1.3, 95.1], [1.2, 95.0]], "out of range"),
        ([[52.60, 1.20], [52.61, 1.20], [52.61, 1.21], [52.60, 1.20]], "swapped"),
        (None, "no geometry"),
    ],
    ids=["latitude-over-90", "lat-lon-swapped", "null-geometry"],
)
def test_hostile_geojson_rows_fail_the_import(
    conn: Connection, tmp_path: Path, ring: list[list[float]] | None, reason: str
) -> None:
    before = count(conn)
    path = write_geojson(
        tmp_path / "bad.geojson", [ward("E05999992", "Good", SQUARE), ward("E05999993", "Bad", ring)]
    )
    with pytest.raises(ImportFailed) as err:
        import_boundaries(conn, path, kind="ward")
    assert "nothing was imported" in err.value.message
    assert reason in err.value.detail and "row 2" in err.value.detail
    assert count(conn) == before


@pytest.mark.parametrize(
    ("wkt", "reason"),
    [
        ("POLYGON ((1.2 52.6, NaN 52.7, 1.3 52.7, 1.2 52.6))", "NaN"),
        ("POLYGON EMPTY", "empty geometry"),
        ("POLYGON ((1.2 52.6, 1.3", "unreadable WKT"),
        ("POINT (1.2 52.6)", "not a polygon"),
    ],
    ids=["nan", "empty", "broken-wkt", "point"],
)
def test_hostile_csv_rows_fail_the_import(conn: Connection, tmp_path: Path, wkt: str, reason: str) -> None:
    before = count(conn)
    path = tmp_path / "bad.csv"
    path.write_text(f'WD13CD,WD13NM,wkt\nE05999994,Bad,"{wkt}"\n', encoding="utf-8")
    with pytest.raises(ImportFailed) as err:
        import_boundaries(conn, path, kind="ward")
    assert reason in err.value.detail
    assert count(conn) == before


def test_allow_rejects_loads_the_good_rows(conn: Connection, tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "mixed.geojson", [ward("E05999995", "Good", SQUARE), ward("E05999996", "Bad", None)]
    )
    report = import_boundaries(conn, path, kind="ward", derive_parents=False, allow_rejects=True)
    assert (report.loaded, len(report.rejected)) == (1, 1)
    assert str(report.rejected[0]) == "row 2 (E05999996): no geometry"


def test_file_level_problems_give_clear_errors(conn: Connection, tmp_path: Path) -> None:
    before = count(conn)
    garbage = tmp_path / "garbage.geojson"
    garbage.write_bytes(b"\x00\x01not json at all")
    no_code = write_geojson(
        tmp_path / "nocode.geojson",
        [
            {
                "type": "Feature",
                "properties": {"label": "x"},
                "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
            }
        ],
    )
    bng = tmp_path / "bng.csv"
    bng.write_text(
        'WD13CD,WD13NM,wkt\nE05999997,X,"POLYGON ((620000 300000, 621000 300000, 621000 301000, '
        '620000 300000))"\n',
        encoding="utf-8",
    )
    cases = [
        (garbage, "could not be read"),
        (no_code, "no code or name column"),
        (tmp_path / "missing.geojson", "file not found"),
        (bng, "does not say its CRS"),
    ]
    for path, message in cases:
        with pytest.raises(ImportFailed) as err:
            import_boundaries(conn, path, kind="ward")
        assert message in err.value.message, err.value.message
        assert err.value.detail
    assert "--crs EPSG:27700" in import_error(conn, bng).detail
    report = import_boundaries(conn, bng, kind="ward", crs="EPSG:27700", derive_parents=False)
    assert report.loaded == 1
    assert count(conn) == before + 1


def import_error(conn: Connection, path: Path) -> ImportFailed:
    try:
        import_boundaries(conn, path, kind="ward")
    except ImportFailed as exc:
        return exc
    raise AssertionError("expected ImportFailed")


def test_sample_localities_are_sets_of_wards(conn: Connection) -> None:
    members = (
        conn.execute(
            text(
                "SELECT m.code FROM areas l JOIN locality_members lm ON lm.locality_id = l.id "
                "JOIN areas m ON m.id = lm.member_id WHERE l.code = 'SAMPLE-NOR-CENTRE' ORDER BY 1"
            )
        )
        .scalars()
        .all()
    )
    assert members == ["E05005882", "E05005886", "E05005887"]
    name = conn.execute(text("SELECT name FROM areas WHERE code = 'SAMPLE-NOR-CENTRE'")).scalar_one()
    assert "sample" in name.lower()
    report = import_localities(conn, DATA / "sample" / "norwich_localities.csv")
    assert (report.loaded, report.updated, report.unchanged) == (0, 0, 2)


def test_locality_with_unknown_member_is_rejected(conn: Connection, tmp_path: Path) -> None:
    before = count(conn)
    path = tmp_path / "loc.csv"
    path.write_text("locality_code,locality_name,member_code\nX1,Test,E05005882\nX1,Test,E05000000\n")
    with pytest.raises(ImportFailed) as err:
        import_localities(conn, path)
    assert "E05000000" in err.value.detail
    assert count(conn) == before
    bad = tmp_path / "cols.csv"
    bad.write_text("code,name\nX,Y\n")
    with pytest.raises(ImportFailed, match="missing columns"):
        import_localities(conn, bad)


def test_locality_boundary_is_union_of_members(conn: Connection) -> None:
    wards = gpd.read_file(WARDS).to_crs(27700)
    expected = wards[wards.WD13CD.isin(["E05005882", "E05005886", "E05005887"])].union_all()
    got = shapely.from_wkb(
        bytes(
            conn.execute(
                text(
                    "SELECT ST_AsBinary(ST_Transform(geom, 27700)) FROM areas WHERE code = 'SAMPLE-NOR-CENTRE'"
                )
            ).scalar_one()
        )
    )
    assert got.symmetric_difference(expected).area < 1.0  # m²


def test_assets_keep_their_ward_code(conn: Connection) -> None:
    """A trigger stores the ward of every hub's point; a ward re-import refreshes it."""
    hub_id = conn.execute(
        text(
            "INSERT INTO hubs (name, kind, geom) VALUES ('Test hub', 'library', "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"
        ),
        {"x": LIBRARY[0], "y": LIBRARY[1]},
    ).scalar_one()
    ward = "SELECT ward_code FROM hubs WHERE id = :id"
    assert conn.execute(text(ward), {"id": hub_id}).scalar_one() == "E05005882"
    conn.execute(text("UPDATE hubs SET ward_code = NULL WHERE id = :id"), {"id": hub_id})
    conn.execute(text("UPDATE areas SET name = name || ' ' WHERE code = 'E05005882'"))  # a changed ward
    import_boundaries(conn, WARDS, kind="ward")
    assert conn.execute(text(ward), {"id": hub_id}).scalar_one() == "E05005882"
    missing = conn.execute(text("SELECT count(*) FROM hubs WHERE ward_code IS NULL")).scalar_one()
    assert missing == 0


def _circle(n: int) -> list[list[float]]:
    """A ring of ``n`` vertices around a point in Norwich."""
    ring = [
        [1.29 + 0.01 * math.cos(2 * math.pi * i / n), 52.63 + 0.01 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    return [*ring, ring[0]]


def test_an_area_with_too_many_vertices_is_refused_with_a_reason(conn: Connection, tmp_path: Path) -> None:
    """An area over the vertex cap is a rejected row (reason given); the file's other rows are not loaded."""
    before = count(conn)
    path = write_geojson(
        tmp_path / "big.geojson",
        [ward("E05999991", "Small", SQUARE), ward("E05999992", "Huge", _circle(5000))],
    )
    with pytest.raises(ImportFailed) as failed:
        import_boundaries(conn, path, kind="ward", max_vertices=1000)
    assert "5,001 vertices, more than the 1,000 an area may have" in str(failed.value.report)
    assert count(conn) == before
    report = import_boundaries(conn, path, kind="ward", max_vertices=10_000)  # under a higher cap it loads
    assert report.loaded + report.updated == 2


def test_a_zip_bomb_and_a_zip_slip_are_refused_before_reading(conn: Connection, tmp_path: Path) -> None:
    """A zip that would unpack past the cap, or that points outside itself, is refused with a message."""
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("wards.geojson", b"\0" * 3_000_000)  # 3 MB of zeros: a few kB zipped
    assert bomb.stat().st_size < 50_000
    with pytest.raises(ImportFailed, match="unzip to 3,000,000 bytes, more than the 1,000,000 allowed"):
        import_boundaries(conn, bomb, kind="ward", max_unzipped_bytes=1_000_000)
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as z:
        z.writestr("../../etc/wards.geojson", "{}")
    with pytest.raises(ImportFailed, match="paths outside itself"):
        import_boundaries(conn, slip, kind="ward")


# ------------------------------------------------- files councils really have (issue 16)


def _norwich_wards() -> gpd.GeoDataFrame:
    wards = gpd.read_file(WARDS)
    return wards[wards.LAD13CD == "E07000148"].reset_index(drop=True)


def test_geojson_in_british_national_grid_without_a_crs_member(conn: Connection, tmp_path: Path) -> None:
    """GeoJSON with no "crs" member is lon/lat by definition, so GDAL says EPSG:4326; metres say otherwise."""
    bng = _norwich_wards().to_crs(27700)
    path = tmp_path / "wards_bng.geojson"
    collection = json.loads(bng.to_json(drop_id=True))
    collection.pop("crs", None)  # as many tools write it: British National Grid metres, no "crs" member
    path.write_text(json.dumps(collection), encoding="utf-8")
    with pytest.raises(ImportFailed, match="coordinates are not longitude/latitude") as failed:
        import_boundaries(conn, path, kind="ward")
    assert "--crs EPSG:27700" in str(failed.value.detail)
    report = import_boundaries(conn, path, kind="ward", crs="EPSG:27700")
    assert report.rows == 13 and not report.rejected and report.loaded == 0
    assert count(conn, "SELECT count(*) FROM areas WHERE kind = 'ward' AND parent_code = 'E07000148'") == 13


def test_geojson_that_says_british_national_grid(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "wards_27700.geojson"
    _norwich_wards().to_crs(27700).to_file(path, driver="GeoJSON")  # GDAL writes the "crs" member
    report = import_boundaries(conn, path, kind="ward")
    assert report.rows == 13 and not report.rejected and report.loaded == 0


def test_boundary_line_style_fields(conn: Connection, tmp_path: Path) -> None:
    """NAME and CODE (OS Boundary-Line): CODE is the ward's own code, never its district's."""
    wards = (
        _norwich_wards()
        .rename(columns={"WD13CD": "CODE", "WD13NM": "NAME"})
        .drop(columns=["LAD13CD", "LAD13NM"])
    )
    wards.to_file(tmp_path / "bl.gpkg", driver="GPKG")
    report = import_boundaries(conn, tmp_path / "bl.gpkg", kind="ward")
    assert report.rows == 13 and not report.rejected
    assert not any("dissolved" in n for n in report.notes)
    assert any("no district code column" in n and "--parent-field" in n for n in report.notes)
    own_parent = "SELECT count(*) FROM areas WHERE kind = 'ward' AND parent_code = code"
    assert count(conn, own_parent) == 0
    with pytest.raises(ImportFailed, match="both the ward's code and its district's"):
        import_boundaries(conn, tmp_path / "bl.gpkg", kind="ward", parent_field="CODE")


def test_districts_without_names_are_named_from_the_database_or_ons(conn: Connection, tmp_path: Path) -> None:
    wards = _norwich_wards().drop(columns=["LAD13NM"])
    plymouth = wards.iloc[[0]].assign(WD13CD="E05999901", WD13NM="Made-up ward", LAD13CD="E06000026")
    plymouth["geometry"] = shapely.geometry.box(-4.15, 50.37, -4.13, 50.38)
    path = tmp_path / "w.geojson"
    gpd.GeoDataFrame(pd.concat([wards, plymouth]), crs=4326).to_file(path, driver="GeoJSON")
    report = import_boundaries(conn, path, kind="ward")
    assert not report.rejected
    names = dict(
        conn.execute(text("SELECT code, name FROM areas WHERE code IN ('E07000148', 'E06000026')")).all()
    )
    assert names == {"E07000148": "Norwich", "E06000026": "Plymouth"}
    assert any("named from the database or ONS's list" in n for n in report.notes)


def test_a_geopackage_with_several_layers_asks_which(conn: Connection, tmp_path: Path) -> None:
    wards = _norwich_wards()
    path = tmp_path / "many.gpkg"
    wards.to_file(path, layer="wards", driver="GPKG")
    wards.assign(geometry=wards.geometry.centroid).to_file(path, layer="ward_points", driver="GPKG")
    before = count(conn)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no raw pyogrio warning on the way
        with pytest.raises(ImportFailed, match=r"it holds 2 layers: wards .*ward_points") as failed:
            import_boundaries(conn, path, kind="ward")
    assert "--layer wards" in str(failed.value.detail)
    assert count(conn) == before
    assert import_boundaries(conn, path, kind="ward", layer="wards").rows == 13
