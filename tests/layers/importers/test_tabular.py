"""The tolerant table reader (layers.importers.tabular) on the files councils really have, and the groups
importer reading them into the database: Excel's cp1252 CSV, semicolons, tabs, a UTF-8 byte-order mark,
UTF-16, .xlsx (first or named sheet), other column names, easting/northing; and files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Connection, text

from layers.errors import ImportFailed
from layers.importers.groups import import_groups
from layers.importers.tabular import header_key, read_table

# Norwich Forum (a public venue, Millennium Plain): EPSG:27700 and WGS84 for the same point.
FORUM_EN = ("622977", "308632")
FORUM_LONLAT = (1.2923, 52.6281)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _xlsx(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "groups.xlsx") -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_header_key() -> None:
    assert header_key(" Post Code ") == "post_code"
    assert header_key("E-mail") == "e_mail"
    assert header_key("Group Name") == "group_name"


def test_excel_cp1252_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, "excel.csv", "Group Name,Post Code\r\nCafé Crème,NR2 1TF\r\n".encode("cp1252"))
    table = read_table(path, "groups", aliases={"group_name": "name"}, required=("name",))
    assert table.frame.to_dict("records") == [{"name": "Café Crème", "postcode": "NR2 1TF"}]
    assert any("not UTF-8" in n for n in table.notes)
    assert any("'Group Name' → name" in n and "'Post Code' → postcode" in n for n in table.notes)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"name;postcode;description;cost\nA;NR2 1TF;One, two;free\n", "semicolons"),
        (b"name\tpostcode\tdescription\tcost\nA\tNR2 1TF\tOne, two\tfree\n", "tabs"),
        ('\ufeffname,postcode,description,cost\nA,NR2 1TF,"One, two",free\n'.encode(), None),
        ('name,postcode,description,cost\nA,NR2 1TF,"One, two",free\n'.encode("utf-16"), "UTF-16"),
    ],
    ids=["semicolons", "tabs", "utf8-bom", "utf16"],
)
def test_separators_and_byte_order_marks(tmp_path: Path, data: bytes, said: str | None) -> None:
    table = read_table(_write(tmp_path, "f.csv", data), "groups", required=("name",))
    assert table.frame.to_dict("records") == [
        {"name": "A", "postcode": "NR2 1TF", "description": "One, two", "cost": "free"}
    ]
    assert next(iter(table.frame.columns)) == "name"  # the byte-order mark is not part of the header
    if said:
        assert any(said in n for n in table.notes), table.notes


def test_xlsx_first_and_named_sheet(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path,
        {
            "Groups": [["Name", "Age Min", "Last verified at"], ["Walkers", 60, "2026-01-05"]],
            "Notes": [["Name"], ["not a group"]],
        },
    )
    table = read_table(path, "groups", required=("name",))
    assert table.frame.to_dict("records") == [
        {"name": "Walkers", "age_min": "60", "last_verified_at": "2026-01-05"}
    ]
    assert any("first of 2" in n and "--sheet" in n for n in table.notes)
    assert read_table(path, "groups", sheet="Notes").frame["name"].tolist() == ["not a group"]
    with pytest.raises(ImportFailed, match="no sheet 'Other'"):
        read_table(path, "groups", sheet="Other")


def test_easting_northing_become_lon_lat(tmp_path: Path) -> None:
    data = f"name,Easting,Northing\nAt the Forum,{FORUM_EN[0]},{FORUM_EN[1]}\nNo place,,\n".encode()
    table = read_table(_write(tmp_path, "en.csv", data), "groups")
    first, second = table.frame.to_dict("records")
    assert float(first["lon"]) == pytest.approx(FORUM_LONLAT[0], abs=2e-3)
    assert float(first["lat"]) == pytest.approx(FORUM_LONLAT[1], abs=2e-3)
    assert (second["lon"], second["lat"]) == ("", "")
    assert any("converted easting/northing" in n and "1 rows" in n for n in table.notes)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("two.csv", b"Name,Group Name\nA,B\n", "more than one column means name"),
        ("none.csv", b"title_of_thing,postcode\nA,NR2 1TF\n", "no name column"),
        ("old.xls", b"\xd0\xcf\x11\xe0", ".xls files are not read"),
        ("zip.csv", b"PK\x03\x04rest", "not CSV"),
        ("bad.xlsx", b"not a spreadsheet", "not a readable spreadsheet"),
    ],
)
def test_unreadable_files_say_what_to_do(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    with pytest.raises(ImportFailed, match=message):
        read_table(_write(tmp_path, name, data), "groups", aliases={"group_name": "name"}, required=("name",))


def test_groups_import_reads_excel_csv_semicolons_and_xlsx(conn: Connection, tmp_path: Path) -> None:
    """Three files a council might have, each loading the same way: names, accents and points intact."""
    cp1252 = _write(
        tmp_path,
        "excel.csv",
        (
            "Group Name;Description;Latitude;Longitude;Source\r\n"
            f"Café des Amis;Thé et café;{FORUM_LONLAT[1]};{FORUM_LONLAT[0]};tabular test\r\n"
        ).encode("cp1252"),
    )
    report = import_groups(conn, cp1252)
    assert (report.loaded, report.rejected) == (1, [])
    assert any("not UTF-8" in n for n in report.notes) and any("semicolons" in n for n in report.notes)
    xlsx = _xlsx(
        tmp_path,
        {
            "Sheet1": [
                ["Organisation", "Easting", "Northing", "Source"],
                ["Forum Walkers", *map(int, FORUM_EN), "tabular test"],
            ]
        },
    )
    assert import_groups(conn, xlsx).loaded == 1
    rows = conn.execute(
        text(
            "SELECT name, description, ST_X(geom) AS lon, ST_Y(geom) AS lat, ward_code FROM groups "
            "WHERE source = 'tabular test' ORDER BY name"
        )
    ).all()
    assert [(r.name, r.description) for r in rows] == [
        ("Café des Amis", "Thé et café"),
        ("Forum Walkers", None),
    ]
    assert all(r.lon == pytest.approx(FORUM_LONLAT[0], abs=2e-3) for r in rows)
    assert len({r.ward_code for r in rows}) == 1 and rows[0].ward_code == "E05005882"  # Mancroft


def test_a_file_that_cannot_be_read_changes_nothing(conn: Connection, tmp_path: Path) -> None:
    before = conn.execute(text("SELECT count(*) FROM groups")).scalar_one()
    with pytest.raises(ImportFailed, match="no name column"):
        import_groups(conn, _write(tmp_path, "g.csv", "Titel;Ort\r\nA;B\r\n".encode("cp1252")))
    assert conn.execute(text("SELECT count(*) FROM groups")).scalar_one() == before


def test_a_group_outside_every_ward_is_warned_about(conn: Connection, tmp_path: Path) -> None:
    path = _write(tmp_path, "far.csv", b"name,lat,lon,source\nLondon Walkers,51.5074,-0.1278,tabular test\n")
    report = import_groups(conn, path)
    assert report.loaded == 1
    assert any("1 group lies outside every ward loaded (London Walkers)" in n for n in report.notes)
