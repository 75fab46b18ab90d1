"""The overlay as records (JSON), spreadsheet-safe CSV, GeoJSON and GeoPackage.

Rows run in priority order (largest gap first; areas without a score last, by code).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd

from layers.analysis.overlay import CATEGORY_PREFIX, POPULATION
from layers.analysis.tables import OverlayResult

COUNTS = ("groups", "hubs", "spaces", "assets")
MEASURES = (
    *(f"{c}_per_1000" for c in COUNTS),
    "coverage",
    "access_2sfca",
    "access_e2sfca",
)
SCORES = ("need_value", "provision_value", "need_percentile", "provision_percentile", "gap")
CLASSES = ("need_class", "provision_class", "bivariate_class")
#: A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return v


def deprivation_columns(table: pd.DataFrame) -> list[str]:
    """The IoD2019 rank and decile columns of a table (population-weighted means of its LSOAs)."""
    return [c for c in table.columns if c.endswith(("_rank", "_decile"))]


def ordered(table: pd.DataFrame) -> pd.DataFrame:
    """Rows by priority (1 first), then unscored rows by code."""
    return (
        table.assign(_code=table.index)
        .sort_values(["priority", "_code"], na_position="last")
        .drop(columns="_code")
    )


def records(result: OverlayResult) -> list[dict[str, Any]]:
    """One dict per area, priority order; NaN as None; deprivation and categories nested."""
    table = ordered(result.table)
    deprivation = deprivation_columns(table)
    categories = [c for c in table.columns if c.startswith(CATEGORY_PREFIX)]
    out = []
    for code, row in table.iterrows():
        record: dict[str, Any] = {
            "code": code,
            "name": row["name"],
            "kind": row["kind"],
            "parent_code": _value(row["parent_code"]),
            **{c: _value(row[c]) for c in POPULATION},
            "deprivation": {c: _value(row[c]) for c in deprivation},
            **{c: int(row[c]) for c in COUNTS},
            "by_category": {c[len(CATEGORY_PREFIX) :]: int(row[c]) for c in categories if row[c]},
            **{c: _value(row[c]) for c in MEASURES + SCORES + CLASSES},
            "priority": None if pd.isna(row["priority"]) else int(row["priority"]),
            "explanation": row["explanation"],
        }
        out.append(record)
    return out


def safe_cell(v: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula: one starting with = + - @ tab or CR gets a ' first.

    Numbers are left as numbers (a negative gap stays -0.25): only text can carry a formula.
    """
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def to_csv(result: OverlayResult) -> str:
    """The overlay as CSV text, spreadsheet-safe; categories as one column each (category:<name>)."""
    rows = records(result)
    categories = sorted({k for r in rows for k in r["by_category"]})
    flat = []
    for r in rows:
        base = {k: v for k, v in r.items() if k not in ("deprivation", "by_category")}
        flat.append(
            {**base, **r["deprivation"], **{f"category:{c}": r["by_category"].get(c, 0) for c in categories}}
        )
    buffer = io.StringIO()
    if flat:
        writer = csv.DictWriter(buffer, fieldnames=list(flat[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in flat)
    return buffer.getvalue()


def to_frame(result: OverlayResult, geometries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The overlay with each area's boundary (EPSG:4326), flat columns, priority order."""
    table = ordered(result.table)
    table = table.join(geometries.set_index("code")["geom"])
    return gpd.GeoDataFrame(table.reset_index(names="code"), geometry="geom", crs=4326)


def to_geojson(result: OverlayResult, geometries: gpd.GeoDataFrame) -> bytes:
    """The overlay as a GeoJSON FeatureCollection (EPSG:4326): each area's boundary and its record."""
    shapes = geometries.set_index("code")["geom"]
    features = [
        {
            "type": "Feature",
            "id": r["code"],
            "geometry": shapes[r["code"]].__geo_interface__ if r["code"] in shapes.index else None,
            "properties": r,
        }
        for r in records(result)
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features, **summary(result)})


def summary(result: OverlayResult) -> dict[str, Any]:
    """What the table was computed with (for the JSON and GeoJSON answers)."""
    o = result.options
    return {
        "level": result.level,
        "within": {"code": result.within, "name": result.within_name} if result.within else None,
        "kinds": list(o.counted_kinds),
        "category": o.category,
        "radius_m": o.radius_m,
        "catchment_m": o.catchment_m,
        "capacity": o.capacity,
        "need": {"measure": result.need.label, "higher_is_more_need": result.need.higher_is_more_need},
        "provision": result.provision,
        "notes": result.notes,
    }


def write_file(result: OverlayResult, geometries: gpd.GeoDataFrame | None, path: Path) -> str:
    """Write the overlay to path by its suffix: .csv, .geojson or .gpkg; returns the format written."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_text(to_csv(result), encoding="utf-8")
        return "CSV"
    if geometries is None:
        raise ValueError("geometries are needed for GeoJSON and GeoPackage")
    if suffix == ".geojson":
        path.write_bytes(to_geojson(result, geometries))
        return "GeoJSON"
    if suffix == ".gpkg":
        frame = to_frame(result, geometries)
        frame["explanation"] = frame["explanation"].astype(str)
        frame.to_file(path, layer=f"overlay_{result.level}", driver="GPKG", engine="pyogrio")
        return "GeoPackage"
    raise ValueError(f"unknown output format {suffix!r}: use .csv, .geojson or .gpkg")
