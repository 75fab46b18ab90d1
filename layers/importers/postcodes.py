"""Postcodes: loading the ONS Postcode Directory, or approximating them from OSM addresses.

Each postcode has a point and the ward, district and LSOA it lies in. Without the ONS Postcode Directory
(ONSPD) the demo approximates a postcode's point as the mean of the OpenStreetMap features that carry it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import (
    Column,
    Connection,
    Float,
    MetaData,
    Table,
    Text,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert

from layers.areas.postcodes import COMPACT, normalise_postcode
from layers.importers.geometry import UK_LAT, UK_LON
from layers.importers.osm import feature_point, read_osm_features
from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.tabular import counted_file, csv_options, is_spreadsheet, read_frame
from layers.importers.upsert import upsert
from layers.models import Postcode
from layers.sql import sql

APPROXIMATE_SOURCE = "approximate: mean of OpenStreetMap features' addr:postcode"
NO_GRID_LAT = 99.999999  # ONSPD's latitude for "no grid reference"
PSEUDO_CODE = r"^[A-Z]99999999$"  # ONSPD's code for "no area of this kind" (e.g. Channel Islands)
CODE_COLUMNS = {
    "ward_code": ("osward",),
    "district_code": ("oslaua", "lad"),
    "lsoa_code": ("lsoa11", "lsoa21"),
}
COPY_CHUNK = 200_000
POSTCODES = cast(Table, Postcode.__table__)


def assign_postcode_areas(conn: Connection, postcodes: list[str] | None = None) -> int:
    """Set ward, district and LSOA codes of ``postcodes`` (all when None) from their point; return rows changed."""
    result = conn.execute(text(sql("assign_postcode_areas.sql")), {"postcodes": postcodes})
    return int(result.rowcount or 0)


def build_approximate_postcodes(
    conn: Connection, osm_paths: list[Path], *, progress: Progress | None = None
) -> ImportReport:
    """Approximate each addr:postcode in the OSM files as the mean point of its features, in one savepoint.

    The mean is of longitudes and latitudes (EPSG:4326 degrees: at a postcode's scale the difference from a
    mean in metres is negligible). Postcodes already loaded from the ONS Postcode Directory are kept.
    """
    progress = progress or NoProgress()
    what = "approximate postcodes"
    report = ImportReport(what=what, source=", ".join(p.name for p in osm_paths))
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    seen: set[str] = set()
    no_point = 0
    for f in read_osm_features(osm_paths, what):
        report.rows += 1
        postcode = normalise_postcode(f.tags.get("addr:postcode"))
        key = f.osm_id or f.row
        if postcode is None or key in seen:  # the same OSM object in two files counts once
            report.skipped += 1
            continue
        seen.add(key)
        point, _problem = feature_point(f)
        if point is None:
            no_point += 1
            report.skipped += 1
            continue
        points[postcode].append((point.x, point.y))
    report.skipped_reason = "no valid addr:postcode, or already counted"
    if no_point:
        report.notes.append(f"{no_point} features with a postcode had no usable point and were left out")
    official = set(
        conn.execute(
            select(Postcode.postcode).where(Postcode.postcode.in_(list(points)), not_(Postcode.approximate))
        ).scalars()
    )
    if official:
        report.notes.append(f"{len(official)} postcodes already in the ONS Postcode Directory were kept")
    rows: list[dict[str, Any]] = []
    progress.start(f"Writing {len(points)} approximate postcodes", len(points))
    for postcode, pts in sorted(points.items()):
        if postcode in official:
            continue
        lon, lat = (round(sum(c) / len(pts), 7) for c in zip(*pts, strict=True))
        rows.append(
            {
                "postcode": postcode,
                "outward": postcode.split(" ")[0],
                "geom": from_shape(Point(lon, lat), srid=4326),
                "approximate": True,
                "source": APPROXIMATE_SOURCE,
            }
        )
    with conn.begin_nested():
        counts = upsert(conn, POSTCODES, rows, ["postcode"])
        assign_postcode_areas(conn, [r["postcode"] for r in rows])
    progress.advance(len(points))
    report.loaded, report.updated, report.unchanged = counts.inserted, counts.updated, counts.unchanged
    report.notes.append(f"{len(rows)} postcodes in {len({r['outward'] for r in rows})} outward codes")
    return report


def import_postcodes(
    conn: Connection, path: Path, *, allow_rejects: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Load an ONS Postcode Directory CSV (pcds or pcd, lat, long; optional osward, oslaua, lsoa11, doterm).

    Postcodes with no grid reference and terminated ones (``doterm`` set) are left out and counted, as the
    real directory has many of both; a row that is wrong in any other way is rejected."""
    progress = progress or NoProgress()
    what = "postcodes"
    df, columns, notes = _read_onspd(path, what, progress)
    report = ImportReport(what=what, source=path.name, rows=len(df), notes=notes)
    progress.start(f"Checking {len(df)} postcodes", None)
    df = _leave_out(df, columns, report)
    good = _check_onspd(df, columns, report)
    report.fail_if_rejected(allow_rejects)

    progress.start(f"Writing {len(good)} postcodes", len(good))
    with conn.begin_nested():
        load = _load_table()
        load.create(conn)
        _copy(conn, load, good, progress)
        inserted, updated = _merge(conn, load, path.name)
        load.drop(conn)
        missing = good.loc[good[list(CODE_COLUMNS)].isna().any(axis=1), "postcode"].tolist()
        if missing:
            filled = assign_postcode_areas(conn, missing)
            report.notes.append(
                f"{len(missing)} postcodes without area codes in the file: "
                f"{filled} given codes from the boundaries containing them"
            )
    report.loaded, report.updated = inserted, updated
    report.unchanged = len(good) - inserted - updated
    return report


#: The ONSPD columns read (it has about 50).
WANTED = {"pcds", "pcd", "pcd2", "postcode", "lat", "long", "lon", "doterm"} | {
    c for names in CODE_COLUMNS.values() for c in names
}


def _read_onspd(path: Path, what: str, progress: Progress) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Read only the columns used as text (``layers.importers.tabular``: any encoding or separator, gzipped,
    or .xlsx); return the frame, {role: column} and notes on how it was read."""
    notes: list[str] = []
    if is_spreadsheet(path):  # a council's own cut of the directory, saved from Excel
        progress.start(f"Reading {path.name}", None)
        df = read_frame(path, what).frame
        df = df[[c for c in df.columns if str(c).strip().lower() in WANTED]]
        return _columns(df, path, what, notes)
    options = csv_options(path, what, notes)  # the directory is too big to read whole: judged from its head
    try:
        with counted_file(path, progress) as f:  # a bar of kB read: the directory is about 1 GB
            df = pd.read_csv(
                f,
                dtype=str,
                keep_default_na=False,
                usecols=lambda c: c.strip().lower().lstrip("\ufeff") in WANTED,
                sep=options.sep,
                encoding=options.encoding,
                compression=options.compression,
            )
    except UnicodeDecodeError as exc:
        raise fail(
            what,
            path.name,
            f"the text is not {options.encoding} after its first lines (byte {exc.start:,} of a block)",
            "Save it as CSV UTF-8 and import that.",
        ) from None
    except Exception as exc:
        raise fail(
            what, path.name, "the file could not be read as CSV", f"{type(exc).__name__}: {exc}"
        ) from exc
    return _columns(df, path, what, notes)


def _columns(
    df: pd.DataFrame, path: Path, what: str, notes: list[str]
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The frame with lower-case headers, {role: column} and the notes; ImportFailed without a postcode or a
    place."""
    df.columns = [str(c).strip().lower().lstrip("\ufeff") for c in df.columns]
    columns: dict[str, str] = {}
    roles = {
        "postcode": ("pcds", "pcd", "pcd2", "postcode"),
        "lat": ("lat",),
        "lon": ("long", "lon"),
        "doterm": ("doterm",),
        **CODE_COLUMNS,
    }
    for role, names in roles.items():
        found = next((n for n in names if n in df.columns), None)
        if found:
            columns[role] = found
    missing = [r for r in ("postcode", "lat", "lon") if r not in columns]
    if missing:
        raise fail(
            what,
            path.name,
            f"no {' or '.join(missing)} column",
            "An ONS Postcode Directory CSV has the columns pcds (or pcd), lat and long; "
            f"found {', '.join(df.columns) or 'none'}.",
        )
    return df, columns, notes


def _leave_out(df: pd.DataFrame, columns: dict[str, str], report: ImportReport) -> pd.DataFrame:
    """Rows the real directory always has and that are not errors: postcodes with no grid reference (latitude
    99.999999) and terminated postcodes (a ``doterm`` date); left out, counted, and said in the notes."""
    lat = pd.to_numeric(df[columns["lat"]].str.strip(), errors="coerce")
    no_grid = lat.round(6).eq(NO_GRID_LAT)
    ended = (
        df[columns["doterm"]].str.strip().ne("") if "doterm" in columns else pd.Series(False, index=df.index)
    )
    out = no_grid | ended
    if not out.any():
        return df
    report.skipped += int(out.sum())
    report.skipped_reason = "no grid reference, or terminated"
    if no_grid.any():
        report.notes.append(f"{_n(int(no_grid.sum()))} with no grid reference (latitude 99.999999) left out")
    if (ended & ~no_grid).any():
        report.notes.append(
            f"{_n(int((ended & ~no_grid).sum()), 'terminated postcode')} (a doterm date) left out: no longer in use"
        )
    return df[~out]


def _n(count: int, noun: str = "postcode") -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _check_onspd(df: pd.DataFrame, columns: dict[str, str], report: ImportReport) -> pd.DataFrame:
    """Validate every row at once; record rejects in ``report``; return the rows to load."""
    raw = df[columns["postcode"]].astype(str)
    compact = raw.str.replace(r"\s+", "", regex=True).str.upper()
    is_postcode = compact.str.match(COMPACT.pattern)
    out_code = compact.str[:-3]
    norm = out_code + " " + compact.str[-3:]
    lat = pd.to_numeric(df[columns["lat"]].str.strip(), errors="coerce")
    lon = pd.to_numeric(df[columns["lon"]].str.strip(), errors="coerce")
    checks = [
        (~is_postcode, "{raw!r} is not a valid postcode"),
        (lat.isna() | lon.isna(), "latitude or longitude is not a number ({lat!r}, {lon!r})"),
        (~np.isfinite(lat) | ~np.isfinite(lon), "latitude or longitude is not finite"),
        ((lat.abs() > 90) | (lon.abs() > 180), "coordinates out of range (latitude {lat}, longitude {lon})"),
        (lon.between(*UK_LAT) & lat.between(*UK_LON), "latitude and longitude look swapped ({lat}, {lon})"),
    ]
    reason = pd.Series(-1, index=df.index)
    for i, (bad, _message) in enumerate(checks):
        reason = reason.mask((reason < 0) & bad.fillna(True).astype(bool), i)
    valid = norm.where(reason < 0)
    dup = valid.notna() & valid.duplicated(keep="first")
    bad_rows = np.flatnonzero(reason.to_numpy() >= 0)
    values = zip(
        raw.iloc[bad_rows], df[columns["lat"]].iloc[bad_rows], df[columns["lon"]].iloc[bad_rows], strict=True
    )
    line = df.index.to_numpy() + 1  # the file's row numbers, counting rows left out before this check
    for row, code, (text_, lat_, lon_) in zip(
        bad_rows.tolist(), reason.iloc[bad_rows].tolist(), values, strict=True
    ):
        report.reject(int(line[row]), checks[code][1].format(raw=text_, lat=lat_, lon=lon_), text_)
    for row in np.flatnonzero(dup.to_numpy()).tolist():
        report.reject(int(line[row]), f"postcode {norm.iat[row]} appears more than once", str(raw.iat[row]))
    keep = (reason < 0) & ~dup
    out = pd.DataFrame(
        {
            "postcode": norm[keep],
            "outward": out_code[keep],
            "lon": lon[keep],
            "lat": lat[keep],
        }
    )
    for role in CODE_COLUMNS:
        if role not in columns:
            out[role] = None
            continue
        given = df[columns[role]][keep].str.strip()
        out[role] = given.where(given.ne("") & ~given.str.match(PSEUDO_CODE), None)
    return out.reset_index(drop=True)


def _load_table() -> Table:
    """A temporary table the checked rows are copied into before one INSERT ... ON CONFLICT."""
    return Table(
        "postcode_load",
        MetaData(),
        Column("postcode", Text),
        Column("outward", Text),
        Column("lon", Float),
        Column("lat", Float),
        *(Column(c, Text) for c in CODE_COLUMNS),
        prefixes=["TEMPORARY"],
    )


def _copy(conn: Connection, load: Table, rows: pd.DataFrame, progress: Progress) -> None:
    """COPY the rows into the temporary table in chunks of CSV (PostgreSQL reads empty fields as NULL)."""
    driver: Any = conn.connection.driver_connection
    names = ", ".join(conn.dialect.identifier_preparer.quote(c.name) for c in load.columns)
    statement = f"COPY {conn.dialect.identifier_preparer.quote(load.name)} ({names}) FROM STDIN (FORMAT csv)"
    ordered = rows[[c.name for c in load.columns]]
    with driver.cursor() as cur, cur.copy(statement) as copy:
        for start in range(0, len(ordered), COPY_CHUNK):
            chunk = ordered.iloc[start : start + COPY_CHUNK]
            copy.write(chunk.to_csv(index=False, header=False))
            progress.advance(len(chunk))


def _merge(conn: Connection, load: Table, source: str) -> tuple[int, int]:
    """Upsert the loaded rows into postcodes; return (inserted, updated).

    Area codes the file leaves empty keep their stored value (codes assigned from boundaries earlier),
    so re-importing the same file changes nothing.
    """
    t = POSTCODES
    names = ["postcode", "outward", "geom", *CODE_COLUMNS, "approximate", "source"]
    rows = select(
        load.c.postcode,
        load.c.outward,
        func.ST_SetSRID(func.ST_MakePoint(load.c.lon, load.c.lat), 4326),
        *(load.c[c] for c in CODE_COLUMNS),
        literal(False),
        literal(source),
    )
    stmt = insert(t).from_select(names, rows)
    new = {c: stmt.excluded[c] for c in ("outward", "geom", "approximate", "source")} | {
        c: func.coalesce(stmt.excluded[c], t.c[c]) for c in CODE_COLUMNS
    }
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.postcode],
        set_=new,
        where=or_(*(t.c[c].is_distinct_from(v) for c, v in new.items())),
    )
    # xmax = 0 only for a freshly inserted row version: the standard PostgreSQL idiom.
    up = stmt.returning(literal_column("(xmax = 0)").label("inserted")).cte("up")
    inserted, updated = conn.execute(
        select(func.count().filter(up.c.inserted), func.count().filter(not_(up.c.inserted)))
    ).one()
    return int(inserted), int(updated)
