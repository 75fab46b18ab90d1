"""The officers' analysis API: /analysis/overlay (JSON, CSV, GeoJSON) and /analysis/areas/{code}; and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.analysis_schemas import AreaProfile, OverlayTable
from tests.api_checks import error_body, ok_body

NORWICH = "E07000148"
MILE_CROSS = "E05005883"


def test_overlay_json_is_ranked_and_matches_the_model(client: TestClient) -> None:
    body = ok_body(client.get("/analysis/overlay", params={"within": NORWICH}), OverlayTable)
    assert body["within"] == {"code": NORWICH, "name": "Norwich"} and body["level"] == "ward"
    rows = body["areas"]
    assert [r["priority"] for r in rows] == list(range(1, 14))
    assert all(r["explanation"].startswith(r["name"] + ": ") for r in rows)
    assert rows[0]["gap"] == max(r["gap"] for r in rows)
    assert set(rows[0]["deprivation"]) >= {
        "imd_rank",
        "imd_decile",
        "income_decile",
        "living_environment_rank",
    }


def test_overlay_json_is_gzipped_once_and_the_same_either_way(client: TestClient) -> None:
    params = {"within": NORWICH, "kinds": "group,hub"}
    plain = client.get("/analysis/overlay", params=params, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    packed = [
        client.get("/analysis/overlay", params=params, headers={"Accept-Encoding": "gzip"}) for _ in range(2)
    ]
    for answer in packed:  # httpx takes the gzip off: the same JSON as the plain answer
        assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["vary"] == "Accept-Encoding"
        assert answer.content == plain.content
    assert int(packed[0].headers["content-length"]) < len(plain.content) / 3
    ok_body(packed[1], OverlayTable)


@pytest.mark.parametrize(
    "params",
    [
        {"level": "lsoa", "within": NORWICH, "kinds": "hub", "provision": "coverage"},
        {"level": "district", "provision": "access", "capacity": "rooms"},
        {"level": "locality", "need": "health", "radius_m": 400, "catchment_m": 1000},
        {"within": NORWICH, "category": "library"},
    ],
)
def test_overlay_options(client: TestClient, params: dict[str, object]) -> None:
    body = ok_body(client.get("/analysis/overlay", params=params), OverlayTable)
    assert body["areas"] and body["provision"] == params.get("provision", "per_1000")
    if "category" in params:
        assert body["kinds"] == ["hub"] and all(r["groups"] == 0 and r["spaces"] == 0 for r in body["areas"])


def test_overlay_csv_is_a_spreadsheet_download(client: TestClient) -> None:
    r = client.get("/analysis/overlay", params={"within": NORWICH, "f": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 13 and rows[0]["priority"] == "1" and "imd_decile" in rows[0]
    same = client.get("/analysis/overlay", params={"within": NORWICH}, headers={"Accept": "text/csv"})
    assert same.text == r.text


def test_overlay_geojson_has_every_boundary(client: TestClient) -> None:
    r = client.get("/analysis/overlay", params={"within": NORWICH, "f": "geojson"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 13
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])
    assert {f["properties"]["bivariate_class"] for f in fc["features"]} <= {
        f"{n}-{p}" for n in ("low", "medium", "high") for p in ("low", "medium", "high")
    }


def test_area_profile(client: TestClient) -> None:
    body = ok_body(client.get(f"/analysis/areas/{MILE_CROSS}"), AreaProfile)
    assert body["area"]["code"] == MILE_CROSS and body["siblings_ranked"] == 13
    assert {"code": "E05005889", "name": "Wensum"} in body["neighbours"]
    assert any(a["kind"] == "hub" and not a["serves_only"] for a in body["assets"])
    # the demo's groups with no point serve Norwich; those placed in Mile Cross (a venue or hub) are there
    assert sum(a["serves_only"] and a["kind"] == "group" for a in body["assets"]) >= 1
    assert any(a["kind"] == "group" and not a["serves_only"] for a in body["assets"])
    assert all(set(a) == {"kind", "id", "name", "subtype", "url", "serves_only"} for a in body["assets"])
    district = ok_body(client.get(f"/analysis/areas/{NORWICH}"), AreaProfile)
    # only Norwich is inside the demo's mapped extent: the other six districts are shown but not scored
    assert district["area"]["kind"] == "district" and district["siblings_ranked"] == 1
    assert any("6 of 7 districts lie outside the mapped extent" in n for n in district["notes"])


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"level": "county"}, 422),
        ({"within": MILE_CROSS}, 422),
        ({"within": "E07999999"}, 404),
        ({"within": "x' OR 1=1"}, 422),
        ({"kinds": "shop"}, 422),
        ({"kinds": "hub,hub"}, 422),
        ({"category": "nonsense"}, 422),
        ({"radius_m": 0}, 422),
        ({"radius_m": "far"}, 422),
        ({"catchment_m": 50_000}, 422),
        ({"need": "no_such_indicator"}, 422),
        ({"need": "DROP TABLE"}, 422),
        ({"provision": "vibes"}, 422),
        ({"f": "xlsx"}, 422),
        ({"surprise": "1"}, 422),
    ],
)
def test_bad_overlay_requests_get_4xx_with_a_message(
    client: TestClient, params: dict[str, object], status: int
) -> None:
    error_body(client.get("/analysis/overlay", params=params), status)


def test_bad_profile_requests(client: TestClient) -> None:
    error_body(client.get("/analysis/areas/E05999999"), 404)
    error_body(client.get("/analysis/areas/NR2%201AW"), 422)
    error_body(client.get(f"/analysis/areas/{MILE_CROSS}", params={"kinds": "x"}), 422)


def test_cli_writes_csv_geojson_and_geopackage(settings, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    from api.cli import app

    monkeypatch.setenv("DATABASE_URL", settings.database.url)
    runner = CliRunner()
    for name in ("o.csv", "o.geojson", "o.gpkg"):
        result = runner.invoke(app, ["analyse", "overlay", "--within", NORWICH, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    assert len(gpd.read_file(tmp_path / "o.gpkg")) == 13
    assert len(json.loads((tmp_path / "o.geojson").read_text())["features"]) == 13
    assert (tmp_path / "o.csv").read_text().count("\n") == 14
    bad = runner.invoke(app, ["analyse", "overlay", "--within", "E07999999", "-o", str(tmp_path / "x.csv")])
    assert bad.exit_code == 1 and not (tmp_path / "x.csv").exists()
    bad = runner.invoke(app, ["analyse", "overlay", "-o", str(tmp_path / "x.xlsx")])
    assert bad.exit_code == 2


def test_an_imported_indicator_is_offered_as_the_need(client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    """A council's own indicator appears in the officers' map's need choices and drives the overlay."""
    from sqlalchemy import text

    key = "test_referrals_" + NORWICH[-3:]
    with engine.begin() as conn:
        wards = conn.execute(text("SELECT code FROM areas WHERE kind = 'ward' AND parent_code = :d"),
                             {"d": NORWICH}).scalars().all()  # fmt: skip
        for n, code in enumerate(wards):
            conn.execute(
                text("INSERT INTO indicators (area_code, key, value, period, source) "
                     "VALUES (:c, :k, :v, '2024', 'SAMPLE: test')"),
                {"c": code, "k": key, "v": float(n)},
            )  # fmt: skip
    try:
        page = client.get("/analysis").text
        assert f'value="{key}"' in page and "2024; your data, sample" in page
        body = ok_body(client.get("/analysis/overlay", params={"within": NORWICH, "need": key}), OverlayTable)
        assert body["need"]["measure"] == key and body["areas"][0]["need_percentile"] is not None
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM indicators WHERE key = :k"), {"k": key})
