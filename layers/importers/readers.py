"""Reading spatial files (GeoJSON, GeoPackage, zipped Shapefile, CSV with WKT; optionally gzipped)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from layers.importers.batches import READ_BATCH, is_geojson, read_batched
from layers.importers.report import NoProgress, Progress, fail
from layers.importers.tabular import read_frame

WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "WKT")


MAX_UNZIPPED_BYTES = 2 * 1024**3


def check_zip(path: Path, what: str, max_unzipped_bytes: int = MAX_UNZIPPED_BYTES) -> None:
    """Refuse a zip file that would unpack to more than ``max_unzipped_bytes`` (a zip bomb) or whose members
    point outside it (zip-slip), before GDAL reads any of it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise fail(
            what, path.name, "not a readable zip file", f"{type(exc).__name__}: check the file."
        ) from None
    total = sum(m.file_size for m in members)
    if total > max_unzipped_bytes:
        raise fail(
            what, path.name, f"it would unzip to {total:,} bytes, more than the {max_unzipped_bytes:,} allowed",
            "Unzip it yourself and import the files you need (or raise PATCHMAP_MAX_UNZIPPED_BYTES).",
        )  # fmt: skip
    unsafe = [
        m.filename for m in members if m.filename.startswith(("/", "\\")) or ".." in Path(m.filename).parts
    ]
    if unsafe:
        raise fail(
            what, path.name, f"it holds paths outside itself ({unsafe[0][:80]})", "Zip the files again."
        )


def read_spatial(
    path: Path,
    what: str,
    layer: str | None = None,
    *,
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
    progress: Progress | None = None,
    batch_size: int = READ_BATCH,
) -> gpd.GeoDataFrame:
    """Read a spatial file into a GeoDataFrame, or raise ImportFailed saying why it cannot be read; ``progress``
    counts its features against their total as they are read (in batches of ``batch_size``)."""
    progress = progress or NoProgress()
    if not path.exists():
        raise fail(what, str(path), "file not found", "Check the path.")
    name = path.name.lower()
    if name.endswith(".zip"):
        check_zip(path, what, max_unzipped_bytes)
    try:
        if name.endswith((".csv", ".csv.gz")):
            progress.start(f"Reading {path.name}", None)
            return _read_wkt_csv(path, what)
        target = f"/vsigzip/{path}" if name.endswith(".gz") else str(path)
        if layer is None and not is_geojson(
            path
        ):  # GDAL gives GeoJSON one layer, and listing it costs a pass
            _one_layer(target, path, what)
        gdf = read_batched(target, path, layer, progress, batch_size)
        if gdf is None:  # date, time or JSON fields: read in one call, as pyogrio parses them
            progress.start(f"Reading {path.name}", None)
            gdf = gpd.read_file(target, layer=layer, engine="pyogrio")
    except ImportError:
        raise
    except Exception as exc:
        if getattr(exc, "report", None) is not None or type(exc).__name__ == "ImportFailed":
            raise
        raise fail(
            what,
            path.name,
            "the file could not be read",
            f"{type(exc).__name__}: {exc}. Accepted: GeoJSON, GeoPackage, zipped Shapefile, CSV with a WKT column.",
        ) from exc
    return gdf


def _one_layer(target: str, path: Path, what: str) -> None:
    """Refuse to guess among a file's layers (a GeoPackage may hold several): name them and ask for one."""
    layers = pyogrio.list_layers(target)
    if len(layers) > 1:
        named = ", ".join(f"{n} ({g or 'no geometry'})" for n, g in layers[:12])
        raise fail(
            what, path.name, f"it holds {len(layers)} layers: {named}",
            f"Choose one with --layer, e.g. --layer {layers[0][0]}.",
        )  # fmt: skip


def _read_wkt_csv(path: Path, what: str) -> gpd.GeoDataFrame:
    df = read_frame(path, what).frame  # layers.importers.tabular: any encoding or separator, headers as given
    col = next((c for c in WKT_COLUMNS if c in df.columns), None)
    if col is None:
        raise fail(
            what,
            path.name,
            "no WKT column",
            f"A CSV needs one of the columns {', '.join(WKT_COLUMNS)}; it has {', '.join(df.columns)}.",
        )
    geoms = []
    for text in df[col]:
        try:
            geoms.append(shapely.from_wkt(text) if text.strip() else None)
        except shapely.errors.GEOSException:
            geoms.append(np.nan)  # marked unreadable; the caller rejects the row with its reason
    out = gpd.GeoDataFrame(
        df.drop(columns=[col]),
        geometry=gpd.GeoSeries([g if isinstance(g, shapely.Geometry) else None for g in geoms]),
    )
    out["_wkt_unreadable"] = [not isinstance(g, shapely.Geometry) and g is not None for g in geoms]
    return out


def guess_crs_problem(gdf: gpd.GeoDataFrame) -> str | None:
    """When a file has no CRS, say what its coordinates look like (None when they look like lon/lat)."""
    geoms = [g for g in gdf.geometry.values if g is not None and not g.is_empty]
    if not geoms:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
        return None
    if minx >= 0 and maxx <= 700_000 and miny >= 0 and maxy <= 1_300_000:
        return "its coordinates look like British National Grid metres: pass --crs EPSG:27700"
    return "its coordinates are not longitude/latitude: pass --crs with the file's CRS (e.g. EPSG:27700)"
