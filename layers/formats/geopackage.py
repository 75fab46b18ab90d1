"""GeoPackage files (OGC), written with GDAL through pyogrio: what a council's desktop GIS opens directly."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd


def write_geopackage(frame: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    """Write ``frame`` as one layer of a GeoPackage at ``path`` (columns GDAL cannot store become text)."""
    out = frame.copy()
    for column in out.columns:
        if column != out.geometry.name and out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: v if v is None or isinstance(v, str | int | float) else str(v)
            )
    # GeoPackage 1.2, not the 1.4 that pyogrio's own GDAL writes by default: GDAL before 3.7 (Debian 12's
    # ogrinfo, the QGIS long-term releases built on it) warns that a 1.4 file "may only be partially supported".
    out.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", dataset_options={"VERSION": "1.2"})
