"""Another directory's ORUK services into Patchmap: each service a group (``source`` "oruk", ``source_id`` its
ORUK id), each location with a point a hub (likewise keyed by its ORUK id), so a re-import updates them.

One savepoint and one report: every service left out says why (rejected), every value dropped or changed
says what (repaired). A service's schedules, and those at the location it keeps, become the group's meeting
times (each once), its cost options a cost band,
its taxonomy terms the Patchmap categories they name, its service areas the loaded areas they name (by GSS
code, else by name). Patchmap keeps one place a group: the first location with a usable point; another is
left out with its schedules, and the report says so.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final, cast

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import Connection, Table, or_, select, text

from layers.areas.postcodes import normalise_postcode
from layers.fields import Email, Name, Text, Url, checked
from layers.importers.geometry import lonlat_problem, precheck
from layers.importers.groups import replace_areas
from layers.importers.report import ImportReport, NoProgress, Progress
from layers.importers.upsert import upsert
from layers.models import Area, Group, Hub
from layers.oruk.ids import SOURCE, is_uuid, term_id
from layers.oruk.shapes import OCCASIONALLY
from layers.records.versions import record_import
from layers.taxonomy import GROUP_CATEGORIES, WEEKDAYS

WHAT: Final = "ORUK services"
STATUSES: Final = {
    "active": "active",
    "inactive": "dormant",
    "temporarily closed": "dormant",
    "defunct": "closed",
}
TERMS: Final = {term_id(k): k for k in GROUP_CATEGORIES}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


class _Reject(Exception):
    """A service is left out, for this reason."""


def import_oruk(
    conn: Connection,
    services: list[dict[str, Any]],
    *,
    source: str,
    allow_rejects: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert ``services`` (ORUK 3.0, fully nested) as groups and their locations as hubs, by ORUK id, in one
    savepoint; the report of what was loaded, repaired and rejected. ``source`` names the feed in the report."""
    progress = progress or NoProgress()
    report = ImportReport(what=WHAT, source=source, rows=len(services))
    areas = _Areas(conn, services)
    hubs: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    served: list[list[int]] = []
    modified: dict[str, datetime] = {}
    first: dict[str, int] = {}
    progress.start(f"Checking {len(services):,} services", len(services))
    for i, svc in enumerate(services, start=1):
        progress.advance()
        name = str(svc.get("name") or "")[:80]
        try:
            row, hub, area_ids, when = _service(svc, areas, lambda why, n=i, s=name: report.repair(n, why, s))
            if row["source_id"] in first:
                raise _Reject(f"same id as row {first[row['source_id']]}")
        except _Reject as exc:
            report.reject(i, str(exc), name)
            continue
        first[row["source_id"]] = i
        if hub is not None:
            hubs[hub["source_id"]] = hub
        rows.append(row)
        served.append(area_ids)
        if when is not None:
            modified[row["source_id"]] = when
    report.fail_if_rejected(allow_rejects)
    progress.start(f"Writing {len(hubs):,} places and {len(rows):,} groups", len(hubs) + len(rows))
    with conn.begin_nested():
        placed = upsert(conn, cast(Table, Hub.__table__), list(hubs.values()), ["source", "source_id"],
                        returning="id", progress=progress)  # fmt: skip
        hub_ids = _hub_ids(conn, list(hubs))
        for row in rows:
            location = row.pop("location")
            row["hub_id"] = hub_ids.get(location) if location else None
        counts = upsert(conn, cast(Table, Group.__table__), rows, ["source", "source_id"], returning="id",
                        progress=progress)  # fmt: skip
        report.loaded, report.updated, report.unchanged = counts.inserted, counts.updated, counts.unchanged
        changed = list(counts.ids or [])
        moved = replace_areas(conn, rows, served, set(changed))
        report.updated, report.unchanged = report.updated + moved, report.unchanged - moved
        _keep_modified(conn, changed, modified)
        record_import(conn, "group", changed)
        record_import(conn, "hub", list(placed.ids or []))
    report.notes.append(
        f"places (hubs): {placed.inserted} new, {placed.updated} updated, {placed.unchanged} unchanged"
    )
    return report


class _Areas:
    """The loaded areas the services' service areas name, by code and by name."""

    def __init__(self, conn: Connection, services: list[dict[str, Any]]) -> None:
        codes, names = set(), set()
        for svc in services:
            for area in _list(svc.get("service_areas")):
                codes.add(_area_code(area))
                names.add(str(area.get("name") or ""))
        found = conn.execute(
            select(Area.id, Area.code, Area.name).where(or_(Area.code.in_(codes), Area.name.in_(names)))
        )
        self.by_code: dict[str, int] = {}
        by_name: dict[str, list[int]] = {}
        for id_, code, name in found:
            self.by_code[code] = id_
            by_name.setdefault(name, []).append(id_)
        self.by_name = {name: ids[0] for name, ids in by_name.items() if len(ids) == 1}

    def find(self, area: dict[str, Any]) -> int | None:
        """The id of the area a service area names (its GSS code, else its name when only one has it)."""
        return self.by_code.get(_area_code(area)) or self.by_name.get(str(area.get("name") or ""))


def _area_code(area: dict[str, Any]) -> str:
    """The code a service area gives: the end of its uri (ONS linked data), else the last word of its extent."""
    for value in (area.get("uri"), area.get("extent")):
        if isinstance(value, str) and value.strip():
            return re.split(r"[/ ]", value.strip())[-1]
    return ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _service(
    svc: dict[str, Any], areas: _Areas, repair: Any
) -> tuple[dict[str, Any], dict[str, Any] | None, list[int], datetime | None]:
    """One service as a groups row, its hub row (or None) and the ids of its areas; or raise _Reject."""
    id_ = svc.get("id")
    if not is_uuid(id_):
        raise _Reject(f"id {str(id_)[:60]!r} is not a UUID")
    org = _obj(svc.get("organization"))
    try:
        name = checked(Name, _text(svc.get("name")) or "")
    except ValueError as exc:
        raise _Reject(f"name: {exc}") from None
    row: dict[str, Any] = {"name": name, "source": SOURCE, "source_id": str(id_).lower()}
    for col, kind, values in (
        ("description", Text, (svc.get("description"), org.get("description"))),
        ("website", Url, (svc.get("url"), org.get("website"))),
        ("email", Email, (svc.get("email"), org.get("email"))),
    ):
        value = next((t for v in values if (t := _text(v))), None)
        try:
            row[col] = None if value is None else checked(kind, value)
        except ValueError as exc:
            repair(f"{col} {str(value)[:60]!r} left out: {exc}")
            row[col] = None
    status = str(svc.get("status") or "")
    row["status"] = STATUSES.get(status, "active")
    if status not in STATUSES:
        repair(f"status {status[:30]!r} is not an ORUK status: taken as active")
    hub, at = _hub(svc, repair)
    schedules = _list(svc.get("schedules")) + (_list(at.get("schedules")) if at else [])
    row |= _ages(svc, repair) | {"categories": _categories(svc, repair), "meets": _meets(schedules, repair),
                                 "cost": _cost(_list(svc.get("cost_options")))}  # fmt: skip
    area_ids = []
    for area in _list(svc.get("service_areas")):
        found = areas.find(area)
        if found is None:
            repair(f"area served {str(area.get('name'))[:60]!r} is not a loaded area: left out")
        elif found not in area_ids:
            area_ids.append(found)
    if hub is None and not area_ids:
        repair("no location with a usable point and no loaded area served: imported without a place")
    row |= {
        "location": hub["source_id"] if hub else None, "hub_id": None, "venue_address": None, "postcode": None,
        "geom": hub["geom"] if hub else None, "location_precision": "hub" if hub else "area",
    }  # fmt: skip
    return row, hub, area_ids, _when(svc.get("last_modified"))


def _when(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else None


def _ages(svc: dict[str, Any], repair: Any) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for col, key in (("age_min", "minimum_age"), ("age_max", "maximum_age")):
        value = svc.get(key)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 120
        if value is not None and not ok:
            repair(f"{key} {str(value)[:20]!r} is not an age from 0 to 120: left out")
        out[col] = round(float(value)) if ok else None  # type: ignore[arg-type]
    if out["age_min"] is not None and out["age_max"] is not None and out["age_min"] > out["age_max"]:
        repair("minimum_age is above maximum_age: both left out")
        out = {"age_min": None, "age_max": None}
    return out


def _categories(svc: dict[str, Any], repair: Any) -> list[str]:
    """The Patchmap categories the service's attributes name (by term or by Patchmap's term id)."""
    found: list[str] = []
    for attribute in _list(svc.get("attributes")):
        term = _obj(attribute.get("taxonomy_term"))
        key = TERMS.get(str(attribute.get("taxonomy_term_id") or term.get("id") or "").lower())
        key = key or (term.get("term") if term.get("term") in GROUP_CATEGORIES else None)
        if key is None:
            repair(
                f"taxonomy term {str(term.get('name') or term.get('term'))[:40]!r} is not a Patchmap category: left out"
            )
        elif key not in found:
            found.append(key)
    return found


def _hhmm(value: Any) -> str | None:
    match = _TIME.match(value.strip()) if isinstance(value, str) else None
    if match is None or int(match.group(1)) > 24 or int(match.group(2)) >= 60:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _meets(schedules: list[dict[str, Any]], repair: Any) -> list[dict[str, Any]]:
    """Schedules (the service's own and those at its place) as meeting times: {days, start, end, frequency},
    each once."""
    out: list[dict[str, Any]] = []
    for schedule in schedules:
        days_given = {
            re.sub(r"^[+-]?\d+", "", d.strip()).lower() for d in str(schedule.get("byday") or "").split(",")
        }
        days = [d for d in WEEKDAYS if d in days_given]
        start, end = _hhmm(schedule.get("opens_at")), _hhmm(schedule.get("closes_at"))
        if not days or start is None or end is None:
            repair("a schedule without days (byday) or times (opens_at, closes_at) left out")
            continue
        freq, interval = schedule.get("freq"), schedule.get("interval") or 1
        frequency = (
            "monthly" if freq == "MONTHLY"
            else ("fortnightly" if interval == 2 else "daily" if len(days) == 7 else "weekly") if freq == "WEEKLY"
            else "occasional" if str(schedule.get("description") or "").startswith(OCCASIONALLY)
            else None
        )  # fmt: skip
        meet = {"days": days, "start": start, "end": end, "frequency": frequency}
        if meet not in out:
            out.append(meet)
    return out


def _cost(options: list[dict[str, Any]]) -> str | None:
    """The cost band the cost options say: free, low-cost or paid (None when there are none)."""
    if not options:
        return None
    said = [str(o.get("option") or "").lower() for o in options]
    if any(o.get("amount") == 0 for o in options) or any("free" in s for s in said):
        return "free"
    return "low-cost" if any("low" in s for s in said) else "paid"


def _hub(svc: dict[str, Any], repair: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The service's first location with a usable point, as a hubs row (kind "other"), and its
    service_at_location (whose schedules are the group's there); (None, None) when it has none. Another
    location is left out, with its schedules, and reported: a Patchmap group keeps one place."""
    chosen: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None)
    for at in _list(svc.get("service_at_locations")):
        location = _obj(at.get("location"))
        lat, lon = location.get("latitude"), location.get("longitude")
        name = str(location.get("name"))[:40]
        if not is_uuid(location.get("id")):
            repair("a location without a UUID id left out")
            continue
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon)):
            repair(f"location {name!r} has no latitude and longitude: left out")
            continue
        point = Point(float(lon), float(lat))  # type: ignore[arg-type]
        problem = precheck(point) or lonlat_problem(point)
        if problem:
            repair(f"location {name!r}: {problem}: left out")
            continue
        if chosen[0] is not None:
            n = len(_list(at.get("schedules")))
            times = f", with its {n} schedule{'s' if n != 1 else ''}," if n else ""
            repair(f"location {name!r}{times} left out: a Patchmap group keeps one place")
            continue
        chosen = (_place(location, point, repair), at)
    return chosen


def _place(location: dict[str, Any], point: Point, repair: Any) -> dict[str, Any]:
    address = next(iter(_list(location.get("addresses"))), {})
    raw_postcode = _text(address.get("postal_code"))
    postcode = normalise_postcode(raw_postcode)
    if raw_postcode and postcode is None:
        repair(f"postcode {raw_postcode[:20]!r} is not a UK postcode: left out")
    name = _text(location.get("name")) or _text(address.get("address_1")) or "Unnamed place"
    return {
        "name": checked(Name, name[:200]), "kind": "other", "description": _text(location.get("description")),
        "address": _text(address.get("address_1")), "postcode": postcode,
        "geom": from_shape(point, srid=4326), "source": SOURCE, "source_id": str(location["id"]).lower(),
    }  # fmt: skip


def _hub_ids(conn: Connection, keys: list[str]) -> dict[str, int]:
    found = conn.execute(select(Hub.source_id, Hub.id).where(Hub.source == SOURCE, Hub.source_id.in_(keys)))
    return {str(sid): id_ for sid, id_ in found}


def _keep_modified(conn: Connection, changed: list[int], modified: dict[str, datetime]) -> None:
    """Groups written now keep their service's last_modified as their updated_at (so an export says it)."""
    if not changed or not modified:
        return
    conn.execute(
        text(
            "UPDATE groups g SET updated_at = m.at FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[])) "
            "AS m(sid, at) WHERE g.source = :source AND g.source_id = m.sid AND g.id = ANY(:changed)"
        ),
        {"ids": list(modified), "ats": list(modified.values()), "source": SOURCE, "changed": changed},
    )
