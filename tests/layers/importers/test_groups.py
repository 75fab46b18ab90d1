"""Groups importer: the demo's 70 groups, locations, vocabularies, private contacts, hostile files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from layers.errors import ImportFailed
from layers.importers.demo import NORWICH, demo_files, table_counts
from layers.importers.demo_groups import place_demo_groups
from layers.importers.groups import import_groups, slug
from tests.conftest import DATA

REVIEW = demo_files(DATA)["groups"][0]
REVIEW_SOURCE = "Norwich City Council scrutiny review 2015, appendix D"
MANCROFT = "E05005882"


def _csv(tmp_path: Path, rows: list[dict[str, str]], name: str = "groups.csv") -> Path:
    path = tmp_path / name
    columns = list(dict.fromkeys(c for r in rows for c in r))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_slug() -> None:
    assert slug("Age UK Norwich") == "age-uk-norwich"
    assert slug("King's Money Advice") == "kings-money-advice"
    assert slug("Coltishall & Horstead Youth Forum") == "coltishall-horstead-youth-forum"
    assert slug("Café Bürger") == "cafe-burger"
    assert slug("!!!") == ""


def test_demo_groups_serve_norwich(conn: Connection) -> None:
    rows = conn.execute(
        text(
            "SELECT g.location_precision, g.geom IS NULL AS no_point, g.source, array_agg(a.code) AS areas "
            "FROM groups g JOIN group_areas ga ON ga.group_id = g.id JOIN areas a ON a.id = ga.area_id "
            "GROUP BY g.id"
        )
    ).all()
    review = [r for r in rows if r.source == REVIEW_SOURCE]
    assert len(review) == 70 and {tuple(r.areas) for r in review} == {(NORWICH,)}
    # placed by the demo's next step (layers/importers/demo_groups.py): at a venue or hub, or (2) by area only
    assert {(r.location_precision, r.no_point) for r in review} == {
        ("hub", False),
        ("venue", False),
        ("area", True),
    }
    assert sum(r.no_point for r in review) == 2
    assert (
        conn.execute(text("SELECT count(*) FROM groups WHERE source = :s"), {"s": REVIEW_SOURCE}).scalar_one()
        == 70
    )
    age_uk = conn.execute(text("SELECT name FROM groups WHERE source_id = 'age-uk-norwich'")).scalar_one()
    assert age_uk == "Age UK Norwich"


def test_reimport_is_idempotent(conn: Connection) -> None:
    before = table_counts(conn)
    placed = "SELECT name, hub_id, location_precision, ST_AsText(geom), venue_address FROM groups ORDER BY id"
    places = conn.execute(text(placed)).all()
    report = import_groups(conn, REVIEW, serves=[NORWICH])
    # the file has no location columns, so the import sets each group back to serving its area; the demo's
    # next step places them again (layers/importers/demo_groups.py), and the two together change nothing
    assert (report.rows, report.loaded, report.updated + report.unchanged) == (70, 0, 70)
    place_demo_groups(conn, demo_files(DATA)["group_places"][0])
    assert table_counts(conn) == before
    assert conn.execute(text(placed)).all() == places


FULL = {
    "id": "G1",
    "name": "Forum Knitters",
    "description": "Knitting and natter",
    "categories": "arts-culture; older-people",
    "communities_of_identity": "older-people",
    "communities_of_interest": "arts;gardening",
    "activities": "knitting; crochet",
    "languages": "English;Polish",
    "skills_sought": "treasurer",
    "website": "https://example.org/knit",
    "email": "knit@example.org",
    "phone": "01603 000000",
    "contact_name": "Jo Bloggs",
    "contact_email": "jo.home@example.net",
    "contact_phone": "07700 900123",
    "home_address": "12 Secret Lane, Norwich NR3 9ZZ",
    "lon": "",
    "lat": "",
    "venue_address": "",
    "postcode": "",
    "hub": "node/299412199",
    "areas_served": MANCROFT,
    "cost": "free",
    "age_min": "50",
    "age_max": "99",
    "volunteers_wanted": "yes",
    "status": "active",
    "last_verified_at": "2024-05-31",
}


def test_full_row(conn: Connection, tmp_path: Path) -> None:
    venue = FULL | {
        "id": "G2",
        "name": "Walking Group",
        "hub": "",
        "lon": "1.2935",
        "lat": "52.6286",
        "venue_address": "Outside City Hall",
        "areas_served": "",
    }
    by_postcode = FULL | {
        "id": "G3",
        "name": "Postcode Group",
        "hub": "",
        "postcode": "nr21aw",
        "areas_served": "",
    }
    report = import_groups(conn, _csv(tmp_path, [FULL, venue, by_postcode]), serves=[NORWICH])
    assert (report.loaded, report.updated, report.unchanged) == (3, 0, 0)
    g = (
        conn.execute(
            text(
                "SELECT g.*, ST_X(g.geom) AS lon, ST_Y(g.geom) AS lat, h.name AS hub_name, "
                "(SELECT array_agg(a.code) FROM group_areas ga JOIN areas a ON a.id = ga.area_id WHERE ga.group_id = g.id) "
                "AS areas FROM groups g LEFT JOIN hubs h ON h.id = g.hub_id WHERE g.source = 'spreadsheet' ORDER BY g.source_id"
            )
        )
        .mappings()
        .all()
    )
    hub, walking, postcode = g
    assert hub["hub_name"] == "Norfolk and Norwich Millennium Library" and hub["location_precision"] == "hub"
    assert (hub["lon"], hub["lat"]) == pytest.approx((1.2909467, 52.6277308))
    assert hub["categories"] == ["arts-culture", "older-people"]
    assert hub["communities_of_interest"] == ["arts", "gardening"]
    assert hub["activities"] == ["knitting", "crochet"] and hub["languages"] == ["English", "Polish"]
    assert (hub["cost"], hub["age_min"], hub["age_max"], hub["volunteers_wanted"]) == ("free", 50, 99, True)
    assert hub["last_verified_at"].date().isoformat() == "2024-05-31"
    assert hub["areas"] == [MANCROFT]
    assert walking["location_precision"] == "venue" and walking["venue_address"] == "Outside City Hall"
    assert (walking["lon"], walking["lat"]) == pytest.approx((1.2935, 52.6286))
    assert walking["areas"] == [NORWICH]  # no areas_served of its own: the `serves` default
    assert postcode["location_precision"] == "venue" and postcode["postcode"] == "NR2 1AW"
    assert postcode["lon"] == pytest.approx(1.2909467, abs=1e-3)


def test_private_contact_stays_private(conn: Connection, tmp_path: Path) -> None:
    import_groups(conn, _csv(tmp_path, [FULL]))
    private, public = conn.execute(
        text(
            "SELECT private_contact, (to_jsonb(g) - 'private_contact')::text FROM groups g WHERE source_id = 'G1'"
        )
    ).one()
    assert private == {
        "name": "Jo Bloggs",
        "email": "jo.home@example.net",
        "phone": "07700 900123",
        "home_address": "12 Secret Lane, Norwich NR3 9ZZ",
    }
    for secret in ("Jo Bloggs", "jo.home@example.net", "07700 900123", "Secret Lane"):
        assert secret not in public


def test_source_argument_and_areas_changes(conn: Connection, tmp_path: Path) -> None:
    path = _csv(tmp_path, [{"name": "Tiny Group", "areas_served": MANCROFT}])
    report = import_groups(conn, path, source="my council list")
    assert report.loaded == 1
    assert (
        conn.execute(text("SELECT source_id FROM groups WHERE source = 'my council list'")).scalar_one()
        == "tiny-group"
    )
    path = _csv(tmp_path, [{"name": "Tiny Group", "areas_served": f"{MANCROFT}; {NORWICH}"}])
    report = import_groups(conn, path, source="my council list")
    assert (report.loaded, report.updated, report.unchanged) == (0, 1, 0)
    codes = conn.execute(
        text(
            "SELECT array_agg(a.code ORDER BY a.code) FROM group_areas ga JOIN areas a ON a.id = ga.area_id "
            "JOIN groups g ON g.id = ga.group_id WHERE g.source = 'my council list'"
        )
    ).scalar_one()
    assert codes == [MANCROFT, NORWICH]
    assert import_groups(conn, path, source="my council list").unchanged == 1


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"categories": "knitting"}, "unknown categories 'knitting'; allowed: advice-support, arts-culture"),
        (
            {"communities_of_identity": "cats"},
            "unknown communities of identity 'cats'; allowed: older-people",
        ),
        ({"areas_served": "E05999999"}, "unknown area code(s) E05999999"),
        ({"postcode": "NR99 9ZZ", "areas_served": ""}, "postcode NR99 9ZZ is not in the postcodes table"),
        ({"postcode": "not a postcode"}, "'not a postcode' is not a valid postcode"),
        ({"hub": "node/1"}, "hub 'node/1' is not a hub id"),
        ({"lon": "1.29", "lat": "north"}, "must both be numbers"),
        ({"lon": "52.6", "lat": "1.29"}, "swapped"),
        ({"lon": "1.29", "lat": "95"}, "out of range"),
        ({"lon": "nan", "lat": "52.6"}, "not numbers"),
        ({"areas_served": ""}, "a group needs a venue, a hub, a postcode or an area it serves"),
        ({"cost": "cheap"}, "unknown cost 'cheap'; allowed: free, low-cost, paid"),
        ({"age_min": "ten"}, "age_min 'ten' is not a whole number"),
        ({"age_min": "60", "age_max": "18"}, "age_min 60 is more than age_max 18"),
        ({"volunteers_wanted": "maybe"}, "is not yes or no"),
        ({"status": "asleep"}, "unknown status 'asleep'"),
        ({"website": "javascript:alert(1)"}, "website: give a web address like https://example.org"),
        ({"website": "java\tscript:alert(1)"}, "website: give a web address like https://example.org"),
        ({"name": "x" * 201}, "name: String should have at most 200 characters"),
        ({"last_verified_at": "31/05/2024"}, "is not an ISO date"),
        ({"name": "  "}, "no name"),
        ({"name": "Good Group"}, "same id 'good-group' as row 1"),
    ],
)
def test_bad_rows_are_rejected(conn: Connection, tmp_path: Path, bad: dict[str, str], reason: str) -> None:
    good = {
        "name": "Good Group",
        "areas_served": MANCROFT,
        "categories": "",
        "communities_of_identity": "",
        "postcode": "",
        "hub": "",
        "lon": "",
        "lat": "",
        "cost": "",
        "age_min": "",
        "age_max": "",
        "volunteers_wanted": "",
        "status": "",
        "last_verified_at": "",
    }
    path = _csv(tmp_path, [good, good | {"name": "Bad Group"} | bad])
    before = table_counts(conn)
    with pytest.raises(ImportFailed) as failed:
        import_groups(conn, path)
    assert "1 of 2 rows rejected" in failed.value.message
    assert "row 2" in failed.value.detail and reason in failed.value.detail
    assert table_counts(conn) == before
    report = import_groups(conn, path, allow_rejects=True)
    assert report.loaded == 1 and len(report.rejected) == 1
    assert table_counts(conn)["groups"] == before["groups"] + 1


def test_file_level_failures(conn: Connection, tmp_path: Path) -> None:
    before = table_counts(conn)
    with pytest.raises(ImportFailed, match="no name column"):
        import_groups(conn, _csv(tmp_path, [{"label": "A group"}]))
    with pytest.raises(ImportFailed, match="unknown area code"):
        import_groups(conn, _csv(tmp_path, [{"name": "A group"}]), serves=["E07999999"])
    with pytest.raises(ImportFailed, match="file not found"):
        import_groups(conn, tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImportFailed, match="the file is empty"):
        import_groups(conn, empty)
    assert table_counts(conn) == before


def test_unknown_columns_are_noted(conn: Connection, tmp_path: Path) -> None:
    report = import_groups(
        conn, _csv(tmp_path, [{"name": "A group", "favourite_colour": "blue"}]), serves=[NORWICH]
    )
    assert report.loaded == 1 and "columns not used: favourite_colour" in report.notes


def test_the_same_list_under_another_name_updates(conn: Connection, tmp_path: Path) -> None:
    rows = [{"name": "Renamed File Walkers", "areas_served": NORWICH}]
    assert import_groups(conn, _csv(tmp_path, rows, "groups 2025.csv")).loaded == 1
    again = import_groups(conn, _csv(tmp_path, rows, "groups (final) 2026.csv"))
    assert (again.loaded, again.unchanged) == (0, 1)
