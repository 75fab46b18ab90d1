"""Import hubs or spaces from a council's spreadsheet or CSV (read by ``layers.importers.tabular``).

Each row needs a name and a place: longitude and latitude, easting and northing, or a postcode Patchmap
knows. ``kind`` is a hub or space kind, by key or by its words ("Community centre", "Library"); blank means
``other`` for a hub and ``room`` for a space. Rows are keyed by ``source`` and ``id`` (or, without an id, by
the name with the postcode or place), so a re-import of the same list, under any file name, updates it.
Contact details of a person (``contact_*``) go into ``private_contact`` and never into a public column.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import Connection, Table, func, select

from layers.areas.postcodes import normalise_postcode
from layers.importers.cells import PRIVATE, Reject, check_fields, positive, private_contact, words, yes_no
from layers.importers.geometry import lonlat_problem, precheck
from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.tabular import header_key, read_table
from layers.importers.upsert import outside_every_ward, outside_words, place_key, upsert
from layers.models import Hub, Postcode, Space
from layers.records.hours_store import register_hours
from layers.records.versions import record_import
from layers.taxonomy import HUB_KINDS, PRICE_BANDS, SPACE_KINDS, SPACE_STATUSES

#: The source given to rows that name none (``--source`` overrides): the same whatever the file is called.
DEFAULT_SOURCE = "spreadsheet"
SOURCE_LEN = 32
MODELS: dict[str, Any] = {"hub": Hub, "space": Space}
KINDS: dict[str, Mapping[str, str]] = {"hub": HUB_KINDS, "space": SPACE_KINDS}
DEFAULT_KIND = {"hub": "other", "space": "room"}
ALIASES = {
    **{k: "name" for k in ("hub_name", "space_name", "venue_name", "building", "building_name", "site",
                           "site_name", "title", "premises", "property")},
    **{k: "kind" for k in ("type", "hub_type", "space_type", "building_type", "category")},
    **{k: "address" for k in ("street_address", "full_address", "address_line_1", "location")},
    **{k: "description" for k in ("about", "details", "summary", "notes")},
    **{k: "opening_hours" for k in ("hours", "opening_times", "open")},
    **{k: "step_free" for k in ("wheelchair", "wheelchair_access", "accessible", "step_free_access")},
    **{k: "floor_area_m2" for k in ("floor_area", "area_m2", "size_m2", "floor_area_sq_m")},
    **{k: "operator_name" for k in ("operator", "run_by", "managed_by")},
    **{k: "owner_name" for k in ("owner", "landlord")},
    **{k: "contact_name" for k in ("contact", "contact_person")},
}  # fmt: skip
PLAIN = ("description", "address", "website", "email", "phone")


def import_places(
    conn: Connection,
    path: Path,
    *,
    kind: str,
    source: str | None = None,
    allow_rejects: bool = False,
    progress: Progress | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Load hubs or spaces (``kind``) from a CSV or spreadsheet in one savepoint; return a report."""
    if kind not in MODELS:
        raise fail(f"{kind}s", path.name, f"unknown kind {kind!r}", "Import hubs or spaces.")
    what = f"{kind}s"
    progress = progress or NoProgress()
    progress.start(f"Reading {path.name}", None)
    table = read_table(path, what, aliases=ALIASES, required=("name",), sheet=sheet)
    df = table.frame
    report = ImportReport(what=what, source=path.name, rows=len(df), notes=list(table.notes))
    known = {"id", "source", "lon", "lat", "easting", "northing", "postcode", "kind", "name", "opening_hours",
             "facilities", "step_free", "operator_name", "status", "capacity", "floor_area_m2", "price_band",
             "owner_name", "terms", *PLAIN, *PRIVATE}  # fmt: skip
    ignored = sorted(set(df.columns) - known)
    if ignored:
        report.notes.append(f"columns not used: {', '.join(ignored)}")
    postcodes = _postcodes(conn, df.get("postcode", []))
    default_source = (source or DEFAULT_SOURCE)[:SOURCE_LEN]
    progress.start(f"Checking {len(df):,} {what}", len(df))
    rows: list[dict[str, Any]] = []
    first: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(cast(list[dict[str, str]], df.to_dict("records")), start=1):
        progress.advance()
        try:
            row = _row(rec, kind, postcodes, default_source)
            key = (row["source"], row["source_id"])
            if key in first:
                raise Reject(f"same id {key[1]!r} as row {first[key]}: give each {kind} its own id")
        except Reject as exc:
            report.reject(i, str(exc), (rec.get("name") or "").strip())
            continue
        first[key] = i
        rows.append(row)
    report.fail_if_rejected(allow_rejects)

    progress.start(f"Writing {len(rows):,} {what}", len(rows))
    model = cast(Table, MODELS[kind].__table__)
    with conn.begin_nested():
        register_hours(conn, [r.get("opening_hours") for r in rows])
        counts = upsert(conn, model, rows, ["source", "source_id"], returning="id", progress=progress)
        record_import(conn, kind, list(counts.ids or []))
        outside = outside_every_ward(conn, f"{kind}s", [(r["source"], r["source_id"]) for r in rows])
    report.loaded, report.updated, report.unchanged = counts.inserted, counts.updated, counts.unchanged
    if outside:
        report.notes.append(outside_words(what, outside))
    return report


def _postcodes(conn: Connection, values: Any) -> dict[str, tuple[float, float]]:
    wanted = {p for v in values if (p := normalise_postcode(v))}
    rows = conn.execute(
        select(Postcode.postcode, func.ST_X(Postcode.geom), func.ST_Y(Postcode.geom)).where(
            Postcode.postcode.in_(wanted)
        )
    ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _row(
    rec: dict[str, str], kind: str, postcodes: dict[str, tuple[float, float]], source: str
) -> dict[str, Any]:
    name = (rec.get("name") or "").strip()
    if not name:
        raise Reject("no name")
    row: dict[str, Any] = {"name": name, "kind": _kind(rec.get("kind"), kind)}
    row |= {col: (rec[col] or "").strip() or None for col in PLAIN if col in rec}
    check_fields(row)  # the same rules as the forms (layers.fields)
    contact = private_contact(rec)
    if contact is not None:
        row["private_contact"] = contact
    if "step_free" in rec:
        row["step_free"] = yes_no(rec["step_free"], "step_free")
    row |= _hub_fields(rec) if kind == "hub" else _space_fields(rec)
    point, postcode = _place(rec, postcodes)
    row |= {"geom": from_shape(point, srid=4326), "postcode": postcode}
    row["source"] = ((rec.get("source") or "").strip() or source)[:SOURCE_LEN]
    row["source_id"] = (rec.get("id") or "").strip() or place_key(name, postcode, point.x, point.y)
    return row


def _kind(value: str | None, kind: str) -> str:
    given = (value or "").strip()
    if not given:
        return DEFAULT_KIND[kind]
    vocabulary = KINDS[kind]
    by_words = {header_key(label): key for key, label in vocabulary.items()} | {
        header_key(k): k for k in vocabulary
    }
    found = by_words.get(header_key(given))
    if found is None:
        raise Reject(f"unknown {kind} kind {given!r}; allowed: {', '.join(vocabulary)}")
    return found


def _hub_fields(rec: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "opening_hours" in rec:
        out["opening_hours"] = rec["opening_hours"].strip() or None
    if "facilities" in rec:
        out["facilities"] = words(rec["facilities"])
    if "operator_name" in rec:
        operator = rec["operator_name"].strip() or None
        out["operator_name"] = operator
        out["operator_type"] = "council" if operator and "council" in operator.lower() else "unknown"
    return out


def _space_fields(rec: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col, allowed in (("status", SPACE_STATUSES), ("price_band", PRICE_BANDS)):
        if col in rec:
            value = rec[col].strip().lower().replace(" ", "_" if col == "status" else "-") or None
            if value is not None and value not in allowed:
                raise Reject(f"unknown {col.replace('_', ' ')} {rec[col]!r}; allowed: {', '.join(allowed)}")
            if value is not None or col == "price_band":
                out[col] = value
    for col, whole in (("capacity", True), ("floor_area_m2", False)):
        if col in rec:
            out[col] = positive(rec, col, whole=whole)
    for col in ("owner_name", "terms"):
        if col in rec:
            out[col] = rec[col].strip() or None
    return out


def _place(rec: dict[str, str], postcodes: dict[str, tuple[float, float]]) -> tuple[Point, str | None]:
    lon, lat = (rec.get("lon") or "").strip(), (rec.get("lat") or "").strip()
    raw_postcode = (rec.get("postcode") or "").strip()
    postcode = normalise_postcode(raw_postcode)
    if raw_postcode and postcode is None:
        raise Reject(f"{raw_postcode!r} is not a valid postcode")
    if lon or lat:
        try:
            point = Point(float(lon), float(lat))
        except ValueError:
            raise Reject(f"longitude {lon!r} and latitude {lat!r} must both be numbers") from None
        problem = precheck(point) or lonlat_problem(point)
        if problem:
            raise Reject(problem)
        return point, postcode
    if postcode is None:
        raise Reject("no place: give longitude and latitude, easting and northing, or a postcode")
    if postcode not in postcodes:
        raise Reject(
            f"postcode {postcode} is not known to Patchmap: import the ONS Postcode Directory, or give coordinates"
        )
    return Point(*postcodes[postcode]), postcode
