"""Postcodes: normalisation, the demo's approximate postcodes, area assignment and ONSPD imports."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Connection, text

from layers.areas.postcodes import normalise_postcode, outward
from layers.errors import ImportFailed
from layers.importers.demo import demo_files, table_counts
from layers.importers.postcodes import (
    APPROXIMATE_SOURCE,
    assign_postcode_areas,
    build_approximate_postcodes,
    import_postcodes,
)
from tests.conftest import DATA

OSM = demo_files(DATA)["osm"]
HEADER = "pcd,pcds,dointr,doterm,oslaua,osward,lsoa11,lat,long"
GOOD = [
    "NR2 1AW,NR2 1AW,199801,,E07000148,E05005882,E01026822,52.627810,1.291170",
    "NR1 3DD,NR1 3DD,199801,,,,,52.627000,1.296000",
    "EC1A1BB,EC1A 1BB,199801,,,,,51.520200,-0.097800",
    "GY1 1AA,GY1 1AA,199801,,L99999999,L99999999,L99999999,49.455500,-2.536800",
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NR2 1AW", "NR2 1AW"),
        ("nr2 1aw", "NR2 1AW"),
        ("NR21AW", "NR2 1AW"),
        ("  nr2   1aw ", "NR2 1AW"),
        ("NR14 7QP", "NR14 7QP"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("DN55 1PT", "DN55 1PT"),
        ("gir0aa", "GIR 0AA"),
        ("", None),
        (None, None),
        ("NR2", None),
        ("NR2 1A", None),
        ("12345", None),
        ("NR2 1CW", None),  # C is never an inward-code letter
        ("QR2 1AW", None),  # nor is Q the first letter of an area
        ("NR2 1AW X", None),
        ("NR2 1AW;NR2 1AX", None),
    ],
)
def test_normalise_postcode(raw: str | None, expected: str | None) -> None:
    assert normalise_postcode(raw) == expected


def test_outward() -> None:
    assert outward("nr21aw") == "NR2"
    assert outward("NR14 7QP") == "NR14"
    assert outward("EC1A 1BB") == "EC1A"
    assert outward("not a postcode") is None


def test_demo_approximate_postcodes(conn: Connection) -> None:
    total, outwards, approximate, with_ward = conn.execute(
        text(
            "SELECT count(*), count(DISTINCT outward), count(*) FILTER (WHERE approximate), count(ward_code) FROM postcodes"
        )
    ).one()
    assert (total, outwards, approximate) == (580, 13, 580)
    assert with_ward == 580  # every demo postcode lies in a Norfolk ward
    sources = conn.execute(text("SELECT DISTINCT source FROM postcodes")).scalars().all()
    assert sources == [APPROXIMATE_SOURCE]


def test_nr2_1aw_is_at_the_millennium_library(conn: Connection) -> None:
    row = (
        conn.execute(
            text(
                "SELECT p.ward_code, p.district_code, p.lsoa_code, p.outward, "
                "ST_Distance(p.geom::geography, h.geom::geography) AS metres "
                "FROM postcodes p, hubs h WHERE p.postcode = 'NR2 1AW' AND h.source_id = 'node/299412199'"
            )
        )
        .mappings()
        .one()
    )
    assert row["metres"] < 50
    assert (row["ward_code"], row["district_code"], row["lsoa_code"]) == (
        "E05005882",
        "E07000148",
        "E01026822",
    )
    assert row["outward"] == "NR2"
    ward = conn.execute(text("SELECT name FROM areas WHERE code = 'E05005882'")).scalar_one()
    assert ward == "Mancroft"


def test_rebuild_is_idempotent(conn: Connection) -> None:
    before = table_counts(conn)
    report = build_approximate_postcodes(conn, OSM)
    assert (report.loaded, report.updated, report.unchanged) == (0, 0, 580)
    assert table_counts(conn) == before


def test_assign_postcode_areas(conn: Connection) -> None:
    conn.execute(text("UPDATE postcodes SET ward_code = NULL, lsoa_code = 'X' WHERE postcode = 'NR2 1AW'"))
    assert assign_postcode_areas(conn, ["NR2 1AW", "NR1 3DD"]) == 1
    codes = conn.execute(text("SELECT ward_code, lsoa_code FROM postcodes WHERE postcode = 'NR2 1AW'")).one()
    assert tuple(codes) == ("E05005882", "E01026822")
    assert assign_postcode_areas(conn) == 0


def _onspd(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "ONSPD_TEST.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_import_onspd(conn: Connection, tmp_path: Path) -> None:
    path = _onspd(tmp_path, GOOD)
    report = import_postcodes(conn, path)
    assert (report.rows, report.loaded, report.updated, report.unchanged) == (4, 2, 2, 0)
    rows = {
        r.postcode: r
        for r in conn.execute(
            text(
                "SELECT postcode, outward, ward_code, district_code, lsoa_code, approximate, source, ST_X(geom) AS lon, "
                "ST_Y(geom) AS lat FROM postcodes WHERE postcode IN ('NR2 1AW', 'NR1 3DD', 'EC1A 1BB', 'GY1 1AA')"
            )
        )
    }
    assert set(rows) == {"NR2 1AW", "NR1 3DD", "EC1A 1BB", "GY1 1AA"}
    assert all(not r.approximate and r.source == "ONSPD_TEST.csv" for r in rows.values())
    assert (rows["NR2 1AW"].lon, rows["NR2 1AW"].lat) == pytest.approx((1.29117, 52.62781))
    assert rows["EC1A 1BB"].outward == "EC1A"
    assert rows["NR1 3DD"].district_code == "E07000148" and rows["NR1 3DD"].ward_code  # from the boundaries
    assert rows["EC1A 1BB"].ward_code is None  # outside the loaded boundaries
    assert rows["GY1 1AA"].district_code is None  # ONSPD's pseudo code means "none"

    again = import_postcodes(conn, path)
    assert (again.loaded, again.updated, again.unchanged) == (0, 0, 4)
    rebuilt = build_approximate_postcodes(conn, OSM)
    assert any("2 postcodes already in the ONS Postcode Directory were kept" in n for n in rebuilt.notes)
    kept = conn.execute(text("SELECT approximate, source FROM postcodes WHERE postcode = 'NR2 1AW'")).one()
    assert tuple(kept) == (False, "ONSPD_TEST.csv")


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("NOTAPC,NOT A PC,199801,,,,,52.6,1.29", "'NOT A PC' is not a valid postcode"),
        ("NR2 2AA,NR2 2AA,199801,,,,,abc,1.29", "not a number"),
        ("NR2 2AA,NR2 2AA,199801,,,,,,", "not a number"),
        ("NR2 2AA,NR2 2AA,199801,,,,,152.6,1.29", "out of range"),
        ("NR2 2AA,NR2 2AA,199801,,,,,1.29,52.63", "swapped"),
        ("NR2 1AW,nr2 1aw,199801,,,,,52.6,1.29", "NR2 1AW appears more than once"),
    ],
)
def test_bad_onspd_rows_are_rejected(conn: Connection, tmp_path: Path, bad: str, reason: str) -> None:
    path = _onspd(tmp_path, [*GOOD, bad])
    before = table_counts(conn)
    with pytest.raises(ImportFailed) as failed:
        import_postcodes(conn, path)
    assert "1 of 5 rows rejected" in failed.value.message
    assert "row 5" in failed.value.detail and reason in failed.value.detail
    assert table_counts(conn) == before
    report = import_postcodes(conn, path, allow_rejects=True)
    assert report.loaded + report.updated == 4 and len(report.rejected) == 1


def test_no_grid_reference_and_terminated_postcodes_are_left_out(conn: Connection, tmp_path: Path) -> None:
    """The real ONSPD has thousands of both: they are counted and said, not rejected, and never loaded."""
    path = _onspd(
        tmp_path,
        [
            "NR9 9ZZ,NR9 9ZZ,199801,201001,,,,99.999999,0.000000",  # no grid reference (and terminated)
            "NR9 9ZY,NR9 9ZY,199801,,,,,99.999999,0.000000",  # no grid reference
            "NR9 9ZX,NR9 9ZX,199801,201506,E07000148,E05005882,E01026822,52.6270,1.2900",  # terminated
            *GOOD,
            "NR2 2AA,NR2 2AA,199801,,,,,abc,1.29",  # wrong: still rejected, by its row in the file
        ],
    )
    with pytest.raises(ImportFailed) as failed:
        import_postcodes(conn, path)
    assert "row 8" in failed.value.detail and "not a number" in failed.value.detail
    path = _onspd(tmp_path, [*GOOD[:1], "NR9 9ZZ,NR9 9ZZ,199801,201001,,,,99.999999,0.000000",
                             "NR9 9ZX,NR9 9ZX,199801,201506,E07000148,E05005882,E01026822,52.6270,1.2900"])  # fmt: skip
    report = import_postcodes(conn, path)
    assert report.skipped == 2 and not report.rejected
    assert any("1 postcode with no grid reference" in n for n in report.notes)
    assert any("1 terminated postcode (a doterm date)" in n for n in report.notes)
    found = conn.execute(text("SELECT postcode FROM postcodes WHERE postcode LIKE 'NR9 9Z%'")).scalars().all()
    assert found == []


@pytest.mark.parametrize(
    ("header", "message"),
    [("pcds,latitude,longitude", "no lat or lon column"), ("name,lat,long", "no postcode column")],
)
def test_onspd_without_columns_fails(conn: Connection, tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(ImportFailed, match=message):
        import_postcodes(conn, _onspd(tmp_path, ["NR2 1AW,52.6,1.29"], header=header))


def test_unreadable_onspd_fails(conn: Connection, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImportFailed, match="could not be read"):
        import_postcodes(conn, empty)
    with pytest.raises(ImportFailed, match="file not found"):
        import_postcodes(conn, tmp_path / "missing.csv")


def test_a_council_cut_saved_by_excel_reads_the_same(conn: Connection, tmp_path: Path) -> None:
    """A council's extract of the directory saved by Excel (semicolons, a BOM, gzipped) and as .xlsx."""
    text_rows = [HEADER.upper(), *GOOD]
    packed = tmp_path / "onspd_extract.csv.gz"
    packed.write_bytes(
        gzip.compress("\ufeff".encode() + "\r\n".join(r.replace(",", ";") for r in text_rows).encode())
    )
    report = import_postcodes(conn, packed)
    assert (report.rows, report.rejected) == (4, []) and any("semicolons" in n for n in report.notes)
    book = Workbook()
    for row in text_rows:
        book.active.append(row.split(","))
    path = tmp_path / "onspd_extract.xlsx"
    book.save(path)
    again = import_postcodes(conn, path)
    assert (again.rows, again.loaded, again.rejected) == (4, 0, [])
    lon = conn.execute(text("SELECT ST_X(geom) FROM postcodes WHERE postcode = 'NR2 1AW'")).scalar_one()
    assert lon == pytest.approx(1.29117)


class _Steps:
    """A Progress that records each step's name, total and units done."""

    def __init__(self) -> None:
        self.steps: list[list[object]] = []

    def start(self, description: str, total: int | None) -> None:
        self.steps.append([description, total, 0])

    def advance(self, n: int = 1) -> None:
        self.steps[-1][2] = int(str(self.steps[-1][2])) + n


@pytest.mark.parametrize("gzipped", [False, True])
def test_reading_the_directory_shows_kb_read_of_the_file(
    conn: Connection, tmp_path: Path, gzipped: bool
) -> None:
    """The directory is about 1 GB: its reading step counts kB of the file against the file's size, not a
    spinner; a gzipped file's bar ends at its own (compressed) size."""
    rows = [f"NR{i // 260 + 1} {i % 10}{chr(65 + i // 10 % 26)}A,,,,,,,52.6,1.29" for i in range(4000)]
    path = _onspd(tmp_path, rows, header="pcds,dointr,doterm,oslaua,osward,lsoa11,x,lat,long")
    if gzipped:
        packed = tmp_path / "ONSPD_TEST.csv.gz"
        packed.write_bytes(gzip.compress(path.read_bytes()))
        path = packed
    steps = _Steps()
    import_postcodes(conn, path, progress=steps, allow_rejects=True)  # some made-up postcodes are not real
    reading = next(s for s in steps.steps if str(s[0]).startswith(f"Reading {path.name}"))
    assert reading[1] == path.stat().st_size >> 10 and reading[2] == reading[1]
