"""Import a hub's rooms from a council's spreadsheet or CSV (read by ``layers.importers.tabular``).

Each row is one room: its ``name`` and the hub it is in, named in one of two ways a council's list has:

- ``hub_id`` (also ``Hub reference``, ``Venue ID``, ``Site ref``...): the hub's id in the list it was imported
  from (the ``id`` column of ``patchmap import hubs``, or an OpenStreetMap id such as ``node/123``), else
  Patchmap's own hub number. A reference two hubs share (from two sources) is refused: give Patchmap's number.
- ``hub`` (also ``Hub name``, ``Venue``, ``Building``, ``Site``...): the hub's name, matched ignoring case,
  accents, spaces and punctuation, with ``postcode`` to tell apart hubs of the same name. When the hub has a
  postcode and the row another, the row is refused (the wrong hub, or a typing slip: either way a person looks).

Other columns: ``description``, ``capacity`` (people), ``floor_area_m2``, ``facilities`` (separated by ``;``),
``step_free`` (yes/no), ``id`` (the room's own reference) and ``source``. Rows are keyed by ``source`` (default
``spreadsheet``, or ``--source``) and ``id``, or without an id by the hub's number and the room's name
(``hub12/main-hall``), so a re-import of the same list under any file name updates the rooms it loaded. Each
room written gets a version (``record_import``) as a hub's or space's does.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any, NamedTuple, cast

import pandas as pd
from sqlalchemy import Connection, Table, select

from layers.areas.postcodes import normalise_postcode
from layers.importers.cells import Reject, check_fields, positive, words, yes_no
from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.tabular import header_key, read_table
from layers.importers.upsert import slug, upsert
from layers.models import Hub, Room
from layers.records.versions import record_import

WHAT = "rooms"
#: The source of rows that name none (``--source`` overrides): the same whatever the file is called.
DEFAULT_SOURCE = "spreadsheet"
SOURCE_LEN = 32
ALIASES = {
    **{k: "name" for k in ("room", "room_name", "room_title", "space_name", "title")},
    **{k: "hub_id" for k in ("hub_ref", "hub_reference", "hub_code", "venue_id", "venue_ref", "venue_reference",
                             "building_id", "building_ref", "site_id", "site_ref", "site_reference")},
    **{k: "hub" for k in ("hub_name", "venue", "venue_name", "building", "building_name", "site", "site_name",
                          "centre", "premises", "location")},
    **{k: "capacity" for k in ("max_capacity", "maximum_capacity", "capacity_people", "people", "seats",
                               "max_people", "seated_capacity")},
    **{k: "floor_area_m2" for k in ("floor_area", "area_m2", "size_m2", "floor_area_sq_m")},
    **{k: "facilities" for k in ("equipment", "features", "amenities")},
    **{k: "step_free" for k in ("wheelchair", "wheelchair_access", "accessible", "step_free_access")},
    **{k: "description" for k in ("about", "details", "summary", "notes")},
}  # fmt: skip
KNOWN = {"id", "source", "name", "hub_id", "hub", "postcode", "description", "capacity", "floor_area_m2",
         "facilities", "step_free"}  # fmt: skip


class _Hub(NamedTuple):
    id: int
    name: str
    postcode: str | None


def import_rooms(
    conn: Connection,
    path: Path,
    *,
    source: str | None = None,
    allow_rejects: bool = False,
    progress: Progress | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Load hubs' rooms from a CSV or spreadsheet in one savepoint, each with a version; return a report."""
    progress = progress or NoProgress()
    progress.start(f"Reading {path.name}", None)
    table = read_table(path, WHAT, aliases=ALIASES, required=("name",), sheet=sheet)
    df = table.frame
    report = ImportReport(what=WHAT, source=path.name, rows=len(df), notes=list(table.notes))
    if "hub_id" not in df.columns and "hub" not in df.columns:
        raise fail(
            WHAT,
            path.name,
            "no hub column",
            f"Found: {', '.join(map(str, df.columns))}. Name the hub of each room in a 'hub_id' column (the "
            "hub's reference in the list it was imported from) or a 'hub' column (its name, with a 'postcode').",
        )
    ignored = sorted(set(df.columns) - KNOWN)
    if ignored:
        report.notes.append(f"columns not used: {', '.join(ignored)}")
    hubs = _Hubs(conn, df)
    default_source = (source or DEFAULT_SOURCE)[:SOURCE_LEN]
    progress.start(f"Checking {len(df):,} rooms", len(df))
    rows: list[dict[str, Any]] = []
    first: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(cast(list[dict[str, str]], df.to_dict("records")), start=1):
        progress.advance()
        name = (rec.get("name") or "").strip()
        try:
            row, repaired = _row(rec, hubs, default_source)
            key = (row["source"], row["source_id"])
            if key in first:
                raise Reject(f"same id {key[1]!r} as row {first[key]}: give each room its own id")
        except Reject as exc:
            report.reject(i, str(exc), name)
            continue
        if repaired:
            report.repair(i, repaired, name)
        first[key] = i
        rows.append(row)
    report.fail_if_rejected(allow_rejects)

    progress.start(f"Writing {len(rows):,} rooms", len(rows))
    with conn.begin_nested():
        counts = upsert(
            conn,
            cast(Table, Room.__table__),
            rows,
            ["source", "source_id"],
            returning="id",
            progress=progress,
        )
        record_import(conn, "room", list(counts.ids or []))
    report.loaded, report.updated, report.unchanged = counts.inserted, counts.updated, counts.unchanged
    return report


def name_key(name: object) -> str:
    """A name without case, accents, spaces or punctuation: ``St Mary's Hall`` and ``ST MARYS HALL`` match."""
    plain = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    return header_key(plain.replace("'", "").replace("’", "")).replace("_", "")


class _Hubs:
    """The hubs a file's rows may name, by reference, by Patchmap's number and by name, fetched once."""

    def __init__(self, conn: Connection, df: pd.DataFrame) -> None:
        refs = {str(v).strip() for v in df.get("hub_id", []) if str(v).strip()}
        numbers = [int(r) for r in refs if r.isdigit() and len(r) < 10]  # hubs.id is a 32-bit integer
        names = {name_key(v) for v in df.get("hub", []) if str(v).strip()}
        wanted = Hub.source_id.in_(refs) | Hub.id.in_(numbers)
        columns = (Hub.id, Hub.name, Hub.postcode, Hub.source_id)
        found = conn.execute(select(*columns).where(wanted)).all() if refs else []
        self.by_ref: dict[str, list[_Hub]] = {}
        self.by_number: dict[int, _Hub] = {}
        for h in found:
            hub = _Hub(h.id, h.name, h.postcode)
            self.by_number[h.id] = hub
            if h.source_id in refs:
                self.by_ref.setdefault(h.source_id, []).append(hub)
        self.by_name: dict[str, list[_Hub]] = {}
        if (
            names
        ):  # names are matched in Python (accents, punctuation); a council has hundreds of hubs at most
            for number, hub_name, postcode in conn.execute(select(Hub.id, Hub.name, Hub.postcode)):
                key = name_key(hub_name)
                if key in names:
                    self.by_name.setdefault(key, []).append(_Hub(number, hub_name, postcode))

    def find(self, ref: str, name: str, postcode: str | None) -> tuple[_Hub, str]:
        """The hub a row names, and a note when it was found by a name spelled otherwise; or Reject."""
        if ref:
            candidates = self.by_ref.get(ref, [])
            if len(candidates) > 1:
                numbers = ", ".join(str(h.id) for h in candidates)
                raise Reject(f"hub_id {ref!r} is the reference of {len(candidates)} hubs (Patchmap's numbers "
                             f"{numbers}): give Patchmap's number of the hub instead")  # fmt: skip
            if not candidates and ref.isdigit() and int(ref) in self.by_number:
                candidates = [self.by_number[int(ref)]]
            if not candidates:
                raise Reject(f"no hub has the reference or number {ref!r}: import the hubs first "
                             "(patchmap import hubs), or check the hub_id")  # fmt: skip
            return candidates[0], ""
        if not name:
            raise Reject("no hub: give the hub's reference (hub_id) or its name (hub)")
        candidates = self.by_name.get(name_key(name), [])
        if not candidates:
            raise Reject(f"no hub is called {name!r}: import the hubs first, or check the spelling")
        if postcode is not None:
            same = [h for h in candidates if h.postcode == postcode]
            if not same and len(candidates) == 1 and candidates[0].postcode is None:
                same = candidates
            if not same:
                known = ", ".join(sorted({h.postcode or "no postcode" for h in candidates}))
                raise Reject(f"the hub called {name!r} is at {known}, not {postcode}: check the postcode, "
                             "or give the hub's reference (hub_id)")  # fmt: skip
            candidates = same
        if len(candidates) > 1:
            raise Reject(f"{len(candidates)} hubs are called {name!r}: add a postcode column, or give the "
                         "hub's reference (hub_id)")  # fmt: skip
        hub = candidates[0]
        spelled = "" if hub.name == name else f"hub {name!r} read as {hub.name!r}"
        return hub, spelled


def _row(rec: dict[str, str], hubs: _Hubs, default_source: str) -> tuple[dict[str, Any], str]:
    """One row as a rooms row and what was repaired in it (or ""), or Reject."""
    name = (rec.get("name") or "").strip()
    if not name:
        raise Reject("no name")
    raw_postcode = (rec.get("postcode") or "").strip()
    postcode = normalise_postcode(raw_postcode)
    if raw_postcode and postcode is None:
        raise Reject(f"{raw_postcode!r} is not a valid postcode")
    hub, repaired = hubs.find((rec.get("hub_id") or "").strip(), (rec.get("hub") or "").strip(), postcode)
    row: dict[str, Any] = {"hub_id": hub.id, "name": name}
    if "description" in rec:
        row["description"] = rec["description"].strip() or None
    check_fields(row)
    if "capacity" in rec:
        row["capacity"] = positive(rec, "capacity", whole=True)
    if "floor_area_m2" in rec:
        row["floor_area_m2"] = positive(rec, "floor_area_m2", whole=False)
    if "facilities" in rec:
        row["facilities"] = words(rec["facilities"])
    if "step_free" in rec:
        row["step_free"] = yes_no(rec["step_free"], "step_free")
    source = (rec.get("source") or "").strip() or default_source
    if len(source) > SOURCE_LEN:
        raise Reject(f"source is longer than {SOURCE_LEN} characters: shorten it (e.g. pass --source)")
    row["source"] = source
    row["source_id"] = (rec.get("id") or "").strip() or f"hub{hub.id}/{slug(row['name']) or row['name']}"[
        :200
    ]
    return row, repaired
