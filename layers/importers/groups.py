"""Import community groups from a CSV: where they meet (venue, hub or postcode) or the areas they serve.

Only ``name`` is required. Contact details of a person (``contact_*``, ``home_address``) go into
``private_contact`` and never into a public column. Optional columns a file does not have are left as they
are on re-import (so a moderator's edit to, say, ``status`` survives); location columns are always set.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pandas as pd
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import Connection, Table, delete, func, insert, select, tuple_, update

from layers.areas.postcodes import normalise_postcode
from layers.importers import cells
from layers.importers.cells import Reject, check_fields, private_contact
from layers.importers.geometry import lonlat_problem, precheck
from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.tabular import read_table
from layers.importers.upsert import outside_every_ward, outside_words, slug, upsert
from layers.models import Area, Group, GroupArea, Hub, Postcode
from layers.records.versions import record_import
from layers.taxonomy import (
    COMMUNITIES_OF_IDENTITY,
    COMMUNITIES_OF_INTEREST,
    COST_BANDS,
    GROUP_CATEGORIES,
    GROUP_STATUSES,
)

WHAT = "groups"
VOCABULARIES: dict[str, Mapping[str, str]] = {
    "categories": GROUP_CATEGORIES,
    "communities_of_identity": COMMUNITIES_OF_IDENTITY,
    "communities_of_interest": COMMUNITIES_OF_INTEREST,
}
FREE_LISTS = ("activities", "languages", "skills_sought")
PLAIN = ("description", "website", "email", "phone")
PRIVATE = {**cells.PRIVATE, "home_address": "home_address"}
OPTIONAL = (
    *VOCABULARIES,
    *FREE_LISTS,
    *PLAIN,
    "cost",
    "age_min",
    "age_max",
    "volunteers_wanted",
    "status",
    "last_verified_at",
)
LOCATION = ("lon", "lat", "venue_address", "postcode", "hub", "areas_served")
KNOWN = {"name", "id", "source", *OPTIONAL, *PRIVATE, *LOCATION}
TRUE, FALSE = cells.TRUE, cells.FALSE | {""}  # a blank volunteers_wanted is no
SOURCE_LEN = 64
#: The source of rows that name none (``--source`` overrides): not the file's name, so the same list saved
#: under another name updates the groups it loaded instead of adding them again.
DEFAULT_SOURCE = "spreadsheet"


def import_groups(
    conn: Connection,
    path: Path,
    *,
    serves: list[str] | None = None,
    source: str | None = None,
    allow_rejects: bool = False,
    progress: Progress | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Load groups from a CSV or spreadsheet (upserting by source and id or name slug) in one savepoint;
    return a report. The file is read by ``layers.importers.tabular``: any encoding, separator or .xlsx sheet,
    common other column names, easting/northing.

    ``serves`` are area codes given to every group that has no ``areas_served`` of its own.
    """
    progress = progress or NoProgress()
    progress.start(f"Reading {path.name}", None)
    df, notes = _read(path, sheet)
    report = ImportReport(what=WHAT, source=path.name, rows=len(df))
    report.notes.extend(notes)
    ignored = sorted(set(df.columns) - KNOWN)
    if ignored:
        report.notes.append(f"columns not used: {', '.join(ignored)}")
    lookups = _Lookups(conn, df, serves or [], path)
    progress.start(f"Checking {len(df)} groups", len(df))
    rows: list[dict[str, Any]] = []
    areas: list[list[int]] = []
    first: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(cast(list[dict[str, str]], df.to_dict("records")), start=1):
        progress.advance()
        name = rec["name"].strip()
        try:
            row, area_ids = _check(rec, lookups, source or DEFAULT_SOURCE)
            key = (row["source"], row["source_id"])
            if key in first:
                raise Reject(f"same id {key[1]!r} as row {first[key]}: give each group its own id")
        except Reject as exc:
            report.reject(i, str(exc), name)
            continue
        first[key] = i
        rows.append(row)
        areas.append(area_ids)
    report.fail_if_rejected(allow_rejects)

    progress.start(f"Writing {len(rows):,} groups", len(rows))
    with conn.begin_nested():
        counts = upsert(
            conn,
            cast(Table, Group.__table__),
            rows,
            ["source", "source_id"],
            returning="id",
            progress=progress,
        )
        report.loaded, report.updated, report.unchanged = counts.inserted, counts.updated, counts.unchanged
        moved = replace_areas(conn, rows, areas, set(counts.ids or []))
        record_import(conn, "group", list(counts.ids or []))
        report.updated += moved
        report.unchanged -= moved
        outside = outside_every_ward(conn, "groups", [(r["source"], r["source_id"]) for r in rows])
    if outside:
        report.notes.append(outside_words(WHAT, outside))
    return report


#: Other names councils' files give the groups' columns (after ``tabular.header_key``).
ALIASES = {
    **{k: "name" for k in ("group_name", "group", "organisation", "organisation_name", "organization",
                           "organization_name", "name_of_group", "title")},
    **{k: "categories" for k in ("category", "categories_", "activity_type")},
    **{k: "contact_name" for k in ("contact", "contact_person", "main_contact")},
    **{k: "areas_served" for k in ("area_served", "serves", "area_codes")},
    **{k: "description" for k in ("about", "details", "summary")},
    **{k: "venue_address" for k in ("venue", "address", "meeting_place", "where")},
}  # fmt: skip


def _read(path: Path, sheet: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    table = read_table(path, WHAT, aliases=ALIASES, required=("name",), sheet=sheet)
    return table.frame, table.notes


class _Lookups:
    """Areas, postcodes and hubs the file refers to, fetched once."""

    def __init__(self, conn: Connection, df: pd.DataFrame, serves: list[str], path: Path) -> None:
        codes = set(serves) | {c for v in df.get("areas_served", []) for c in _split(v)}
        self.areas: dict[str, int] = {
            code: id_ for code, id_ in conn.execute(select(Area.code, Area.id).where(Area.code.in_(codes)))
        }
        unknown = [c for c in serves if c not in self.areas]
        if unknown:
            raise fail(
                WHAT,
                path.name,
                f"unknown area code(s) to serve: {', '.join(unknown)}",
                "Import the boundaries first, or give codes of areas in the database.",
            )
        self.serves = [self.areas[c] for c in serves]
        wanted = {p for v in df.get("postcode", []) if (p := normalise_postcode(v))}
        self.postcodes: dict[str, tuple[float, float]] = {
            r.postcode: (r.x, r.y)
            for r in conn.execute(
                select(
                    Postcode.postcode,
                    func.ST_X(Postcode.geom).label("x"),
                    func.ST_Y(Postcode.geom).label("y"),
                ).where(Postcode.postcode.in_(wanted))
            )
        }
        refs = {str(v).strip() for v in df.get("hub", []) if str(v).strip()}
        ids = [int(r) for r in refs if r.isdigit() and len(r) < 10]  # hubs.id is a 32-bit integer
        found = conn.execute(
            select(
                Hub.id,
                Hub.source,
                Hub.source_id,
                func.ST_X(Hub.geom).label("x"),
                func.ST_Y(Hub.geom).label("y"),
            ).where(
                Hub.id.in_(ids) | ((Hub.source == "osm") & Hub.source_id.in_(refs - {str(i) for i in ids}))
            )
        ).all()
        self.hubs: dict[str, tuple[int, float, float]] = {}
        for h in found:
            self.hubs[str(h.id)] = (h.id, h.x, h.y)
            if h.source == "osm" and h.source_id:
                self.hubs[h.source_id] = (h.id, h.x, h.y)


def _split(value: Any) -> list[str]:
    """Items of a semicolon-separated cell, stripped, without blanks or repeats."""
    return list(dict.fromkeys(p.strip() for p in str(value or "").split(";") if p.strip()))


def _check(rec: dict[str, str], lookups: _Lookups, default_source: str) -> tuple[dict[str, Any], list[int]]:
    """One CSV row as a groups row and the ids of the areas it serves, or raise Reject."""
    name = rec["name"].strip()
    if not name:
        raise Reject("no name")
    source = (rec.get("source") or "").strip() or default_source
    if len(source) > SOURCE_LEN:
        raise Reject(f"source is longer than {SOURCE_LEN} characters: shorten it (e.g. pass --source)")
    source_id = (rec.get("id") or "").strip() or slug(name)
    if not source_id:
        raise Reject("no id, and the name gives no usable id: add an id column")
    row: dict[str, Any] = {"name": name, "source": source, "source_id": source_id}
    for col, vocabulary in VOCABULARIES.items():
        if col in rec:
            values = [v.lower() for v in _split(rec[col])]
            unknown = [v for v in values if v not in vocabulary]
            if unknown:
                raise Reject(
                    f"unknown {col.replace('_', ' ')} {', '.join(map(repr, unknown))}; "
                    f"allowed: {', '.join(vocabulary)}"
                )
            row[col] = values
    row |= {col: _split(rec[col]) for col in FREE_LISTS if col in rec}
    row |= {col: rec[col].strip() or None for col in PLAIN if col in rec}
    check_fields(row)  # the same rules as the forms and edits (layers.fields)
    contact = private_contact(rec, PRIVATE)
    if contact is not None:
        row["private_contact"] = contact
    row |= _details(rec)
    location, area_ids = _location(rec, lookups)
    return row | location, area_ids


def _details(rec: dict[str, str]) -> dict[str, Any]:
    """Cost, ages, volunteering, status and verification date (only those the file has)."""
    out: dict[str, Any] = {}
    if "cost" in rec:
        cost = rec["cost"].strip().lower().replace(" ", "-") or None
        if cost is not None and cost not in COST_BANDS:
            raise Reject(f"unknown cost {rec['cost']!r}; allowed: {', '.join(COST_BANDS)}")
        out["cost"] = cost
    for col in ("age_min", "age_max"):
        if col in rec:
            value = rec[col].strip()
            if value and not (value.isdigit() and int(value) <= 120):
                raise Reject(f"{col} {value!r} is not a whole number of years from 0 to 120")
            out[col] = int(value) if value else None
    if out.get("age_min") is not None and out.get("age_max") is not None and out["age_min"] > out["age_max"]:
        raise Reject(f"age_min {out['age_min']} is more than age_max {out['age_max']}")
    if "volunteers_wanted" in rec:
        flag = rec["volunteers_wanted"].strip().lower()
        if flag not in TRUE | FALSE:
            raise Reject(f"volunteers_wanted {rec['volunteers_wanted']!r} is not yes or no")
        out["volunteers_wanted"] = flag in TRUE
    if "status" in rec:
        status = rec["status"].strip().lower() or "active"
        if status not in GROUP_STATUSES:
            raise Reject(f"unknown status {rec['status']!r}; allowed: {', '.join(GROUP_STATUSES)}")
        out["status"] = status
    if "last_verified_at" in rec:
        out["last_verified_at"] = _date(rec["last_verified_at"].strip())
    return out


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Reject(f"last_verified_at {value!r} is not an ISO date such as 2024-05-31") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _location(rec: dict[str, str], lookups: _Lookups) -> tuple[dict[str, Any], list[int]]:
    """Where a group is: its own point, a hub's, its postcode's, or only the areas it serves."""
    lon, lat = (rec.get("lon") or "").strip(), (rec.get("lat") or "").strip()
    hub_ref = (rec.get("hub") or "").strip()
    raw_postcode = (rec.get("postcode") or "").strip()
    postcode = normalise_postcode(raw_postcode)
    if raw_postcode and postcode is None:
        raise Reject(f"{raw_postcode!r} is not a valid postcode")
    codes = _split(rec.get("areas_served"))
    unknown = [c for c in codes if c not in lookups.areas]
    if unknown:
        raise Reject(
            f"unknown area code(s) {', '.join(unknown)} in areas_served: "
            "import those boundaries first, or fix the codes"
        )
    area_ids = [lookups.areas[c] for c in codes] or lookups.serves
    out: dict[str, Any] = {
        "venue_address": (rec.get("venue_address") or "").strip() or None,
        "postcode": postcode,
        "hub_id": None,
        "geom": None,
        "location_precision": "area",
    }
    if hub_ref:
        if hub_ref not in lookups.hubs:
            raise Reject(
                f"hub {hub_ref!r} is not a hub id or OpenStreetMap id (e.g. node/123) in the database"
            )
        hub_id, x, y = lookups.hubs[hub_ref]
        out |= {"hub_id": hub_id, "geom": from_shape(Point(x, y), srid=4326), "location_precision": "hub"}
    point: Point | None = None
    if lon or lat:
        point = _point(lon, lat)
    elif postcode and not hub_ref:
        if postcode not in lookups.postcodes:
            raise Reject(
                f"postcode {postcode} is not in the postcodes table: import the ONS Postcode "
                "Directory, or give lon and lat"
            )
        point = Point(*lookups.postcodes[postcode])
    if point is not None:
        return out | {"geom": from_shape(point, srid=4326), "location_precision": "venue"}, area_ids
    if not area_ids and not hub_ref:
        raise Reject("a group needs a venue, a hub, a postcode or an area it serves")
    return out, area_ids


def _point(lon: str, lat: str) -> Point:
    try:
        x, y = float(lon), float(lat)
    except ValueError as exc:
        raise Reject(f"lon {lon!r} and lat {lat!r} must both be numbers (WGS84 degrees)") from exc
    point = Point(x, y)
    problem = precheck(point) or lonlat_problem(point)
    if problem:
        raise Reject(problem)
    return point


def replace_areas(
    conn: Connection, rows: list[dict[str, Any]], areas: list[list[int]], changed: set[int]
) -> int:
    """Make each group's group_areas match the file; return how many otherwise unchanged groups this changed."""
    if not rows:
        return 0
    keys = [(r["source"], r["source_id"]) for r in rows]
    ids: dict[tuple[str, str | None], int] = {
        (src, sid): gid
        for src, sid, gid in conn.execute(
            select(Group.source, Group.source_id, Group.id).where(
                tuple_(Group.source, Group.source_id).in_(keys)
            )
        )
    }
    current: dict[int, set[int]] = {}
    for gid, aid in conn.execute(
        select(GroupArea.group_id, GroupArea.area_id).where(GroupArea.group_id.in_(list(ids.values())))
    ):
        current.setdefault(gid, set()).add(aid)
    wanted = {ids[k]: set(a) for k, a in zip(keys, areas, strict=True)}
    differ = [g for g, a in wanted.items() if current.get(g, set()) != a]
    if not differ:
        return 0
    conn.execute(delete(GroupArea).where(GroupArea.group_id.in_(differ)))
    new = [{"group_id": g, "area_id": a} for g in differ for a in sorted(wanted[g])]
    if new:
        conn.execute(insert(GroupArea), new)
    moved = [g for g in differ if g not in changed]
    if moved:
        conn.execute(update(Group).where(Group.id.in_(moved)).values(updated_at=func.now()))
    return len(moved)
