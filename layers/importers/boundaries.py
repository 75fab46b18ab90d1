"""Import locality boundaries (wards, districts, LSOAs, counties) from any CRS into EPSG:4326.

Wards carrying a district code also give the districts, dissolved from their wards in PostGIS.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from geoalchemy2.shape import from_shape
from pyproj import CRS
from sqlalchemy import Connection, text

from layers.importers.geometry import lonlat_problem, precheck, to_multipolygon
from layers.importers.readers import MAX_UNZIPPED_BYTES, guess_crs_problem, read_spatial
from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.upsert import upsert
from layers.models import Area, table_of
from layers.sql import sql
from layers.taxonomy import AREA_KINDS

CODE_PREFIX = {"ward": "WD", "lsoa": "LSOA", "district": "LAD", "county": "CTY"}
GSS = re.compile(r"^[EWSN]\d{8}$")


#: Plain column names (any case) for an area's own code and name, as OS Boundary-Line and others use.
PLAIN_FIELDS = {"CD": ("code", "gss_code", "census_code", "id"), "NM": ("name",)}
#: Plain column names for the district of a ward or LSOA; never the area's own CODE column.
PARENT_FIELDS = {
    "CD": ("district_code", "lad_code", "parent_code", "parent"),
    "NM": ("district_name", "lad_name"),
}
DISTRICT_NAMES = Path(__file__).with_name("district_names_2013.csv")


def _field(
    columns: list[str], kind: str, suffix: str, given: str | None, what: str, *, parent: bool = False
) -> str | None:
    """The column holding codes (suffix CD) or names (NM): as given, else the ONS-style name for kind (such as
    WD13CD), else a plain name (CODE, NAME; for a parent, DISTRICT_CODE and the like)."""
    if given:
        return given
    prefix = CODE_PREFIX.get(kind, "")
    pattern = re.compile(rf"^{prefix}\d\d{suffix}$", re.IGNORECASE)
    found = [c for c in columns if pattern.match(c)]
    if found:
        return found[0]
    plain = (PARENT_FIELDS if parent else PLAIN_FIELDS)[suffix]
    return next((c for c in columns if c.lower() in plain), None)


def _district_names(conn: Connection, codes: list[str]) -> dict[str, str]:
    """Names for district codes a file gives without names: the database's own, else ONS's 2013 list."""
    rows = conn.execute(
        text("SELECT code, name FROM areas WHERE kind = 'district' AND code = ANY(:c)"), {"c": codes}
    ).all()
    known: dict[str, str] = {r[0]: r[1] for r in rows}
    shipped = pd.read_csv(DISTRICT_NAMES, dtype=str).set_index("code")["name"].to_dict()
    return {c: known.get(c) or shipped.get(c, "") for c in codes}


def import_boundaries(
    conn: Connection,
    path: Path,
    *,
    kind: str,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    parent_name_field: str | None = None,
    vintage: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    derive_parents: bool = True,
    allow_rejects: bool = False,
    subdivide_max_vertices: int = 128,
    max_vertices: int = 250_000,
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
    progress: Progress | None = None,
) -> ImportReport:
    """Load boundaries of one ``kind`` from ``path`` (upserting by code) in one savepoint; return a report."""
    progress = progress or NoProgress()
    what = f"{kind} boundaries"
    if kind not in AREA_KINDS or kind == "locality":
        raise fail(what, path.name, f"unknown kind {kind!r}", f"Use one of {', '.join(AREA_KINDS[:-1])}.")
    gdf = read_spatial(path, what, layer, max_unzipped_bytes=max_unzipped_bytes, progress=progress)
    report = ImportReport(what=what, source=path.name, rows=len(gdf))
    columns = [c for c in gdf.columns if c != gdf.geometry.name and not c.startswith("_")]
    code_col = _field(columns, kind, "CD", code_field, what)
    name_col = _field(columns, kind, "NM", name_field, what)
    missing = [label for label, col in (("code", code_col), ("name", name_col)) if not col or col not in gdf]
    if missing:
        raise fail(
            what,
            path.name,
            f"no {' or '.join(missing)} column",
            f"Columns found: {', '.join(columns) or 'none'}. Name them with --code-field/--name-field.",
        )
    assert code_col is not None and name_col is not None
    parent_col = (
        parent_field or _field(columns, "district", "CD", None, what, parent=True)
        if kind in ("ward", "lsoa")
        else parent_field
    )
    if parent_col and parent_col not in gdf:
        raise fail(what, path.name, f"no column {parent_col!r}", f"Columns found: {', '.join(columns)}.")
    if parent_col and parent_col == code_col:
        raise fail(
            what, path.name, f"{parent_col} cannot be both the {kind}'s code and its district's",
            "Name the district code column with --parent-field, or leave it out.",
        )  # fmt: skip
    parent_name_col = parent_name_field or (
        _field(columns, "district", "NM", None, what, parent=True) if parent_col and kind == "ward" else None
    )
    if kind in ("ward", "lsoa") and not parent_col:
        report.notes.append(
            f"no district code column (such as LAD13CD or DISTRICT_CODE): these {kind}s have no district"
            + (", and no districts were built from them" if kind == "ward" else "")
            + ". Name the column with --parent-field, or import districts with --kind district"
        )

    source_crs = _source_crs(gdf, crs, what, path)
    vintage = vintage or _vintage(code_col)
    rows, parents = _check_rows(
        gdf, source_crs, code_col, name_col, parent_col, parent_name_col, report, progress, max_vertices
    )
    report.fail_if_rejected(allow_rejects)

    progress.start(f"Writing {len(rows):,} {kind} boundaries", len(rows))
    with conn.begin_nested():
        for r in rows:
            r.update(kind=kind, vintage=vintage, source=path.name)
        counts = upsert(conn, table_of(Area), rows, ["code"], returning="id", progress=progress)
        progress.start("Building districts and lookup pieces", None)
        report.loaded, report.updated, report.unchanged = counts.inserted, counts.updated, counts.unchanged
        changed = list(counts.ids or [])
        if kind == "ward" and derive_parents and parents:
            changed += _derive_districts(conn, parents, vintage, report)
        rebuild_pieces(conn, changed, subdivide_max_vertices)
        if kind in ("ward", "lsoa") and counts.ids:
            refresh_area_codes(conn, kind)
    progress.advance()
    return report


def _source_crs(gdf: gpd.GeoDataFrame, crs: str | None, what: str, path: Path) -> CRS:
    if crs:
        try:
            return CRS.from_user_input(crs)
        except Exception as exc:
            raise fail(
                what, path.name, f"unknown CRS {crs!r}", "Give an EPSG code such as EPSG:27700."
            ) from exc
    problem = guess_crs_problem(gdf)
    if gdf.crs is not None:
        declared = CRS.from_user_input(gdf.crs)
        if declared.is_geographic and problem and _metres(gdf):
            # GeoJSON without a "crs" member is longitude/latitude by definition (RFC 7946), so GDAL reports
            # EPSG:4326 even for a file written in British National Grid metres.
            raise fail(
                what,
                path.name,
                f"it says {declared.name} but its coordinates are not longitude/latitude",
                problem,
            )
        return declared
    if problem:
        raise fail(what, path.name, "the file does not say its CRS", problem)
    return CRS.from_epsg(4326)


def _metres(gdf: gpd.GeoDataFrame) -> bool:
    """Whether a file's coordinates are plainly projected metres (beyond 1,000), not a few bad rows of
    longitude/latitude, which are rejected row by row instead."""
    bounds = gdf.geometry.total_bounds
    return bool(abs(bounds).max() > 1_000)


def _text(value: object) -> str:
    """A cell as clean text: '' for missing values (None, NaN), never the string 'nan'."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _vintage(code_col: str) -> str | None:
    m = re.search(r"(\d\d)CD$", code_col, re.IGNORECASE)
    return f"20{m.group(1)}" if m else None


def _check_rows(
    gdf: gpd.GeoDataFrame,
    source_crs: CRS,
    code_col: str,
    name_col: str,
    parent_col: str | None,
    parent_name_col: str | None,
    report: ImportReport,
    progress: Progress,
    max_vertices: int,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Validate every row; return the rows to store and {district code: name} for derived districts."""
    progress.start(f"Checking {len(gdf):,} rows", len(gdf))
    geoms = gdf.geometry
    pre = [precheck(g, max_vertices=max_vertices) for g in geoms]
    ok = pd.Series([p is None for p in pre], index=gdf.index)
    if "_wkt_unreadable" in gdf:
        ok &= ~gdf["_wkt_unreadable"].astype(bool)
    projected = gpd.GeoSeries([None] * len(gdf), index=gdf.index, crs=4326)
    if ok.any():
        # --crs overrides whatever the file says (GeoJSON always "says" EPSG:4326)
        projected[ok] = gpd.GeoSeries(geoms[ok]).set_crs(source_crs, allow_override=True).to_crs(4326)
    rows: list[dict[str, Any]] = []
    parents: dict[str, str] = {}
    seen: set[str] = set()
    for i, (idx, rec) in enumerate(gdf.iterrows(), start=1):
        code = _text(rec[code_col])
        name = _text(rec[name_col])
        reason = "unreadable WKT" if rec.get("_wkt_unreadable", False) else pre[i - 1]
        if reason is None and not code:
            reason = "no code"
        elif reason is None and code in seen:
            reason = f"duplicate code {code}"
        elif reason is None and not name:
            reason = "no name"
        geom = projected[idx] if reason is None else None
        if reason is None:
            reason = lonlat_problem(geom)
        if reason is None:
            checked = to_multipolygon(geom)
            reason = checked.rejected
            if checked.repaired:
                report.repair(i, checked.repaired, code)
        if reason is not None:
            report.reject(i, reason, code or name)
            progress.advance()
            continue
        seen.add(code)
        parent = _text(rec[parent_col]) if parent_col else ""
        if parent:
            parents[parent] = parents.get(parent) or (_text(rec[parent_name_col]) if parent_name_col else "")
        rows.append(
            {
                "code": code,
                "name": name,
                "parent_code": parent or None,
                "geom": from_shape(checked.geom, srid=4326),
            }
        )
        progress.advance()
    return rows, parents


def _derive_districts(
    conn: Connection, parents: dict[str, str], vintage: str | None, report: ImportReport
) -> list[int]:
    """Dissolve wards into their districts (in PostGIS); return ids of districts inserted or changed."""
    missing = sorted(c for c, n in parents.items() if not n)
    if missing:
        named = _district_names(conn, missing)
        parents = {**parents, **{c: n for c, n in named.items() if n}}
        found = [c for c in missing if named.get(c)]
        if found:
            report.notes.append(
                f"{len(found)} districts have no name in the file and were named from "
                f"the database or ONS's list of districts: {', '.join(found[:10])}"
                + (" ..." if len(found) > 10 else "")
            )
    unnamed = sorted(c for c, n in parents.items() if not n)
    if unnamed:
        report.notes.append(
            f"{len(unnamed)} districts have no name in the file or ONS's 2013 list and are named by their code: "
            f"{', '.join(unnamed)}; give names with --parent-name-field"
        )
    rows = [{"code": c, "name": n or f"District {c}", "vintage": vintage} for c, n in sorted(parents.items())]
    result = conn.execute(text(sql("derive_districts.sql")), rows) if rows else None
    del result
    ids = (
        conn.execute(
            text(
                "SELECT id FROM areas WHERE kind = 'district' AND code = ANY(:codes) AND updated_at = now()"
            ),
            {"codes": list(parents)},
        )
        .scalars()
        .all()
    )
    report.notes.append(f"{len(parents)} districts dissolved from their wards ({len(ids)} new or changed)")
    return list(ids)


def rebuild_pieces(conn: Connection, area_ids: list[int], max_vertices: int) -> None:
    """Re-cut the subdivided lookup pieces of the given areas (ST_Subdivide)."""
    if not area_ids:
        return
    conn.execute(text("DELETE FROM area_pieces WHERE area_id = ANY(:ids)"), {"ids": area_ids})
    conn.execute(
        text(
            "INSERT INTO area_pieces (area_id, kind, code, name, geom) "
            "SELECT id, kind, code, name, ST_Subdivide(geom, :n) FROM areas WHERE id = ANY(:ids)"
        ),
        {"ids": area_ids, "n": max_vertices},
    )


def refresh_area_codes(conn: Connection, kind: str) -> None:
    """Re-derive the stored ward or LSOA code of every hub, space and group after those boundaries changed."""
    column, function = {"ward": ("ward_code", "patchmap_ward_of"), "lsoa": ("lsoa_code", "patchmap_lsoa_of")}[
        kind
    ]
    for table in ("hubs", "spaces", "groups"):  # our own table and column names, not input
        conn.execute(
            text(
                f"UPDATE {table} SET {column} = {function}(geom) WHERE {column} IS DISTINCT FROM {function}(geom)"
            )
        )
