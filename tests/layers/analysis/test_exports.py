"""Exports a council's GIS opens as they are: CSV, GeoJSON and GeoPackage with one flat field layout, numbers
rounded, in EPSG:4326 or EPSG:27700, read back through GDAL (pyogrio, and Debian's own ``ogrinfo``, the GDAL a
council's QGIS is built on), from the library and from the API."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from layers.analysis import export
from layers.analysis.overlay import OverlayOptions
from layers.analysis.tables import OverlayResult, area_geometries, overlay_table
from layers.errors import InvalidInput

NORWICH = "E07000148"


@pytest.fixture(scope="module")
def result(engine: Engine) -> OverlayResult:
    with engine.connect() as c:
        return overlay_table(c, level="ward", within=NORWICH, options=OverlayOptions(counting="both"))


@pytest.fixture(scope="module")
def shapes(engine: Engine, result: OverlayResult):  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return area_geometries(c, list(result.table.index))


def _fields(path: Path) -> list[str]:
    """The fields GDAL sees in a file (what `ogrinfo -al -so` lists)."""
    return [str(f) for f in pyogrio.read_info(path)["fields"]]


@pytest.mark.parametrize("crs", [4326, 27700])
def test_one_flat_layout_in_every_format(result: OverlayResult, shapes, tmp_path: Path, crs: int) -> None:  # type: ignore[no-untyped-def]
    paths = {suffix: tmp_path / f"overlay{suffix}" for suffix in (".csv", ".geojson", ".gpkg")}
    for path in paths.values():
        export.write_file(result, shapes, path, crs=crs)
    fields = {suffix: _fields(path) for suffix, path in paths.items()}
    assert fields[".csv"] == fields[".geojson"] == fields[".gpkg"], fields
    names = fields[".csv"]
    assert {"code", "name", "imd_rank", "imd_decile", "gap", "bivariate_class", "explanation"} <= set(names)
    assert not {"deprivation", "by_category"} & set(names)  # nothing nested as a JSON string
    assert any(n.startswith("category_") for n in names)
    # Names a GIS expression can use unquoted (QGIS, ArcGIS field rules): no hyphens, spaces or capitals.
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names), names
    for suffix in (".geojson", ".gpkg"):
        info = pyogrio.read_info(paths[suffix])
        assert info["features"] == 13 and info["crs"] == f"EPSG:{crs}"
        x0 = pyogrio.read_info(paths[suffix], force_total_bounds=True)["total_bounds"][0]
        assert (x0 > 1000) == (crs == 27700)  # metres in British National Grid, degrees otherwise


def test_numbers_are_rounded_and_csv_has_a_bom(result: OverlayResult, tmp_path: Path) -> None:
    text = export.to_csv(result)
    assert text.startswith("\ufeffcode,")
    assert not export.to_csv(result, bom=False).startswith("\ufeff")
    rows = export.flat_records(result)
    for row in rows:
        assert row["coverage"] is None or len(repr(row["coverage"]).split(".")[-1]) <= 4
        assert row["gap"] is None or row["gap"] == round(row["gap"], 4)
        assert isinstance(row["imd_decile"], float) and row["imd_decile"] == round(row["imd_decile"], 2)
    assert "99999999" not in text and "00000001" not in text  # no float noise like 0.5499999999999999


def test_geojson_in_british_national_grid_says_so(result: OverlayResult, shapes) -> None:  # type: ignore[no-untyped-def]
    body = json.loads(export.to_geojson(result, shapes, 27700))
    assert body["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::27700"
    x, y = body["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 600_000 < x < 650_000 and 290_000 < y < 330_000
    assert "crs" not in json.loads(export.to_geojson(result, shapes))  # RFC 7946: lon/lat, no crs member
    with pytest.raises(InvalidInput, match="EPSG:3857"):
        export.to_geojson(result, shapes, 3857)


def test_the_api_gives_a_geopackage_in_either_crs(client: TestClient, tmp_path: Path) -> None:
    for crs in (4326, 27700):
        r = client.get("/analysis/overlay", params={"within": NORWICH, "f": "gpkg", "crs": crs})
        assert r.status_code == 200 and r.headers["content-type"] == "application/geopackage+sqlite3"
        assert f"patchmap-overlay-ward-{NORWICH}.gpkg" in r.headers["content-disposition"]
        path = tmp_path / f"api-{crs}.gpkg"
        path.write_bytes(r.content)
        info = pyogrio.read_info(path)
        assert info["features"] == 13 and info["crs"] == f"EPSG:{crs}"
    csv = client.get("/analysis/overlay", params={"within": NORWICH, "f": "csv"})
    assert csv.content.startswith(b"\xef\xbb\xbfcode,")
    assert (
        client.get("/analysis/overlay", params={"within": NORWICH, "f": "gpkg", "crs": 3857}).status_code
        == 422
    )


FIELD = re.compile(r"^(\S+): (String|Integer|Integer64|Real|Date|Time|DateTime|Binary)\b")


def _ogrinfo(path: Path) -> tuple[list[str], str, str]:
    """What ``ogrinfo -ro -al -so`` says of a file: its field names, its geometry and its CRS's EPSG code."""
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.fail("ogrinfo is not installed: `make gis-deps` installs Debian's gdal-bin", pytrace=False)
    done = subprocess.run(
        [ogrinfo, "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr  # opened, and without a warning
    lines = done.stdout.splitlines()
    fields = [m.group(1) for line in lines if (m := FIELD.match(line))]
    geometry = next(line.split(": ", 1)[1] for line in lines if line.startswith("Geometry: "))
    start = lines.index("Layer SRS WKT:") + 1
    end = next(i for i, line in enumerate(lines) if i >= start and (FIELD.match(line) or " = " in line
               or line.startswith("Data axis to CRS axis mapping")))  # fmt: skip
    wkt = "\n".join(lines[start:end])
    codes = re.findall(r'ID\["EPSG",(\d+)\]', wkt)
    return fields, geometry, f"EPSG:{codes[-1]}" if codes else wkt.strip()


@pytest.mark.parametrize("crs", [4326, 27700])
def test_every_format_opens_in_ogrinfo_with_the_same_fields(
    result: OverlayResult,
    shapes,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    crs: int,
) -> None:
    seen = {}
    for suffix in (".csv", ".geojson", ".gpkg"):
        path = tmp_path / f"overlay{suffix}"
        export.write_file(result, shapes, path, crs=crs)
        seen[suffix] = _ogrinfo(path)
    fields = {suffix: info[0] for suffix, info in seen.items()}
    assert fields[".csv"] == fields[".geojson"] == fields[".gpkg"], fields
    assert fields[".csv"][:2] == ["code", "name"] and "imd_rank" in fields[".csv"]  # the BOM is not in a name
    assert seen[".csv"][1:] == ("None", "(unknown)")  # a table: no geometry, so no CRS
    for suffix in (".geojson", ".gpkg"):
        assert seen[suffix][1:] == ("Multi Polygon", f"EPSG:{crs}"), suffix


def test_category_fields_are_names_a_gis_expression_can_use(conn: Connection) -> None:
    """A category with a hyphen (``health-wellbeing``) is exported as ``category_health_wellbeing``."""
    conn.execute(
        text(
            "UPDATE groups SET categories = ARRAY['health-wellbeing'] WHERE id = (SELECT min(id) FROM groups)"
        )
    )
    flat = export.flat_records(overlay_table(conn, level="ward", within=NORWICH, options=OverlayOptions()))
    names = set(flat[0])
    assert "category_health_wellbeing" in names and not any("-" in n for n in names)
