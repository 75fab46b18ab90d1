"""IoD2019 importer and the LSOA → ward/district roll-up, on the real Norfolk files and hostile copies."""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import Connection, text

from layers.errors import ImportFailed
from layers.importers.iod import MIN_PIECE_M2, ROLLUP_SOURCE, import_iod, rollup_indicators
from layers.settings import Settings
from tests.conftest import DATA

IOD = DATA / "imd2019"
FILE1 = IOD / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
FILE2 = IOD / "File_2_-_IoD2019_Domains_of_Deprivation.csv"
FILE6 = IOD / "File_6_-_IoD2019_Population_Denominators.csv"
WARDS = DATA / "norfolk" / "wards_2013.geojson"
LSOAS = DATA / "norfolk" / "lsoa_2011.geojson"
MANCROFT_LSOA = "E01026822"  # Norwich 007A, in Norwich's Mancroft ward
MANCROFT = "E05005882"
N_LSOAS, N_WARDS, N_DISTRICTS = 538, 205, 7
RANKED_KEYS = [
    f"{d}_{m}"
    for d in ("imd", "income", "employment", "education", "health", "crime", "housing", "living_environment")
    for m in ("rank", "decile")
]
POPULATION_KEYS = [
    "population_total",
    "population_0_15",
    "population_16_59",
    "population_60_plus",
    "population_working_age",
]
N_VALUES = N_LSOAS * (len(RANKED_KEYS) + len(POPULATION_KEYS))  # 11,298


def count(conn: Connection, where: str = "NOT derived") -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM indicators WHERE {where}")).scalar_one())


def values_of(conn: Connection, code: str) -> dict[str, float]:
    rows = conn.execute(text("SELECT key, value FROM indicators WHERE area_code = :c"), {"c": code})
    return {r[0]: r[1] for r in rows}


def pairs(conn: Connection, sql: str, **params: object) -> dict[str, Any]:
    return {r[0]: r[1] for r in conn.execute(text(sql), params)}


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def number(s: str) -> float:
    return float(s.replace(",", ""))


# --- the demo's import ---------------------------------------------------------------------------


def test_demo_loaded_the_csv_values_for_a_mancroft_lsoa(conn: Connection) -> None:
    got = values_of(conn, MANCROFT_LSOA)
    row2 = next(r for r in read_rows(FILE2) if r[0] == MANCROFT_LSOA)
    row6 = next(r for r in read_rows(FILE6) if r[0] == MANCROFT_LSOA)
    assert [got[k] for k in RANKED_KEYS] == [number(v) for v in row2[4:20]]
    assert [got[k] for k in POPULATION_KEYS] == [number(v) for v in row6[4:9]]
    assert got["population_total"] == 2267  # "2,267" in File 6
    assert got["imd_rank"] == 3968 and got["imd_decile"] == 2  # "3,968" in File 1
    sources = pairs(
        conn, "SELECT key || '/' || period, source FROM indicators WHERE area_code = :c", c=MANCROFT_LSOA
    )
    assert sources["imd_rank/2019"] == "IoD2019 File 1 (MHCLG, OGL v3)"
    assert sources["crime_rank/2019"] == "IoD2019 File 2 (MHCLG, OGL v3)"
    assert sources["population_total/mid-2015"] == "IoD2019 File 6 (MHCLG, OGL v3)"


def test_demo_indicator_counts(conn: Connection) -> None:
    assert count(conn) == N_VALUES
    by_period = pairs(conn, "SELECT period, count(*) FROM indicators WHERE NOT derived GROUP BY period")
    assert by_period == {"2019": N_LSOAS * 16, "mid-2015": N_LSOAS * 5}
    assert count(conn, "NOT derived AND area_code !~ '^E01[0-9]{6}$'") == 0
    assert count(conn, "derived") == (N_WARDS + N_DISTRICTS) * 21


def test_reimport_is_idempotent_and_says_there_is_no_score(conn: Connection) -> None:
    report = import_iod(conn, [FILE1, FILE2, FILE6])
    assert (report.rows, report.loaded, report.updated, report.unchanged) == (3 * N_LSOAS, 0, 0, N_VALUES)
    assert not report.rejected
    assert any("no IMD score" in n for n in report.notes)
    assert count(conn) == N_VALUES


def test_gzipped_file_with_short_headers_is_recognised(conn: Connection, tmp_path: Path) -> None:
    rows = read_rows(FILE2)
    rows[0] = [re.sub(r"\s*\(where [^)]*\)", "", h) for h in rows[0]]  # no "(where 1 is most deprived)"
    plain = write_rows(tmp_path / "domains.csv", rows)
    packed = tmp_path / "domains.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    report = import_iod(conn, [FILE1, packed, FILE6])
    assert (report.loaded, report.updated, report.unchanged, len(report.rejected)) == (0, 0, N_VALUES, 0)


def test_an_excel_csv_with_semicolons_in_windows_1252(conn: Connection, tmp_path: Path) -> None:
    """File 6 as Excel saves "CSV" in a comma-decimal locale: semicolons and Windows-1252 (the same values)."""
    rows = read_rows(FILE6)
    rows[1][1] = (
        "Norwich 007A – Café Quarter"  # an LSOA name (not read) in a character UTF-8 would spell otherwise
    )
    path = tmp_path / "population.csv"
    with path.open("w", encoding="cp1252", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    report = import_iod(conn, [FILE1, FILE2, path])
    assert (report.loaded, report.updated, report.unchanged, len(report.rejected)) == (0, 0, N_VALUES, 0)
    assert any("semicolons" in n for n in report.notes) and any("Windows-1252" in n for n in report.notes)


def test_the_published_workbook_is_read_from_its_data_sheet(conn: Connection, tmp_path: Path) -> None:
    """MHCLG publishes .xlsx files that open on a sheet of notes: the sheet with File 1's columns is read."""
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["The English Indices of Deprivation 2019"])
    data = book.create_sheet("IMD2019")
    for row in read_rows(FILE1):
        data.append(row)
    path = tmp_path / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    book.save(path)
    report = import_iod(conn, [path, FILE2, FILE6])
    assert (report.loaded, report.updated, report.unchanged, len(report.rejected)) == (0, 0, N_VALUES, 0)
    assert any(n.endswith("read sheet 'IMD2019'") for n in report.notes)


# --- hostile files -------------------------------------------------------------------------------

Edit = Callable[[list[list[str]]], None]


def drop_crime_decile(rows: list[list[str]]) -> None:
    i = next(i for i, h in enumerate(rows[0]) if h.startswith("Crime Decile"))
    for r in rows:
        del r[i]


def set_cell(row: int, col: int, value: str) -> Edit:
    def edit(rows: list[list[str]]) -> None:
        rows[row][col] = value

    return edit


HOSTILE: list[tuple[str, Path, Edit, list[str]]] = [
    ("missing column", FILE2, drop_crime_decile, ["looks like IoD2019 File 2", "Missing: Crime Decile"]),
    (
        "unknown columns",
        FILE6,
        lambda rows: rows.__setitem__(0, ["code", "name", "a", "b", "c", "d", "e", "f", "g"]),
        ["not those of IoD2019 File 1, 2 or 6", "'code'", "LSOA code (2011)", "Income Rank"],
    ),
    ("no code column", FILE1, set_cell(0, 0, "Area"), ["no LSOA code column", "'Area'"]),
    ("non-numeric rank", FILE2, set_cell(3, 6, "n/a"), ["row 3", "Income Rank is not a number: 'n/a'"]),
    ("decile 11", FILE2, set_cell(5, 5, "11"), ["row 5", "Decile 11 is outside 1 to 10"]),
    ("rank too big", FILE1, set_cell(7, 4, "40,000"), ["row 7", "Rank 40000 is outside 1 to 32,844"]),
    (
        "fractional decile",
        FILE2,
        set_cell(8, 9, "2.5"),
        ["row 8", "Employment Decile 2.5 is not a whole number"],
    ),
    ("bad LSOA code", FILE2, set_cell(2, 0, "E1026420"), ["row 2", "'E1026420' is not an English LSOA code"]),
    (
        "duplicate row",
        FILE2,
        lambda rows: rows.append(list(rows[4])),
        [f"row {N_LSOAS + 1}", "duplicate LSOA code (first at row 4)"],
    ),
    (
        "negative population",
        FILE6,
        set_cell(9, 4, "-5"),
        ["row 9", "Total population: mid 2015 -5 is negative"],
    ),
]


@pytest.mark.parametrize(
    ("source", "edit", "expected"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_hostile_file_fails_clearly_and_writes_nothing(
    conn: Connection, tmp_path: Path, source: Path, edit: Edit, expected: list[str]
) -> None:
    rows = read_rows(source)
    edit(rows)
    path = write_rows(tmp_path / source.name, rows)
    before, mancroft = count(conn, "true"), values_of(conn, MANCROFT_LSOA)
    with pytest.raises(ImportFailed) as failed:
        import_iod(conn, [path])
    said = f"{failed.value.message} {failed.value.detail}"
    for words in expected:
        assert words in said
    assert "nothing was imported" in failed.value.message
    assert count(conn, "true") == before and values_of(conn, MANCROFT_LSOA) == mancroft


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.csv", None, "file not found"),
        ("empty.csv", b"", "the file is empty"),
        ("fake.csv.gz", b"not gzip at all", "could not be read"),
    ],
)
def test_missing_or_unreadable_file_fails_clearly(
    conn: Connection, tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportFailed, match=expected):
        import_iod(conn, [path])


def test_allow_rejects_loads_the_good_rows(conn: Connection, tmp_path: Path) -> None:
    header, *body = read_rows(FILE2)
    mancroft = next(r for r in body if r[0] == MANCROFT_LSOA)
    mancroft[6] = "123"  # income rank
    bad = list(body[1])
    bad[5] = "11"
    new = ["E01999999", *mancroft[1:]]  # a valid code with no boundary in the database
    path = write_rows(tmp_path / "some.csv", [header, mancroft, bad, new])
    untouched = values_of(conn, bad[0])
    with pytest.raises(ImportFailed):
        import_iod(conn, [path])
    report = import_iod(conn, [path], allow_rejects=True)
    assert [(r.row, r.name) for r in report.rejected] == [(2, bad[0])]
    assert report.loaded == 16  # the new LSOA
    # income rank changed; File 2 alone also becomes the source of the IMD rank and decile
    assert (report.updated, report.unchanged) == (3, 13)
    assert values_of(conn, MANCROFT_LSOA)["income_rank"] == 123
    assert values_of(conn, bad[0]) == untouched
    assert any("1 of 2 LSOAs have no boundary" in n for n in report.notes)


# --- the roll-up ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pieces() -> gpd.GeoDataFrame:
    """LSOA ∩ ward pieces computed with geopandas in EPSG:27700, with shares and LSOA values."""
    lsoas = gpd.read_file(LSOAS)[["LSOA11CD", "geometry"]]
    lsoas["geometry"] = lsoas.geometry.make_valid()  # one LSOA has a self-intersecting ring
    wards = gpd.read_file(WARDS)[["WD13CD", "geometry"]]
    out = gpd.overlay(lsoas.to_crs(27700), wards.to_crs(27700), how="intersection", keep_geom_type=True)
    out["area_m2"] = out.area
    out = out[out.area_m2 >= MIN_PIECE_M2].copy()
    out["share"] = out.area_m2 / out.groupby("LSOA11CD").area_m2.transform("sum")
    pop = pd.read_csv(FILE6, encoding="utf-8-sig", thousands=",").set_index("LSOA code (2011)").iloc[:, 3]
    rank = pd.read_csv(FILE1, encoding="utf-8-sig", thousands=",").set_index("LSOA code (2011)").iloc[:, 3]
    out["people"] = out.share * out.LSOA11CD.map(pop)
    out["people_x_rank"] = out.people * out.LSOA11CD.map(rank)
    return out


def derived(conn: Connection, key: str, kind: str) -> dict[str, float]:
    return pairs(
        conn,
        "SELECT i.area_code, i.value FROM indicators i "
        "JOIN areas a ON a.code = i.area_code AND a.kind = :kind WHERE i.derived AND i.key = :key",
        kind=kind,
        key=key,
    )


def test_ward_population_and_mean_imd_rank_match_geopandas(
    conn: Connection, pieces: gpd.GeoDataFrame
) -> None:
    by_ward = pieces.groupby("WD13CD")[["people", "people_x_rank"]].sum()
    population, mean_rank = derived(conn, "population_total", "ward"), derived(conn, "imd_rank", "ward")
    assert set(population) == set(by_ward.index) and len(population) == N_WARDS
    for ward, row in by_ward.iterrows():
        assert population[str(ward)] == pytest.approx(row.people, rel=1e-6), ward
        assert mean_rank[str(ward)] == pytest.approx(row.people_x_rank / row.people, rel=1e-6), ward
    mancroft_lsoas = pieces[pieces.WD13CD == MANCROFT]
    assert min(mancroft_lsoas.people_x_rank / mancroft_lsoas.people) <= mean_rank[MANCROFT]
    assert mean_rank[MANCROFT] <= max(mancroft_lsoas.people_x_rank / mancroft_lsoas.people)


def test_district_populations_sum_to_the_lsoa_total(conn: Connection) -> None:
    lsoa_total = conn.execute(
        text("SELECT sum(value) FROM indicators WHERE key = 'population_total' AND NOT derived")
    ).scalar_one()
    csv_total = pd.read_csv(FILE6, encoding="utf-8-sig", thousands=",").iloc[:, 4].sum()
    districts = derived(conn, "population_total", "district")
    assert len(districts) == N_DISTRICTS
    assert lsoa_total == csv_total
    assert sum(districts.values()) == pytest.approx(lsoa_total, abs=1e-6)
    assert sum(derived(conn, "population_total", "ward").values()) == pytest.approx(lsoa_total, rel=1e-9)
    file6 = pd.read_csv(FILE6, encoding="utf-8-sig", thousands=",")
    for lad, total in file6.groupby(file6.columns[2])[file6.columns[4]].sum().items():
        assert districts[str(lad)] == pytest.approx(total, abs=1e-6)


def test_straddling_lsoa_shares_sum_to_one(conn: Connection, pieces: gpd.GeoDataFrame) -> None:
    lsoa = conn.execute(
        text(
            "SELECT lsoa_code FROM area_shares WHERE share > 0.05 AND share < 0.95 ORDER BY lsoa_code LIMIT 1"
        )
    ).scalar_one()
    shares = pairs(conn, "SELECT area_code, share FROM area_shares WHERE lsoa_code = :l", l=lsoa)
    assert len(shares) >= 2 and sum(shares.values()) == pytest.approx(1, abs=1e-12)
    mine = pieces[pieces.LSOA11CD.eq(lsoa)].set_index("WD13CD").share
    assert shares == pytest.approx(mine.to_dict(), rel=1e-6)
    assert conn.execute(text("SELECT count(DISTINCT lsoa_code) FROM area_shares")).scalar_one() == N_LSOAS
    assert (
        conn.execute(text("SELECT count(*) FROM area_shares WHERE share = 1")).scalar_one() > 0
    )  # fast path


def test_rollup_is_idempotent(conn: Connection, settings: Settings) -> None:
    report = rollup_indicators(conn, metric_srid=settings.geo.metric_srid)
    n = (N_WARDS + N_DISTRICTS) * 21
    assert (report.rows, report.loaded, report.updated, report.unchanged, report.skipped) == (n, 0, 0, n, 0)
    assert any("EPSG:27700" in note for note in report.notes)
    assert count(conn, f"derived AND source = '{ROLLUP_SOURCE}'") == n


def test_ward_without_population_gets_no_values(conn: Connection) -> None:
    conn.execute(
        text(
            "UPDATE indicators SET value = 0 WHERE key = 'population_total' AND area_code IN "
            "(SELECT lsoa_code FROM area_shares WHERE area_code = :w)"
        ),
        {"w": MANCROFT},
    )
    report = rollup_indicators(conn)
    assert values_of(conn, MANCROFT) == {}
    removed = next(n for n in report.notes if "derived values removed" in n)
    assert int(removed.split()[0]) >= 21


def test_rollup_never_overwrites_a_value_it_did_not_make(conn: Connection) -> None:
    conn.execute(
        text("DELETE FROM indicators WHERE area_code = :w AND key = 'population_total'"), {"w": MANCROFT}
    )
    conn.execute(
        text(
            "INSERT INTO indicators (area_code, key, value, period, source, derived) "
            "VALUES (:w, 'population_total', 9999, 'mid-2015', 'the council', false)"
        ),
        {"w": MANCROFT},
    )
    report = rollup_indicators(conn)
    assert report.skipped == 1 and report.loaded == 0
    assert values_of(conn, MANCROFT)["population_total"] == 9999
