"""Reading spatial files in batches: the same frame as one pyogrio call, with progress counted to a total."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from layers.importers.batches import count_geojson_features
from layers.importers.readers import read_spatial
from tests.conftest import DATA, FIXTURES


class Recorder:
    """A Progress that remembers its steps and how far each one advanced."""

    def __init__(self) -> None:
        self.steps: list[list[object]] = []

    def start(self, description: str, total: int | None) -> None:
        self.steps.append([description, total, 0])

    def advance(self, n: int = 1) -> None:
        self.steps[-1][2] = int(self.steps[-1][2]) + n  # type: ignore[call-overload]


def one_call(path: Path) -> gpd.GeoDataFrame:
    target = f"/vsigzip/{path}" if path.name.endswith(".gz") else str(path)
    return gpd.read_file(target, engine="pyogrio")


def typed_frame(n: int = 23) -> gpd.GeoDataFrame:
    """Strings, integers, floats and booleans, each with and without nulls; a missing geometry."""
    return gpd.GeoDataFrame(
        {
            "name": [None if i % 3 == 0 else f"Café {i}" for i in range(n)],
            "empty": [None] * n,
            "count": [None if i % 4 == 0 else i for i in range(n)],
            "rank": list(range(n)),
            "score": [np.nan if i % 5 == 0 else i / 3 for i in range(n)],
            "open": [None if i % 6 == 0 else i % 2 == 0 for i in range(n)],
        },
        geometry=[None if i == 7 else Point(600_000 + i, 300_000 + i) for i in range(n)],
        crs=27700,
    )


def typed_files(folder: Path) -> list[Path]:
    frame = typed_frame()
    frame.to_file(folder / "t.gpkg", driver="GPKG")
    frame.to_file(folder / "t.geojson", driver="GeoJSON")
    with (folder / "t.geojson").open("rb") as f, gzip.open(folder / "t2.geojson.gz", "wb") as g:
        shutil.copyfileobj(f, g)
    (folder / "shp").mkdir()
    frame.to_file(folder / "shp" / "t.shp", driver="ESRI Shapefile")
    with zipfile.ZipFile(folder / "t.zip", "w") as z:
        for part in (folder / "shp").iterdir():
            z.write(part, part.name)
    return [folder / "t.gpkg", folder / "t.geojson", folder / "t2.geojson.gz", folder / "t.zip"]


@pytest.mark.parametrize("batch_size", [5, 4096])
def test_batched_read_is_the_one_call_read(tmp_path: Path, batch_size: int) -> None:
    files = [
        FIXTURES / "norwich_wards_bng.zip",
        DATA / "norfolk" / "lsoa_2011.geojson",
        *typed_files(tmp_path),
    ]
    for path in files:
        progress = Recorder()
        got = read_spatial(path, "test", progress=progress, batch_size=batch_size)
        want = one_call(path)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert got.crs == want.crs
        description, total, done = progress.steps[-1]
        assert description == f"Reading {path.name}"
        assert total == done == len(want)


def test_a_gzipped_geojson_counts_its_features_while_gdal_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "lsoas.geojson.gz"
    with (DATA / "norfolk" / "lsoa_2011.geojson").open("rb") as f, gzip.open(path, "wb") as g:
        shutil.copyfileobj(f, g)
    progress = Recorder()
    got = read_spatial(path, "test", progress=progress, batch_size=100)
    assert [s[:2] for s in progress.steps] == [
        ["Opening lsoas.geojson.gz", None],
        ["Reading lsoas.geojson.gz", 538],
    ]
    assert progress.steps[-1][2] == 538
    pd.testing.assert_frame_equal(got, one_call(path), check_exact=True)


def test_a_layer_with_dates_is_read_in_one_call(tmp_path: Path) -> None:
    frame = typed_frame(4)
    frame["opened"] = pd.to_datetime(["2024-01-02", "2024-03-04", None, "2025-05-06"])
    frame.to_file(tmp_path / "dated.gpkg", driver="GPKG")
    progress = Recorder()
    got = read_spatial(tmp_path / "dated.gpkg", "test", progress=progress, batch_size=2)
    pd.testing.assert_frame_equal(got, one_call(tmp_path / "dated.gpkg"), check_exact=True)
    assert progress.steps[-1][:2] == ["Reading dated.gpkg", None]


def test_the_feature_count_of_geojson(tmp_path: Path) -> None:
    assert count_geojson_features(DATA / "norfolk" / "wards_2013.geojson") == 205
    (tmp_path / "bad.geojson.gz").write_bytes(b"not gzip")
    assert count_geojson_features(tmp_path / "bad.geojson.gz") is None
    (tmp_path / "geometry.geojson").write_text('{"type": "Point", "coordinates": [1, 2]}')
    assert count_geojson_features(tmp_path / "geometry.geojson") is None
