"""Import hubs and vacant shops from OpenStreetMap GeoJSON exports (Overpass exports, one feature per object).

Only the tags listed here are kept: other properties (notably ``mapFeature``, HTML added by another project)
are never stored. Features that are neither a community building nor a vacant shop are skipped unchecked.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import shapely.geometry
import shapely.ops
from geoalchemy2.shape import from_shape
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Table

from layers.areas.postcodes import normalise_postcode
from layers.fields import Url, checked
from layers.importers.geometry import lonlat_problem, precheck, to_point
from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.upsert import place_key, upsert
from layers.models import Hub, Space
from layers.records.hours_store import register_hours
from layers.records.versions import record_import
from layers.taxonomy import HUB_KINDS

WHAT = "OpenStreetMap features"
SOURCE = "osm"
#: The source of features imported without OpenStreetMap ids (keyed by name and place, see _own_key).
OWN_SOURCE = "geojson"
OSM_ID = re.compile(r"^(node|way|relation)/\d+$")
NOT_HALLS = ("amenity", "shop", "leisure", "office", "craft", "tourism")
ACCESS_TAGS = (
    "wheelchair",
    "wheelchair:description",
    "wheelchair:note",
    "toilets:wheelchair",
    "toilets:disabled",
    "toilets_disabled",
    "parking:disabled",
    "hearing_loop",
    "deaf:description:en",
    "blind:description:en",
    "changing_table",
    "ramp",
    "step_count",
    "automatic_door",
)
YES = ("yes", "designated")


@dataclass(frozen=True)
class OsmFeature:
    """One feature of an OSM export: where it is in which file, its id, tags and parsed geometry."""

    file: str
    index: int
    osm_id: str | None
    tags: dict[str, str]
    geom: BaseGeometry | None
    geometry_error: str | None = None

    @property
    def row(self) -> str:
        """How a report names this feature: file and 1-based position."""
        return f"{self.file} feature {self.index}"


def classify(tags: dict[str, str]) -> tuple[str, str] | None:
    """("hub", kind) or ("space", kind) for a feature's OSM tags, or None when it is neither."""
    amenity, leisure = tags.get("amenity"), tags.get("leisure")
    if amenity == "library":
        return ("hub", "library")
    if amenity in ("community_centre", "social_centre"):
        return (
            "hub",
            "village_hall" if tags.get("community_centre") == "village_hall" else "community_centre",
        )
    if amenity == "village_hall":
        return ("hub", "village_hall")
    if amenity == "place_of_worship":
        return ("hub", "place_of_worship")
    if leisure == "sports_centre":
        return ("hub", "sports_centre")
    if amenity == "school":
        return ("hub", "school")
    shop = tags.get("shop")
    # disused:shop=* on a feature that still carries another shop=* tag is a stale tag, not an empty unit.
    if shop == "vacant" or (shop is None and any(k == "disused:shop" for k in tags)):
        return ("space", "vacant_shop")
    # building=hall only describes the building: a named hall with no function tag is taken as a hall to
    # hire; a shop or sports centre in a hall building is not.
    if tags.get("building") == "hall" and tags.get("name") and not any(tags.get(k) for k in NOT_HALLS):
        return ("hub", "village_hall")
    return None


def read_osm_features(paths: list[Path], what: str = WHAT, crs: str | None = None) -> Iterator[OsmFeature]:
    """Yield every feature of the GeoJSON files (raising ImportFailed for a file that cannot be read), with
    geometries in longitude/latitude: reprojected from ``crs``, else from the file's own (old-style) ``crs``
    member, when either is not longitude/latitude."""
    for path in paths:
        features, declared = _features(path, what)
        project = _projection(crs or declared, path, what)
        for i, raw in enumerate(features, start=1):
            props = raw.get("properties") or {}
            tags = {
                str(k): str(v)
                for k, v in props.items()
                if k not in ("mapFeature", "id", "@id")
                and isinstance(v, str | int | float)
                and not isinstance(v, bool)
            }
            osm_id = raw.get("id") or props.get("@id") or props.get("id")
            geom, error = _geometry(raw.get("geometry"))
            if project is not None and geom is not None:
                geom = shapely.transform(geom, project, interleaved=False)
            yield OsmFeature(path.name, i, str(osm_id).strip() if osm_id else None, tags, geom, error)


def _projection(crs: str | None, path: Path, what: str) -> Any:
    """A function from ``crs`` to longitude/latitude for shapely.ops.transform, or None when none is needed."""
    if crs is None:
        return None
    try:
        source = CRS.from_user_input(crs)
    except CRSError:
        raise fail(what, path.name, f"unknown CRS {crs!r}", "Give an EPSG code such as EPSG:27700.") from None
    if source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return None
    return Transformer.from_crs(source, 4326, always_xy=True).transform


def _features(path: Path, what: str) -> tuple[list[dict[str, Any]], str | None]:
    if not path.exists():
        raise fail(what, str(path), "file not found", "Check the path.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise fail(
            what,
            path.name,
            "the file is not readable JSON",
            f"{type(exc).__name__}: {exc}. Export GeoJSON from Overpass (overpass-turbo: Export, GeoJSON).",
        ) from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise fail(
            what,
            path.name,
            "not a GeoJSON FeatureCollection",
            'The file needs {"type": "FeatureCollection", "features": [...]}.',
        )
    declared = ((data.get("crs") or {}).get("properties") or {}).get("name")
    return features, str(declared) if declared else None


def _geometry(raw: Any) -> tuple[BaseGeometry | None, str | None]:
    if raw is None:
        return None, None
    try:
        return shapely.geometry.shape(raw), None
    except Exception as exc:  # shapely raises several types for malformed GeoJSON geometry
        return None, f"unreadable geometry ({type(exc).__name__}: {exc})"


def feature_point(feature: OsmFeature) -> tuple[BaseGeometry | None, str | None]:
    """The feature's point (a representative point for lines and areas), or why it has none."""
    if feature.geometry_error:
        return None, feature.geometry_error
    problem = precheck(feature.geom)
    if problem is None and feature.geom is not None:
        problem = lonlat_problem(feature.geom)
    if problem is not None or feature.geom is None:
        return None, problem
    return to_point(feature.geom), None


def import_osm(
    conn: Connection,
    paths: list[Path],
    *,
    allow_rejects: bool = False,
    progress: Progress | None = None,
    crs: str | None = None,
) -> ImportReport:
    """Load hubs and vacant shops from OSM GeoJSON files (upserting by OSM id) in one savepoint.

    A feature with no OpenStreetMap id (a council's own GeoJSON, say) is keyed by its name and postcode, or
    its name and place to about 10 m, so that importing the same file again updates it; one with neither an
    id nor a name is rejected, saying so."""
    progress = progress or NoProgress()
    report = ImportReport(what=WHAT, source=", ".join(p.name for p in paths))
    progress.start(f"Reading {len(paths)} OpenStreetMap file(s)", len(paths))
    features: list[OsmFeature] = []
    for path in paths:  # each file is one JSON document: count files, not features
        features.extend(read_osm_features([path], crs=crs))
        progress.advance()
    report.rows = len(features)
    progress.start(f"Checking {len(features)} OpenStreetMap features", len(features))
    hubs: dict[str, dict[str, Any]] = {}
    spaces: dict[str, dict[str, Any]] = {}
    duplicates = unkeyed = 0
    for f in features:
        progress.advance()
        kind = classify(f.tags)
        if kind is None:
            report.skipped += 1
            continue
        if f.osm_id and not OSM_ID.match(f.osm_id):
            reason = f"id {f.osm_id!r} is not an OpenStreetMap id like node/123: remove it, or give OSM ids"
            report.reject(f.row, reason, f.tags.get("name", ""))
            continue
        point, problem = feature_point(f)
        if point is None:
            report.reject(f.row, problem or "no geometry", f.tags.get("name") or f.osm_id or "")
            continue
        key = f.osm_id or _own_key(f.tags, point)
        if key is None:
            report.reject(f.row, "no OpenStreetMap id and no name: give each feature an id or a name")
            continue
        if key in hubs or key in spaces:
            duplicates += 1  # the same object exported in two files
            continue
        unkeyed += f.osm_id is None
        row = _common(f, point, report) | ({} if f.osm_id else {"source": OWN_SOURCE, "source_id": key})
        if kind[0] == "hub":
            hubs[key] = row | _hub_fields(f.tags, kind[1])
        else:
            spaces[key] = row | {
                "name": row["name"] or vacant_shop_name(f.tags, key),
                "kind": kind[1],
            }
    if report.skipped:
        report.skipped_reason = "not a community building or vacant shop"
    if duplicates:
        report.skipped += duplicates
        report.notes.append(f"{duplicates} features appear in more than one file and were loaded once")
    if unkeyed:
        report.notes.append(
            f"{unkeyed} features have no OpenStreetMap id: each is known by its name and postcode (or place), "
            "so importing the file again updates them"
        )
    report.fail_if_rejected(allow_rejects)

    progress.start(f"Writing {len(hubs):,} hubs and {len(spaces):,} spaces", len(hubs) + len(spaces))
    with conn.begin_nested():
        register_hours(conn, [h.get("opening_hours") for h in hubs.values()])
        for record_kind, model, rows in (
            ("hub", Hub, list(hubs.values())),
            ("space", Space, list(spaces.values())),
        ):
            counts = upsert(
                conn,
                cast(Table, model.__table__),
                rows,
                ["source", "source_id"],
                returning="id",
                progress=progress,
            )
            report.loaded += counts.inserted
            report.updated += counts.updated
            report.unchanged += counts.unchanged
            record_import(conn, record_kind, list(counts.ids or []))
    by_kind = Counter(r["kind"] for r in hubs.values())
    report.notes.append("hubs: " + ", ".join(f"{n} {k}" for k, n in sorted(by_kind.items())))
    report.notes.append(f"spaces: {len(spaces)} vacant_shop")
    return report


def _common(f: OsmFeature, point: BaseGeometry, report: ImportReport) -> dict[str, Any]:
    """Columns hubs and spaces share."""
    t = f.tags
    postcode = None
    if t.get("addr:postcode"):
        postcode = normalise_postcode(t["addr:postcode"])
        if postcode is None:
            report.repair(
                f.row,
                f"addr:postcode {t['addr:postcode']!r} is not a valid postcode; left empty",
                f.osm_id or "",
            )
    return {
        "name": (t.get("name") or "").strip(),
        "description": t.get("description"),
        "address": address(t),
        "postcode": postcode,
        "geom": from_shape(point, srid=4326),
        "step_free": step_free(t.get("wheelchair")),
        "accessibility": {k: t[k] for k in ACCESS_TAGS if k in t},
        "website": _web_address(t.get("website") or t.get("contact:website") or t.get("url")),
        "email": t.get("email") or t.get("contact:email"),
        "phone": t.get("phone") or t.get("contact:phone"),
        "source": SOURCE,
        "source_id": f.osm_id,
    }


def _own_key(tags: dict[str, str], point: BaseGeometry) -> str | None:
    """A stable id for a feature with no OpenStreetMap id: its name with its postcode, else with its point
    to 4 decimal places (about 10 m); None without a name."""
    name = (tags.get("name") or "").strip()
    if not name:
        return None
    postcode = normalise_postcode(tags.get("addr:postcode"))
    return place_key(name, postcode, point.x, point.y)


def _web_address(value: str | None) -> str | None:
    """An OpenStreetMap web address as the forms would take it (layers.fields.Url), else none."""
    if not value:
        return None
    try:
        address: str = checked(Url, value)
    except ValueError:
        return None
    return address


def _hub_fields(t: dict[str, str], kind: str) -> dict[str, Any]:
    operator = t.get("operator")
    near = t.get("addr:street") or t.get("addr:postcode")
    fallback = HUB_KINDS[kind] + (f" near {near}" if near else " (no name in OpenStreetMap)")
    return {
        "name": (t.get("name") or "").strip() or fallback,
        "kind": kind,
        "facilities": facilities(t),
        "opening_hours": t.get("opening_hours"),
        "operator_name": operator,
        "operator_type": "council" if operator and "council" in operator.lower() else "unknown",
    }


def address(t: dict[str, str]) -> str | None:
    """A one-line address from addr:* tags (addr:full when given); the postcode is stored separately."""
    if t.get("addr:full"):
        return t["addr:full"].strip()
    number, street = t.get("addr:housenumber"), t.get("addr:street")
    parts = [
        t.get("addr:unit"),
        t.get("addr:housename"),
        " ".join(p for p in (number, street) if p) or None,
        t.get("addr:place"),
        t.get("addr:suburb"),
        t.get("addr:city"),
    ]
    text = ", ".join(dict.fromkeys(p.strip() for p in parts if p and p.strip()))
    return text or None


def vacant_shop_name(t: dict[str, str], osm_id: str) -> str:
    """A name for an unnamed vacant shop from its address."""
    number, street = t.get("addr:housenumber"), t.get("addr:street") or t.get("addr:place")
    if number and street:
        return f"Vacant shop, {number} {street}"
    if t.get("addr:full"):
        return f"Vacant shop, {t['addr:full']}"
    unit = t.get("addr:housename") or t.get("addr:unit") or number
    near = street or normalise_postcode(t.get("addr:postcode") or "")
    if near:
        return f"Vacant shop {unit} near {near}" if unit else f"Vacant shop near {near}"
    return f"Vacant shop, {unit}" if unit else f"Vacant shop (OpenStreetMap {osm_id})"


def step_free(wheelchair: str | None) -> bool | None:
    """OSM wheelchair=* as step-free access: yes/designated True, no/limited False, else unknown."""
    if wheelchair in YES:
        return True
    if wheelchair in ("no", "limited"):
        return False
    return None


def facilities(t: dict[str, str]) -> list[str]:
    """Facilities named by OSM tags, sorted."""
    found = set()
    if t.get("internet_access") in ("wlan", "wifi"):
        found.add("wifi")
    elif t.get("internet_access") in ("yes", "terminal", "wired"):
        found.add("internet")
    if t.get("toilets") in YES:
        found.add("toilets")
    if any(t.get(k) in YES for k in ("toilets:wheelchair", "toilets:disabled", "toilets_disabled")):
        found.add("accessible_toilets")
    if t.get("parking") not in (None, "no"):
        found.add("parking")
    if t.get("parking:disabled") in YES:
        found.add("disabled_parking")
    if t.get("changing_table") in YES:
        found.add("baby_changing")
    if t.get("hearing_loop") in YES:
        found.add("hearing_loop")
    if t.get("drinking_water") in YES:
        found.add("drinking_water")
    return sorted(found)
