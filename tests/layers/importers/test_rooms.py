"""A hub's rooms from a council's own spreadsheet (layers.importers.rooms): Excel's CSV (cp1252, semicolons)
and .xlsx, the headers councils use, a hub named by its reference or by its name and postcode, re-imports
under another name that update instead of duplicating, a version per change, bad rows refused with the
reason, and a failed import changing nothing. Also through ``patchmap import rooms``."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from api.cli import app
from layers.db import make_engine
from layers.errors import ImportFailed
from layers.importers.demo import table_counts
from layers.importers.places import import_places
from layers.importers.rooms import import_rooms
from layers.settings import DatabaseSettings

HUBS = (
    "Reference;Site Name;Type;Post Code;Latitude;Longitude\r\n"
    "H-1;St Mary's Hall;Village or church hall;NR2 1AW;52.6301;1.2950\r\n"
    "H-2;Village Hall;Village or church hall;NR3 1AB;52.6401;1.2850\r\n"
    "H-3;Village Hall;Village or church hall;NR4 7TJ;52.6201;1.2650\r\n"
)
HEADER = "Venue ID;Room Name;Max Capacity;Floor Area;Equipment;Wheelchair;Details\r\n"
ROWS = [
    'H-1;Salle Café;60;85.5;"Kitchen; Hearing loop";yes;Main hall with a stage\r\n',
    "H-1;Vestry;12;;;no;\r\n",
    "H-2;Main Hall;120;200;Stage;yes;\r\n",
]
VERSIONS = "SELECT count(*) FROM record_versions WHERE object_type = 'room' AND object_id = :i"


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("cp1252"))
    return path


def _hubs(conn: Connection, tmp_path: Path) -> dict[str, int]:
    import_places(conn, _write(tmp_path, "hubs.csv", HUBS), kind="hub", source="Halls list")
    rows = conn.execute(text("SELECT source_id, id FROM hubs WHERE source = 'Halls list'")).all()
    return {r.source_id: r.id for r in rows}


def _rooms(tmp_path: Path, rows: list[str], name: str = "rooms.csv", header: str = HEADER) -> Path:
    return _write(tmp_path, name, header + "".join(rows))


def test_rooms_from_an_excel_csv_and_again_under_another_name(conn: Connection, tmp_path: Path) -> None:
    hubs = _hubs(conn, tmp_path)
    report = import_rooms(conn, _rooms(tmp_path, ROWS))
    assert (report.loaded, report.rejected, report.repaired) == (3, [], [])
    assert any("semicolons" in n for n in report.notes) and any("not UTF-8" in n for n in report.notes)
    rooms = conn.execute(
        text(
            "SELECT id, hub_id, name, capacity, floor_area_m2, facilities, step_free, description, source, "
            "source_id, sample FROM rooms WHERE source = 'spreadsheet' ORDER BY name"
        )
    ).all()
    by_name = {r.name: r for r in rooms}
    assert set(by_name) == {"Main Hall", "Salle Café", "Vestry"}
    cafe = by_name["Salle Café"]
    assert (cafe.hub_id, cafe.capacity, float(cafe.floor_area_m2), cafe.step_free) == (
        hubs["H-1"],
        60,
        85.5,
        True,
    )
    assert cafe.facilities == ["kitchen", "hearing_loop"] and cafe.description == "Main hall with a stage"
    assert cafe.source_id == f"hub{hubs['H-1']}/salle-cafe" and cafe.sample is False
    assert by_name["Main Hall"].hub_id == hubs["H-2"] and by_name["Vestry"].step_free is False
    assert all(conn.execute(text(VERSIONS), {"i": r.id}).scalar_one() == 1 for r in rooms)

    # the same list saved under another name, one room changed: updated (one new version), nothing duplicated
    changed = [ROWS[0], ROWS[1].replace(";12;", ";14;"), ROWS[2]]
    again = import_rooms(conn, _rooms(tmp_path, changed, "Rooms (final).csv"))
    assert (again.loaded, again.updated, again.unchanged) == (0, 1, 2)
    assert conn.execute(text("SELECT count(*) FROM rooms WHERE source = 'spreadsheet'")).scalar_one() == 3
    vestry = by_name["Vestry"].id
    assert conn.execute(text("SELECT capacity FROM rooms WHERE id = :i"), {"i": vestry}).scalar_one() == 14
    assert conn.execute(text(VERSIONS), {"i": vestry}).scalar_one() == 2
    assert conn.execute(text(VERSIONS), {"i": cafe.id}).scalar_one() == 1
    third = import_rooms(conn, _rooms(tmp_path, changed, "copy.csv"))  # the same again: nothing to do
    assert (third.loaded, third.updated, third.unchanged) == (0, 0, 3)


def test_rooms_from_a_spreadsheet_by_hub_name_and_postcode(conn: Connection, tmp_path: Path) -> None:
    hubs = _hubs(conn, tmp_path)
    book = Workbook()
    sheet = book.active
    sheet.append(["Reference", "Room", "Venue", "Postcode", "Capacity", "Step-free access"])
    sheet.append(["R1", "Hall", "village hall", "nr4 7tj", 80, "Yes"])
    sheet.append(["R2", "Kitchen", "ST MARYS HALL", "", "", ""])
    sheet.append(["R3", "Hall", "Village Hall", "NR3 1AB", 90, "no"])
    path = tmp_path / "rooms.xlsx"
    book.save(path)
    report = import_rooms(conn, path, source="Bookings team")
    assert (report.loaded, report.rejected) == (3, [])
    assert [str(r) for r in report.repaired] == [
        "row 1 (Hall): hub 'village hall' read as 'Village Hall'",
        "row 2 (Kitchen): hub 'ST MARYS HALL' read as \"St Mary's Hall\"",
    ]
    rows = conn.execute(
        text(
            "SELECT source_id, hub_id, capacity, step_free FROM rooms WHERE source = 'Bookings team' ORDER BY 1"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("R1", hubs["H-3"], 80, True),
        ("R2", hubs["H-1"], None, None),
        ("R3", hubs["H-2"], 90, False),
    ]


def test_a_hub_by_patchmap_number_or_osm_id(conn: Connection, tmp_path: Path) -> None:
    osm_id, number = conn.execute(
        text(
            "SELECT source_id, id FROM hubs WHERE source = 'osm' AND source_id IS NOT NULL ORDER BY id LIMIT 1"
        )
    ).one()
    other = conn.execute(text("SELECT max(id) FROM hubs")).scalar_one()
    path = _rooms(tmp_path, [f"{osm_id};Room A;10;;;;\r\n", f"{other};Room B;20;;;;\r\n"])
    assert import_rooms(conn, path).loaded == 2
    found = conn.execute(
        text("SELECT name, hub_id FROM rooms WHERE source = 'spreadsheet' ORDER BY name")
    ).all()
    assert [tuple(r) for r in found] == [("Room A", number), ("Room B", other)]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("H-9;Lost Room;10;;;;\r\n", "no hub has the reference or number 'H-9'"),
        (";Nowhere Room;10;;;;\r\n", "no hub: give the hub's reference"),
        ("H-1;;10;;;;\r\n", "no name"),
        ("H-1;Big Room;lots;;;;\r\n", "capacity 'lots' is not a whole number"),
        ("H-1;Neg Room;-4;;;;\r\n", "must be more than 0"),
        ("H-1;Huge Room;10;1e12;;;\r\n", "at most 1,000,000"),
        # A decimal comma (or a typo) is refused, never read as 855 or 1,05 as 105.
        (
            "H-1;Comma Room;10;85,5;;;\r\n",
            "floor_area_m2 '85,5' is not a number (write decimals with a point",
        ),
        ("H-1;Comma Hall;1,05;;;;\r\n", "capacity '1,05' is not a whole number"),
        ("H-1;Odd Room;10;;;sometimes;\r\n", "step_free 'sometimes' is not yes or no"),
        ("H-1;Vestry;10;;;;\r\n", "same id"),
    ],
)
def test_bad_rows_fail_the_file_and_change_nothing(
    conn: Connection, tmp_path: Path, row: str, reason: str
) -> None:
    _hubs(conn, tmp_path)
    before = table_counts(conn), conn.execute(text("SELECT count(*) FROM record_versions")).scalar_one()
    with pytest.raises(ImportFailed) as failed:
        import_rooms(conn, _rooms(tmp_path, [ROWS[1], row]))
    assert "1 of 2 rows rejected" in failed.value.message and reason in failed.value.detail
    assert (
        table_counts(conn),
        conn.execute(text("SELECT count(*) FROM record_versions")).scalar_one(),
    ) == before


def test_thousands_commas_are_read(conn: Connection, tmp_path: Path) -> None:
    ids = _hubs(conn, tmp_path)
    import_rooms(conn, _rooms(tmp_path, ["H-2;Great Hall;1,200;2,500.5;;yes;\r\n"]))
    row = conn.execute(
        text("SELECT capacity, floor_area_m2 FROM rooms WHERE hub_id = :h AND name = 'Great Hall'"),
        {"h": ids["H-2"]},
    ).one()
    assert (row.capacity, float(row.floor_area_m2)) == (1200, 2500.5)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("Room;Village Hall;\r\n", "2 hubs are called 'Village Hall': add a postcode column"),
        (
            "Room;Village Hall;NR1 1AA\r\n",
            "the hub called 'Village Hall' is at NR3 1AB, NR4 7TJ, not NR1 1AA",
        ),
        ("Room;Village Hal;\r\n", "no hub is called 'Village Hal'"),
        ("Room;Village Hall;not a postcode\r\n", "'not a postcode' is not a valid postcode"),
    ],
)
def test_a_hub_name_that_is_not_enough(conn: Connection, tmp_path: Path, row: str, reason: str) -> None:
    _hubs(conn, tmp_path)
    with pytest.raises(ImportFailed) as failed:
        import_rooms(conn, _rooms(tmp_path, [row], header="name;hub;postcode\r\n"))
    assert reason in failed.value.detail


def test_a_file_without_a_hub_column_says_what_to_add(conn: Connection, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        import_rooms(conn, _rooms(tmp_path, ["Hall,20\r\n"], header="name,capacity\r\n"))
    assert "no hub column" in failed.value.message and "'hub_id' column" in failed.value.detail


def test_the_command_writes_its_summary_and_report(empty_database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    hubs = runner.invoke(app, ["import", "hubs", str(_write(tmp_path, "hubs.csv", HUBS))])
    assert hubs.exit_code == 0, hubs.output
    report = tmp_path / "report.csv"
    rooms = _rooms(tmp_path, [*ROWS, "H-7;Lost;1;;;;\r\n"])
    failed = runner.invoke(app, ["import", "rooms", str(rooms), "--report", str(report)])
    assert (
        failed.exit_code == 1 and "1 of 4 rows rejected" in failed.stderr and "Traceback" not in failed.output
    )
    with report.open(encoding="utf-8-sig") as f:
        assert [(r["row"], r["outcome"]) for r in csv.DictReader(f)] == [("4", "rejected")]
    engine = make_engine(DatabaseSettings(url=empty_database))
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM rooms")).scalar_one() == 0  # nothing written
    engine.dispose()
    done = runner.invoke(app, ["import", "rooms", str(rooms), "--allow-rejects"])
    assert done.exit_code == 0, done.output
    assert "rooms from rooms.csv: 4 rows read; 3 loaded" in done.stdout
