"""Reading a spatial layer in batches through GDAL's Arrow stream, so that progress can count its features."""

from __future__ import annotations

import gzip
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from layers.importers.report import Progress

READ_BATCH = 4096
GEOJSON_SUFFIXES = (".geojson", ".json", ".geojson.gz", ".json.gz")


def is_geojson(path: Path) -> bool:
    """Whether the file is GeoJSON by its name (GDAL gives such a file exactly one layer)."""
    return path.name.lower().endswith(GEOJSON_SUFFIXES)


def count_geojson_features(path: Path) -> int | None:
    """The number of ``"Feature"`` strings in a (gzipped) GeoJSON file, a progress total read in one pass of the
    bytes; None when it cannot be counted. A property value ending in ``"Feature`` would count too: this is a
    progress total, never a row count."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    count, tail = 0, b""
    try:
        with opener(path, "rb") as f:
            while chunk := f.read(1 << 22):
                window = tail + chunk
                count += window.count(b'"Feature"')
                tail = window[-8:]  # shorter than the token, so a token is never counted twice
    except (OSError, EOFError, ValueError):
        return None
    return count or None


def feature_count(target: str, path: Path, layer: str | None) -> int | None:
    """The layer's feature count when GDAL knows it without reading every feature (GeoPackage, Shapefile)."""
    info = pyogrio.read_info(target, layer=layer)
    count = int(info["features"])
    return count if count >= 0 else None


def read_batched(
    target: str, path: Path, layer: str | None, progress: Progress, batch_size: int = READ_BATCH
) -> gpd.GeoDataFrame | None:
    """Read the layer as ``gpd.read_file(target, layer=layer, engine="pyogrio")`` would, advancing ``progress``
    per batch of features; None (having read nothing) for a layer with date, time or JSON fields, which only
    the one-call read parses."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        counted: Future[int | None] | None = None
        if is_geojson(path):  # GDAL's count needs a whole pass of its own: count the bytes while GDAL opens
            counted = pool.submit(count_geojson_features, path)
        else:
            total = feature_count(target, path, layer)
        progress.start(f"Opening {path.name}", None)
        with pyogrio.raw.open_arrow(
            target, layer=layer, batch_size=batch_size, use_pyarrow=True, datetime_as_string=True
        ) as (meta, reader):
            if not _plain(meta, reader.schema):
                return None
            if counted is not None:
                total = counted.result()
            progress.start(f"Reading {path.name}", total)
            batches = []
            for batch in reader:
                batches.append(batch)
                progress.advance(batch.num_rows)
            table = pa.Table.from_batches(batches, schema=reader.schema)
    return _frame(table, meta)


def _frame(table: pa.Table, meta: dict[str, Any]) -> gpd.GeoDataFrame:
    """The GeoDataFrame of an Arrow table of features, built as pyogrio's (non-Arrow) read_dataframe builds it:
    a column from each field's values as NumPy gives them, so the same dtypes are inferred."""
    columns = [str(c) for c in meta["fields"]]
    data = {c: table.column(c).to_numpy(zero_copy_only=False) for c in columns}
    wkb = table.column(_geometry_name(meta)).to_numpy(zero_copy_only=False)
    return gpd.GeoDataFrame(
        pd.DataFrame(data, columns=columns), geometry=shapely.from_wkb(wkb), crs=meta["crs"]
    )


def _geometry_name(meta: dict[str, Any]) -> str:
    return str(meta["geometry_name"] or "wkb_geometry")


def _plain(meta: dict[str, Any], schema: pa.Schema) -> bool:
    """Whether the layer has a geometry and no date, time or JSON fields (which read_dataframe parses itself)."""
    return (
        _geometry_name(meta) in schema.names
        and not any(str(d).startswith("datetime") for d in meta["dtypes"])
        and "OFSTJSON" not in meta["ogr_subtypes"]
    )
