"""Hubs and spaces from a council's own spreadsheet (layers.importers.places): the columns councils use, a
place from coordinates, easting/northing or a postcode, re-imports under another name, rows outside every
ward, bad rows, and a file that fails changing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Connection, text

from layers.errors import ImportFailed
from layers.importers.demo import table_counts
from layers.importers.places import import_places

HEADER = "Site Name;Type;Address;Post Code;Latitude;Longitude;Opening Times;Wheelchair;Contact Email\r\n"
ROWS = [
    "Café Hall;Village or church hall;1 Church St;;52.6301;1.2950;Mo-Fr 09:00-17:00;yes;vicar@example.org\r\n",
    "Forum Room;Community centre;Millennium Plain;;52.6281;1.2923;;no;\r\n",
]


def _csv(tmp_path: Path, rows: list[str], name: str = "hubs.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_bytes((header + "".join(rows)).encode("cp1252"))
    return path


def test_hubs_from_an_excel_csv(conn: Connection, tmp_path: Path) -> None:
    report = import_places(conn, _csv(tmp_path, ROWS), kind="hub")
    assert (report.loaded, report.rejected) == (2, [])
    assert any("semicolons" in n for n in report.notes) and any("not UTF-8" in n for n in report.notes)
    hall = conn.execute(
        text(
            "SELECT kind, address, opening_hours, step_free, private_contact, source, source_id, ward_code, "
            "email FROM hubs WHERE name = 'Café Hall'"
        )
    ).one()
    assert (
        hall.kind == "village_hall" and hall.opening_hours == "Mo-Fr 09:00-17:00" and hall.step_free is True
    )
    assert (
        hall.private_contact == {"email": "vicar@example.org"} and hall.email is None
    )  # private, not public
    assert (hall.source, hall.source_id) == ("spreadsheet", "cafe-hall@1.2950,52.6301")
    assert hall.ward_code == "E05005882"  # Mancroft
    versions = (
        "SELECT count(*) FROM record_versions v JOIN hubs h ON h.id = v.object_id AND v.object_type = 'hub' "
    )
    assert conn.execute(text(versions + "WHERE h.name = 'Café Hall'")).scalar_one() == 1
    # the same list under another name, one field changed: updated, not duplicated
    again = import_places(
        conn, _csv(tmp_path, [ROWS[0].replace("yes", "no"), ROWS[1]], "hubs-2026.csv"), kind="hub"
    )
    assert (again.loaded, again.updated, again.unchanged) == (0, 1, 1)


def test_spaces_from_a_spreadsheet_with_easting_northing(conn: Connection, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["Name", "Type", "Easting", "Northing", "Status", "Capacity", "Floor area", "Price band", "Reference"]
    )
    sheet.append(["Old Bank", "Vacant shop", 622977, 308632, "Available", 40, "120.5", "low-cost", "S-1"])
    sheet.append(["Yard", "outdoor", 623100, 308700, "under offer", "", "", "", "S-2"])
    path = tmp_path / "spaces.xlsx"
    book.save(path)
    report = import_places(conn, path, kind="space", source="Estates register")
    assert (report.loaded, report.rejected) == (2, [])
    rows = conn.execute(
        text(
            "SELECT name, kind, status, capacity, floor_area_m2, price_band, source_id, ST_X(geom) AS lon "
            "FROM spaces WHERE source = 'Estates register' ORDER BY name"
        )
    ).all()
    assert [(r.name, r.kind, r.status, r.capacity, r.price_band, r.source_id) for r in rows] == [
        ("Old Bank", "vacant_shop", "available", 40, "low-cost", "S-1"),
        ("Yard", "outdoor", "under_offer", None, None, "S-2"),
    ]
    assert float(rows[0].floor_area_m2) == 120.5 and rows[0].lon == pytest.approx(1.2923, abs=2e-3)


def test_a_place_by_postcode_and_one_outside_every_ward(conn: Connection, tmp_path: Path) -> None:
    known = conn.execute(text("SELECT postcode FROM postcodes LIMIT 1")).scalar_one()
    rows = [f"By Postcode;Library;;{known};;;;;\r\n", "Far Away;Library;;;51.5074;-0.1278;;;\r\n"]
    report = import_places(conn, _csv(tmp_path, rows), kind="hub")
    assert report.loaded == 2
    assert any("1 hub lies outside every ward loaded (Far Away)" in n for n in report.notes)
    postcode = conn.execute(text("SELECT postcode FROM hubs WHERE name = 'By Postcode'")).scalar_one()
    assert postcode == known


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("No Place;Library;;;;;;;\r\n", "no place"),
        ("Bad Kind;Castle;;;52.63;1.29;;;\r\n", "unknown hub kind 'Castle'"),
        ("Unknown Postcode;Library;;NR99 9ZZ;;;;;\r\n", "postcode NR99 9ZZ is not known"),
        ("Swapped;Library;;;1.29;52.63;;;\r\n", "swapped"),
        ("Bad Access;Library;;;52.63;1.29;;sometimes;\r\n", "step_free 'sometimes' is not yes or no"),
        (";Library;;;52.63;1.29;;;\r\n", "no name"),
    ],
)
def test_bad_rows_fail_the_file_and_change_nothing(
    conn: Connection, tmp_path: Path, row: str, reason: str
) -> None:
    before = table_counts(conn)
    with pytest.raises(ImportFailed) as failed:
        import_places(conn, _csv(tmp_path, [ROWS[0], row]), kind="hub")
    assert "1 of 2 rows rejected" in failed.value.message and reason in failed.value.detail
    assert table_counts(conn) == before


def test_spaces_refuse_a_bad_status_and_capacity(conn: Connection, tmp_path: Path) -> None:
    header = "name,status,capacity,lat,lon\n"
    for row, reason in (
        ("A,sold,,52.63,1.29\n", "unknown status 'sold'"),
        ("A,,-3,52.63,1.29\n", "more than 0"),
    ):
        with pytest.raises(ImportFailed) as failed:
            import_places(conn, _csv(tmp_path, [row], "s.csv", header), kind="space")
        assert reason in failed.value.detail
