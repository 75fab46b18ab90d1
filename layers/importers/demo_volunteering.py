"""Sample volunteering for the demo: a few made-up groups that want volunteers, and made-up offers of help.

So a demo co-ordinator sees offers of help meet groups (``layers.offers.matching``), this step adds four
groups that want volunteers (three with a made-up venue, one serving the whole of Norwich) and three
accepted offers of help in Norwich, following up. Everything here is made up and labelled **sample**: the
groups' names end "(sample group)", their venues are marked ``venue_sample`` and their ``source`` is
``demo-volunteering``; each offer's details carry ``sample: true`` and its volunteer's name says "Sample".
Contacts are at example.org (a domain that never receives mail). The demo's real groups are left as they
are: none of them is made to want volunteers. A second run adds nothing.
"""

from __future__ import annotations

import json
from typing import Any, Final

from sqlalchemy import Connection, text

from layers.importers.report import ImportReport, NoProgress, Progress
from layers.offers.forms import CONSENT_TEXT
from layers.records.versions import record_import

WHAT = "Sample groups wanting volunteers, and sample offers of help"
SOURCE: Final = "demo-volunteering"
NORWICH: Final = "E07000148"

GROUPS: Final[tuple[dict[str, Any], ...]] = (
    {
        "key": "drivers", "name": "Mile Cross Community Drivers (sample group)",
        "description": "Sample group, made up for the demo: volunteer drivers taking older neighbours to "
        "appointments and the shops.",
        "categories": ["older-people", "mutual-aid"], "skills": ["drivers", "befrienders"],
        "accepts": True, "point": (1.2771, 52.6452),
        "venue": "Sample venue near Mile Cross Road (made up for the demo)",
        "organiser": {"name": "Sample organiser (drivers)", "email": "drivers.organiser@example.org"},
    },
    {
        "key": "lunch", "name": "Lakenham Lunch Club (sample group)",
        "description": "Sample group, made up for the demo: a weekly hot lunch and a chat.",
        "categories": ["food", "older-people"], "skills": ["cooks", "befriending", "washing up"],
        "accepts": True, "point": (1.2985, 52.6125),
        "venue": "Sample venue in Lakenham (made up for the demo)",
        "organiser": {"name": "Sample organiser (lunch club)", "email": "lunch.organiser@example.org"},
    },
    {
        "key": "garden", "name": "City Centre Garden Volunteers (sample group)",
        "description": "Sample group, made up for the demo: planting and weeding in small city gardens.",
        "categories": ["environment"], "skills": ["gardeners"],
        "accepts": False, "point": (1.2960, 52.6300),
        "venue": "Sample venue in the city centre (made up for the demo)",
        "organiser": {"name": "Sample organiser (gardens)", "email": "garden.organiser@example.org"},
    },
    {
        "key": "befriending", "name": "Norwich Befriending Network (sample group)",
        "description": "Sample group, made up for the demo: phone and visiting befrienders across Norwich.",
        "categories": ["older-people", "health-wellbeing"], "skills": ["befrienders"],
        "accepts": True, "point": None, "venue": None,
        "organiser": {"name": "Sample organiser (befriending)", "email": "befriending.organiser@example.org"},
    },
)  # fmt: skip
OFFERS: Final[tuple[dict[str, Any], ...]] = (
    {
        "reference": "PM-SAMPLE01", "name": "Sam Sample", "email": "sam.sample@example.org",
        "offer": "Sample offer: I have a car and could drive people to appointments on weekday mornings.",
        "skills": ["driving"], "categories": ["older-people"], "when": "weekday mornings",
        "share": True, "point": (1.2800, 52.6420),
    },
    {
        "reference": "PM-SAMPLE02", "name": "Alex Sample", "email": "alex.sample@example.org",
        "offer": "Sample offer: I like cooking for lots of people and could help at a lunch club.",
        "skills": ["cooking"], "categories": ["food"], "when": "Thursdays",
        "share": True, "point": (1.3010, 52.6150),
    },
    {
        "reference": "PM-SAMPLE03", "name": "Jo Sample", "email": "jo.sample@example.org",
        "offer": "Sample offer: gardening, an afternoon a week.",
        "skills": ["gardening"], "categories": ["environment"], "when": "Saturday afternoons",
        "share": False, "point": (1.2930, 52.6309),
    },
)  # fmt: skip

POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
ADD_GROUP = text(
    "INSERT INTO groups (name, description, categories, volunteers_wanted, skills_sought,"
    " accepts_introductions, geom, venue_address, location_precision, venue_sample, private_contact,"
    " source, source_id)"
    " VALUES (:name, :description, :categories, true, :skills, :accepts,"
    " CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL"
    " ELSE ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326) END,"
    " :venue, :precision, :sample_venue, CAST(:organiser AS jsonb), :source, :key)"
    " ON CONFLICT ON CONSTRAINT uq_groups_source_id DO NOTHING RETURNING id"
)
SERVES_NORWICH = text(
    "INSERT INTO group_areas (group_id, area_id) SELECT :g, id FROM areas WHERE code = :code"
    " ON CONFLICT DO NOTHING"
)
WARD_OF = text(
    "SELECT code FROM areas WHERE kind = 'ward' AND parent_code = :district"
    f" AND ST_Covers(geom, {POINT}) LIMIT 1"
)
ADD_OFFER = text(
    "INSERT INTO submissions (reference, kind, status, details, contact, geom, ward_code, district_code,"
    " client_key, moderated_at, follow_up)"
    f" VALUES (:reference, 'help', 'approved', CAST(:details AS jsonb), CAST(:contact AS jsonb), {POINT},"
    " :ward, :district, 'demo-sample', now(), 'open')"
    " ON CONFLICT (reference) DO NOTHING RETURNING id"
)


def add_sample_volunteering(conn: Connection, *, progress: Progress | None = None) -> ImportReport:
    """The sample groups wanting volunteers and sample accepted offers of help, in one savepoint."""
    progress = progress or NoProgress()
    report = ImportReport(what=WHAT, source="made up for the demo (sample)")
    progress.start("Adding sample volunteering", None)
    added: list[int] = []
    with conn.begin_nested():
        for g in GROUPS:
            lon, lat = g["point"] or (None, None)
            params = {
                "name": g["name"], "description": g["description"], "categories": g["categories"],
                "skills": g["skills"], "accepts": g["accepts"], "lon": lon, "lat": lat, "venue": g["venue"],
                "precision": "venue" if g["point"] else "area", "sample_venue": g["point"] is not None,
                "organiser": json.dumps(g["organiser"]), "source": SOURCE, "key": g["key"],
            }  # fmt: skip
            group_id = conn.execute(ADD_GROUP, params).scalar()
            if group_id is not None:
                added.append(group_id)
                conn.execute(SERVES_NORWICH, {"g": group_id, "code": NORWICH})
        record_import(conn, "group", added)
        offers = 0
        for o in OFFERS:
            lon, lat = o["point"]
            ward = conn.execute(WARD_OF, {"district": NORWICH, "lon": lon, "lat": lat}).scalar()
            details = {
                "offer": o["offer"], "skills": o["skills"], "categories": o["categories"], "days": [],
                "when": o["when"], "share_contact": o["share"], "sample": True,
                "where": {"given": "point", "approximate": True},
            }  # fmt: skip
            contact = {"name": o["name"], "email": o["email"], "consent": CONSENT_TEXT}
            params = {"reference": o["reference"], "details": json.dumps(details), "contact": json.dumps(contact),
                      "lon": lon, "lat": lat, "ward": ward, "district": NORWICH}  # fmt: skip
            offers += conn.execute(ADD_OFFER, params).scalar() is not None
    report.rows = len(GROUPS) + len(OFFERS)
    report.loaded = len(added) + offers
    report.unchanged = report.rows - report.loaded
    report.notes.append(
        f"{len(added)} sample groups wanting volunteers and {offers} sample accepted offers of help added "
        "(all made up, labelled sample)"
    )
    return report
