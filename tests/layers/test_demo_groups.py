"""The demo's groups on the map (issue 14): at least 30 group markers in Norwich, every made-up venue says sample.

Read through the app's own answers (the residents' markers, a group's public record, the nearby search) on
the session's demo database, as the map reads them; the places file is checked against the OpenStreetMap data
it cites, so a "source" placement is really at the feature it names.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from layers.importers.demo_groups import GROUPS_SOURCE, place_demo_groups, read_places
from layers.settings import default_data_dir

DATA = default_data_dir()
PLACES = DATA / "norwich_group_places.csv"
NORWICH_BOX = {"bbox": "1.20,52.58,1.36,52.69"}


def markers(client: TestClient) -> list[dict[str, Any]]:
    answer = client.get("/map/markers.geojson", params={**NORWICH_BOX, "zoom": 18, "cluster_over": 5000})
    assert answer.status_code == 200, answer.text
    return [f for f in answer.json()["features"] if f["properties"]["kind"] == "group"]


def test_places_file_names_each_demo_group_once_and_cites_real_features() -> None:
    rows = read_places(PLACES)
    with (DATA / "norwich_review_groups.csv").open(newline="", encoding="utf-8") as f:
        names = [r["name"] for r in csv.DictReader(f)]
    assert sorted(r["name"] for r in rows) == sorted(names)
    features: dict[str, tuple[float, float]] = {}
    for path in sorted((DATA / "osm_norwich").glob("*.geojson")):
        for feature in json.loads(Path(path).read_text(encoding="utf-8"))["features"]:
            lon, lat = feature["geometry"]["coordinates"][:2]
            features[feature["properties"]["id"]] = (lon, lat)
    for row in rows:
        if row["placed"] == "none":
            continue
        assert row["osm_id"] in features, row["name"]
        lon, lat = features[row["osm_id"]]
        assert abs(lon - float(row["lon"])) < 1e-5 and abs(lat - float(row["lat"])) < 1e-5, row["name"]
        assert row["how"].startswith("sample") == (row["placed"] == "sample"), row["name"]


def test_at_least_30_group_markers_in_norwich_and_sample_venues_say_so(client: TestClient) -> None:
    found = markers(client)
    assert len(found) >= 30
    rows = {r["name"]: r for r in read_places(PLACES)}
    by_name = {f["properties"]["name"]: f["properties"] for f in found}
    placed = [n for n, r in rows.items() if r["placed"] != "none"]
    assert set(placed) <= set(by_name)
    for name in placed:
        assert by_name[name]["sample"] is (rows[name]["placed"] == "sample"), name


def test_a_sample_venue_group_says_sample_in_its_details_and_a_sourced_one_does_not(
    client: TestClient,
) -> None:
    rows = {r["name"]: r for r in read_places(PLACES)}
    ids = {f["properties"]["name"]: f["properties"]["id"] for f in markers(client)}
    sample = client.get(f"/groups/{ids['Care for Carers']}").json()
    assert rows["Care for Carers"]["placed"] == "sample"
    assert sample["venue_sample"] is True and "sample venue" in sample["venue_address"]
    assert sample["location_precision"] == "hub" and sample["hub"]["name"] == "Tuckswood Library"
    sourced = client.get(f"/groups/{ids['Norwich Theatre Royal']}").json()
    assert sourced["venue_sample"] is False and sourced["location_precision"] == "venue"
    assert "sample" not in (sourced["venue_address"] or "").lower()
    assert (
        sourced["lon"] == rows["Norwich Theatre Royal"]["lon"]
        or abs(sourced["lon"] - float(rows["Norwich Theatre Royal"]["lon"])) < 1e-5
    )


def test_nearby_search_lists_placed_groups_near_and_their_markers_say_sample(client: TestClient) -> None:
    answer = client.get("/search/nearby", params={"postcode": "NR4 6BX", "kinds": "group", "limit": 50})
    assert answer.status_code == 200, answer.text
    near = {r["name"]: r for r in answer.json()["results"] if r["kind"] == "group"}
    assert "Care for Carers" in near  # placed at Tuckswood Library (sample), so it is near, with a distance
    sample_ids = {f["properties"]["id"] for f in markers(client) if f["properties"]["sample"]}
    assert (
        near["Care for Carers"]["id"] in sample_ids
    )  # the list badges it from the markers (patchmap-search.js)


def test_a_second_run_changes_nothing_and_a_group_placed_since_keeps_its_place(conn: Connection) -> None:
    again = place_demo_groups(conn, PLACES)
    assert again.loaded == 0 and not again.rejected
    conn.execute(
        text("UPDATE groups SET venue_address = 'Moved by its organiser', hub_id = NULL, venue_sample = false "
             "WHERE source = :s AND name = 'Care for Carers'"), {"s": GROUPS_SOURCE},
    )  # fmt: skip
    place_demo_groups(conn, PLACES)
    kept = conn.execute(
        text("SELECT venue_address FROM groups WHERE source = :s AND name = 'Care for Carers'"),
        {"s": GROUPS_SOURCE},
    ).scalar_one()
    assert kept == "Moved by its organiser"
