"""Places for the demo's 70 Norwich groups, so they appear on the residents' map.

The council's list (``data/norwich_review_groups.csv``) names the groups but says nowhere where they meet.
``data/norwich_group_places.csv`` says, for each, how it is placed:

- ``source``: a public source gives its place: an OpenStreetMap feature of Norwich (in ``data/osm_norwich``)
  matched by name, or the building the group is known to run (the Forum Trust and The Forum);
- ``sample``: no public source gives one, so a **plausible** venue is made up: a real Norwich hub (a library,
  community centre or sports centre from OpenStreetMap) in the area the group's name names, or else a library
  or sports centre in each of the city's wards in turn (so made-up venues do not pile up in one ward). The
  group is real; its venue is not. ``venue_sample`` is set, and the map, the search list and the details
  panel say "sample";
- ``none``: the group is outside Norwich and stays serving its area, with no point.

Where the place is a demo hub, the group is placed at the hub (``hub_id``, precision ``hub``); otherwise at the
feature's point (precision ``venue``). Only groups still unplaced, or placed by this step before, are changed:
a group someone has placed since keeps its place. A second run changes nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, text

from layers.importers.report import ImportReport, NoProgress, Progress, fail

WHAT = "Places of the demo's groups"
PLACED: Final = ("source", "sample", "none")
COLUMNS: Final = ("name", "placed", "osm_id", "venue", "lon", "lat", "how")
GROUPS_SOURCE: Final = "Norwich City Council scrutiny review 2015, appendix D"

_PLACE = text(
    "WITH hub AS (SELECT id, geom FROM hubs WHERE source = 'osm' AND source_id = :osm) "
    "UPDATE groups g SET hub_id = (SELECT id FROM hub), "
    "location_precision = CASE WHEN EXISTS (SELECT 1 FROM hub) THEN 'hub' ELSE 'venue' END, "
    "geom = coalesce((SELECT geom FROM hub), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)), "
    "venue_address = :venue, venue_sample = :sample, updated_at = now() "
    "WHERE g.source = :source AND g.name = :name "
    "AND ((g.geom IS NULL AND g.hub_id IS NULL AND g.location_precision = 'area') OR g.venue_address = :venue) "
    "AND (g.hub_id, g.geom, g.venue_address, g.venue_sample) IS DISTINCT FROM "
    "((SELECT id FROM hub), coalesce((SELECT geom FROM hub), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)), "
    ":venue, :sample) "
    "RETURNING g.id"
)
_EXISTS = text("SELECT count(*) FROM groups WHERE source = :source AND name = :name")


def read_places(path: Path) -> list[dict[str, str]]:
    """The rows of the places file, checked: every column there, ``placed`` one of PLACED, a point if placed."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or set(COLUMNS) - set(rows[0]):
        raise fail(WHAT, path.name, "the file lacks columns", f"It needs {', '.join(COLUMNS)}.")
    for i, row in enumerate(rows, start=2):
        if row["placed"] not in PLACED or (row["placed"] != "none" and not (row["lon"] and row["lat"])):
            raise fail(
                WHAT, path.name, f"row {i} is not valid", f"placed is one of {PLACED}, with lon and lat."
            )
    return rows


def place_demo_groups(
    conn: Connection, path: Path, *, source: str = GROUPS_SOURCE, progress: Progress | None = None
) -> ImportReport:
    """Place the demo's groups as the places file says; a report saying how many from a source, how many sample."""
    progress = progress or NoProgress()
    rows = read_places(path)
    report = ImportReport(what=WHAT, source=path.name, rows=len(rows))
    progress.start("Placing the demo's groups", len(rows))
    counts = {"source": 0, "sample": 0, "none": 0}
    for i, row in enumerate(rows, start=2):
        progress.advance()
        if not conn.execute(_EXISTS, {"source": source, "name": row["name"]}).scalar_one():
            report.reject(i, "no demo group of that name", row["name"])
            continue
        counts[row["placed"]] += 1
        if row["placed"] == "none":
            report.unchanged += 1
            continue
        params = {
            "osm": row["osm_id"],
            "lon": float(row["lon"]),
            "lat": float(row["lat"]),
            "venue": row["venue"]
            + (" (sample venue, made up for the demo)" if row["placed"] == "sample" else ""),
            "sample": row["placed"] == "sample",
            "source": source,
            "name": row["name"],
        }
        changed = conn.execute(_PLACE, params).all()
        if changed:
            report.loaded += len(changed)
        else:
            report.unchanged += 1
    report.notes.append(
        f"{counts['source']} groups placed where a public source (OpenStreetMap) gives their place; "
        f"{counts['sample']} at a sample venue (a real Norwich hub, made up as theirs: labelled sample); "
        f"{counts['none']} outside Norwich left serving their area. How each was placed: {path.name}"
    )
    return report
