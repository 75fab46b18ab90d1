"""An officer's own indicators from CSV: the sample file, every reject reason, hostile files, the CLI,
and the list of indicators an analysis can offer as its need measure."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from rich.console import Console
from sqlalchemy import Connection, text
from typer.testing import CliRunner

import api.cli as cli
import api.cli.common as cli_common
from layers.analysis.indicators import available_indicators
from layers.errors import ImportFailed, InvalidInput
from layers.importers import indicators as importer
from layers.importers.indicators import builtin_reason, import_indicators, indicator_key, parse_value
from tests.conftest import DATA

SAMPLE = DATA / "sample" / "norwich_indicators_sample.csv"
SAMPLE_SOURCE = "SAMPLE: made-up values for the Patchmap demo and tests"
MANCROFT, MILE_CROSS, EATON = "E05005882", "E05005883", "E05005880"
NORWICH = "E07000148"
HEADER = "area_code,indicator,value,period"
GOOD = f"{MANCROFT},loneliness_score,41.5,2024"  # row 2 of every hostile file below


def write(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def stored(conn: Connection, key: str) -> dict[tuple[str, str], tuple[float, str, bool]]:
    rows = conn.execute(
        text("SELECT area_code, period, value, source, derived FROM indicators WHERE key = :k"), {"k": key}
    )
    return {(r.area_code, r.period): (r.value, r.source, r.derived) for r in rows}


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM indicators")).scalar_one())


def said(exc: ImportFailed) -> str:
    return f"{exc.message} {exc.detail}"


# --- the pieces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("loneliness_score", "loneliness_score"),
        ("Food bank referrals", "food_bank_referrals"),
        ("  Food-bank referrals (per 1,000)  ", "food_bank_referrals_per_1_000"),
        ("Café visits", "cafe_visits"),
        ("% lonely", "lonely"),
        ("!!!", ""),
    ],
)
def test_indicator_key(name: str, key: str) -> None:
    assert indicator_key(name) == key


@pytest.mark.parametrize(
    ("key", "builtin"),
    [
        ("imd_rank", "is a built-in IoD2019 indicator"),
        ("population_total", "is a built-in IoD2019 indicator"),
        ("living_environment_decile", "is a built-in IoD2019 indicator"),
        ("imd_score", "looks like a built-in IoD2019 indicator"),
        ("loneliness_rank", "looks like a built-in IoD2019 indicator"),
        ("population_over_80", "looks like a built-in IoD2019 indicator"),
        ("loneliness_score", None),
        ("food_bank_referrals", None),
    ],
)
def test_builtin_reason(key: str, builtin: str | None) -> None:
    reason = builtin_reason(key)
    assert (reason is None) if builtin is None else (builtin in str(reason))


@pytest.mark.parametrize(
    ("raw", "value", "percent"),
    [
        ("41.5", 41.5, False),
        (" -3 ", -3.0, False),
        ("1,296", 1296.0, False),
        ("1,296,000.5", 1296000.5, False),
        ("12.5%", 12.5, True),
        ("12.5 %", 12.5, True),
        ("1e3", 1000.0, False),
        (".5", 0.5, False),
    ],
)
def test_parse_value_accepts(raw: str, value: float, percent: bool) -> None:
    assert parse_value(raw) == (value, "", percent)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "no value"),
        ("   ", "no value"),
        ("NaN", "not a finite number"),
        ("inf", "not a finite number"),
        ("-Infinity", "not a finite number"),
        ("1e999", "too large"),
        ("n/a", "not a number"),
        ("12 people", "not a number"),
        ("1_000", "not a number"),
        ("1,29", "not a number"),  # a decimal comma, or a typo: not thousands
        ("£5", "not a number"),
        ("1.2.3", "not a number"),
    ],
)
def test_parse_value_rejects(raw: str, why: str) -> None:
    value, reason, _ = parse_value(raw)
    assert value is None and why in reason


# --- the sample file -----------------------------------------------------------------------------


def test_sample_file_loads(conn: Connection) -> None:
    before = count(conn)
    report = import_indicators(conn, SAMPLE)
    assert (report.rows, report.loaded, report.updated, report.unchanged) == (26, 26, 0, 0)
    assert not report.rejected and not report.repaired
    assert count(conn) == before + 26
    lonely = stored(conn, "loneliness_score")
    assert len(lonely) == 13 and {p for _, p in lonely} == {"2024"}
    assert lonely[(EATON, "2024")] == (28.5, SAMPLE_SOURCE, False)
    food = stored(conn, "food_bank_referrals")
    assert food[(MILE_CROSS, "2024-25")] == (1296.0, SAMPLE_SOURCE, False)  # "1,296" in the file
    codes = {c for c, _ in lonely}
    wards = set(
        conn.execute(text("SELECT code FROM areas WHERE kind = 'ward' AND parent_code = :d"), {"d": NORWICH})
        .scalars()
        .all()
    )
    assert codes == wards  # every Norwich ward, nothing else
    assert any("columns ignored: 'area_name'" in n for n in report.notes)


def test_reimport_reports_every_row_unchanged(conn: Connection) -> None:
    import_indicators(conn, SAMPLE)
    report = import_indicators(conn, SAMPLE)
    assert (report.loaded, report.updated, report.unchanged) == (0, 0, 26)


def test_a_changed_value_is_updated(conn: Connection, tmp_path: Path) -> None:
    import_indicators(conn, SAMPLE)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace(",28.5,", ",30,")  # Eaton's loneliness score
    report = import_indicators(conn, write(tmp_path / "changed.csv", *lines))
    assert (report.loaded, report.updated, report.unchanged) == (0, 1, 25)
    assert stored(conn, "loneliness_score")[(EATON, "2024")][0] == 30


def test_source_is_the_column_then_the_argument_then_the_file_name(conn: Connection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "mixed.csv",
        "area_code,indicator,value,period,source",
        f"{MANCROFT},visits,1,2024,Norwich food bank",
        f"{EATON},visits,2,2024,",
    )
    import_indicators(conn, path)
    assert {c: s for (c, _), (_, s, _) in stored(conn, "visits").items()} == {
        MANCROFT: "Norwich food bank",
        EATON: "imported from mixed.csv",
    }
    report = import_indicators(conn, path, source="Norfolk County Council, 2024 survey")
    assert (report.updated, report.unchanged) == (1, 1)  # Eaton's source changed
    assert stored(conn, "visits")[(EATON, "2024")][1] == "Norfolk County Council, 2024 survey"


def test_a_custom_locality_and_a_district_take_values(conn: Connection, tmp_path: Path) -> None:
    # SAMPLE-NOR-NORTH is a custom locality of the demo; its code is matched in any case (and repaired)
    path = write(tmp_path / "kinds.csv", HEADER, "sample-nor-north,reach,3,2024", f"{NORWICH},reach,4,2024")
    report = import_indicators(conn, path)
    assert report.loaded == 2
    assert [(r.row, r.reason) for r in report.repaired] == [
        (2, "'sample-nor-north' read as SAMPLE-NOR-NORTH")
    ]
    assert set(stored(conn, "reach")) == {("SAMPLE-NOR-NORTH", "2024"), (NORWICH, "2024")}


# --- what is accepted ----------------------------------------------------------------------------


def test_header_aliases_bom_and_repaired_names(conn: Connection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "aliases.csv",
        "Ward name,CODE,Measure,Value,Year",
        f"Mancroft,{MANCROFT},Food bank referrals,12.5%,2024",
        f'Mile Cross,{MILE_CROSS},Food bank referrals,"1,296",2024',
        f"Eaton,{EATON},food_bank_referrals,3,2024",
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = import_indicators(conn, path)
    assert (report.loaded, len(report.rejected)) == (3, 0)
    assert [(r.row, r.name, r.reason) for r in report.repaired] == [
        (2, "Food bank referrals", "'Food bank referrals' read as food_bank_referrals and 1 more rows")
    ]
    food = stored(conn, "food_bank_referrals")
    assert {c: v for (c, _), (v, _, _) in food.items()} == {MANCROFT: 12.5, MILE_CROSS: 1296.0, EATON: 3.0}
    assert any("1 value had a % sign" in n for n in report.notes)
    assert any("'Ward name'" in n for n in report.notes)


@pytest.mark.parametrize(
    "header",
    [
        "Area Code,Indicator,Value,Period",
        "area,key,value,time period",
        "AREA-CODE,INDICATOR_NAME,VAL,PERIOD",
        "gss_code,metric,indicator_value,year",
    ],
)
def test_other_header_spellings(conn: Connection, tmp_path: Path, header: str) -> None:
    report = import_indicators(conn, write(tmp_path / "h.csv", header, GOOD))
    assert report.loaded == 1 and stored(conn, "loneliness_score") == {
        (MANCROFT, "2024"): (41.5, "imported from h.csv", False)
    }


def test_gzipped_file(conn: Connection, tmp_path: Path) -> None:
    packed = tmp_path / "norwich.csv.gz"
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    report = import_indicators(conn, packed, source="sample")
    assert (report.rows, report.loaded, len(report.rejected)) == (26, 26, 0)
    assert import_indicators(conn, SAMPLE, source="sample").unchanged == 26  # the same values


def test_windows_1252_file_is_read_with_a_note(conn: Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "excel.csv", HEADER, f"{MANCROFT},Café visits,5,2024–25", encoding="cp1252")
    report = import_indicators(conn, path)
    assert report.loaded == 1 and stored(conn, "cafe_visits") == {
        (MANCROFT, "2024–25"): (5.0, "imported from excel.csv", False)
    }
    assert any("Windows-1252" in n for n in report.notes)


def test_an_excel_csv_with_semicolons_in_windows_1252(conn: Connection, tmp_path: Path) -> None:
    """What Excel saves as "CSV" in a comma-decimal locale: semicolons, Windows-1252, thousands commas."""
    path = tmp_path / "excel.csv"
    lines = [
        "Area Code;Indicator;Value;Period",
        f"{MANCROFT};Café visits;1,296;2024–25",
        f"{EATON};Café visits;7;2024–25",
    ]
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    report = import_indicators(conn, path)
    assert (report.loaded, report.rejected) == (2, [])
    assert stored(conn, "cafe_visits")[(MANCROFT, "2024–25")][0] == 1296.0
    assert any("semicolons" in n for n in report.notes) and any("Windows-1252" in n for n in report.notes)


def test_a_spreadsheet_numbers_rows_as_excel_does(conn: Connection, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    for row in (["Area", "Measure", "Value", "Year"], [MANCROFT, "Café visits", 5, 2024], [None] * 4,
                [EATON, "Café visits", "n/a", 2024]):  # fmt: skip
        sheet.append(row)
    path = tmp_path / "visits.xlsx"
    book.save(path)
    with pytest.raises(ImportFailed) as failed:
        import_indicators(conn, path)
    report: Any = failed.value.report
    assert report.rows == 2 and [r.row for r in report.rejected] == [4]
    assert import_indicators(conn, path, allow_rejects=True).loaded == 1
    assert stored(conn, "cafe_visits") == {(MANCROFT, "2024"): (5.0, "imported from visits.xlsx", False)}


def test_blank_lines_keep_the_row_numbers_of_the_file(conn: Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "gaps.csv", HEADER, GOOD, "", ",,,", f"{EATON},loneliness_score,n/a,2024")
    with pytest.raises(ImportFailed) as failed:
        import_indicators(conn, path)
    report: Any = failed.value.report
    assert report.rows == 2 and [r.row for r in report.rejected] == [5]


# --- what is rejected ----------------------------------------------------------------------------

LONG = "x" * 65
REJECTS: list[tuple[str, str, str]] = [  # id, the bad row (row 3), what the officer is told
    (
        "unknown area",
        "E05999999,loneliness_score,40,2024",
        "no area with code E05999999: import its boundaries first",
    ),
    ("blank area", ",loneliness_score,40,2024", "no area code"),
    ("blank key", f"{EATON},,40,2024", "no indicator name"),
    ("symbols only", f"{EATON},%%%,40,2024", "indicator name '%%%' gives no usable key"),
    ("one letter", f"{EATON},x,40,2024", "indicator name 'x' gives no usable key"),
    ("long key", f"{EATON},{LONG},40,2024", "is too long (65 characters; at most 64)"),
    (
        "built-in key",
        f"{EATON},imd_rank,40,2024",
        "imd_rank is a built-in IoD2019 indicator; give your own a different name",
    ),
    ("built-in name", f"{EATON},IMD Rank,40,2024", "imd_rank is a built-in IoD2019 indicator"),
    (
        "reserved suffix",
        f"{EATON},loneliness_rank,40,2024",
        "loneliness_rank looks like a built-in IoD2019 indicator",
    ),
    ("text value", f"{EATON},loneliness_score,n/a,2024", "value 'n/a' is not a number"),
    ("NaN value", f"{EATON},loneliness_score,NaN,2024", "value 'NaN' is not a finite number"),
    ("inf value", f"{EATON},loneliness_score,inf,2024", "value 'inf' is not a finite number"),
    ("blank value", f"{EATON},loneliness_score,,2024", "no value (the value is blank)"),
    ("blank period", f"{EATON},loneliness_score,40,", "no period: say what the value is for"),
    ("long period", f"{EATON},loneliness_score,40,{'2024 ' * 7}", "is too long (34 characters; at most 32)"),
    (
        "duplicate",
        f"{MANCROFT},loneliness_score,43,2024",
        "the same area, indicator and period as row 2, which was kept",
    ),
    (
        "duplicate by name",
        f"{MANCROFT},Loneliness score,43,2024",
        "the same area, indicator and period as row 2, which was kept",
    ),
    (
        "unquoted comma",
        f"{EATON},referrals,1,296,2024",
        "5 fields but the header has 4: is there an unquoted comma",
    ),
]


@pytest.mark.parametrize(("bad", "reason"), [r[1:] for r in REJECTS], ids=[r[0] for r in REJECTS])
def test_a_rejected_row_fails_the_file_and_writes_nothing(
    conn: Connection, tmp_path: Path, bad: str, reason: str
) -> None:
    path = write(tmp_path / "bad.csv", HEADER, GOOD, bad, f"{EATON},food_bank_referrals,7,2024-25")
    before = count(conn)
    with pytest.raises(ImportFailed) as failed:
        import_indicators(conn, path)
    assert "1 of 3 rows rejected in bad.csv; nothing was imported" in failed.value.message
    assert "row 3 (" in failed.value.detail and reason in failed.value.detail
    assert "--allow-rejects" in failed.value.detail
    report: Any = failed.value.report
    assert [r.row for r in report.rejected] == [3] and reason in report.rejected[0].reason
    assert count(conn) == before


def test_all_reasons_of_a_row_are_given(conn: Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", HEADER, "E05999999,imd_rank,lots,")
    with pytest.raises(ImportFailed) as failed:
        import_indicators(conn, path)
    reason = failed.value.report.rejected[0].reason  # type: ignore[attr-defined]
    for part in (
        "no area with code E05999999",
        "imd_rank is a built-in",
        "'lots' is not a number",
        "no period",
    ):
        assert part in reason


def test_allow_rejects_loads_the_good_rows(conn: Connection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "some.csv",
        HEADER,
        GOOD,
        "E05999999,loneliness_score,40,2024",
        f"{EATON},loneliness_score,NaN,2024",
        f"{MANCROFT},loneliness_score,43,2024",
        f"{EATON},loneliness_score,30,2024",
    )
    report = import_indicators(conn, path, allow_rejects=True)
    assert (report.rows, report.loaded) == (5, 2)
    assert [r.row for r in report.rejected] == [3, 4, 5]
    assert stored(conn, "loneliness_score") == {
        (MANCROFT, "2024"): (41.5, "imported from some.csv", False),  # the first of the two is kept
        (EATON, "2024"): (30.0, "imported from some.csv", False),
    }
    assert any("header is row 1" in n for n in report.notes)


# --- files that cannot be imported ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["area_code,indicator,period", GOOD],
            ["missing column value", "Columns found: 'area_code', 'indicator'"],
        ),
        (["code,name,number,year"], ["missing columns indicator, value", "also accepted"]),
    ],
    ids=["no value", "two missing"],
)
def test_missing_columns_fail_the_file(
    conn: Connection, tmp_path: Path, lines: list[str], expected: list[str]
) -> None:
    before = count(conn)
    with pytest.raises(ImportFailed) as failed:
        import_indicators(conn, write(tmp_path / "cols.csv", *lines))
    assert "nothing was imported" in failed.value.message
    for words in expected:
        assert words in said(failed.value)
    assert count(conn) == before


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.csv", None, "file not found"),
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\n", "the file is empty"),
        ("fake.csv.gz", b"\x1f\x8bnot gzip at all", "could not be read"),
        ("book.xlsx", b"PK\x03\x04rest of a workbook", "not a readable spreadsheet"),
        ("book.csv", b"PK\x03\x04rest of a workbook", "not CSV"),
        ("nul.csv", b"area_code,indicator,value,period\nE0\x00,a,1,2\n", "NUL bytes"),
        (
            "utf16.csv",
            "area_code,indicator,value,period\n".encode("utf-16-le"),
            "UTF-16 without a byte-order",
        ),
    ],
)
def test_unreadable_file_fails_clearly(
    conn: Connection, tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportFailed, match=expected):
        import_indicators(conn, path)


def test_header_without_rows_imports_nothing(conn: Connection, tmp_path: Path) -> None:
    report = import_indicators(conn, write(tmp_path / "none.csv", HEADER))
    assert (report.rows, report.loaded) == (0, 0)
    assert any("no data rows" in n for n in report.notes)


class FailWhileWriting:
    """A progress bar that raises once the first batch of values is written."""

    def __init__(self) -> None:
        self.writing = False

    def start(self, description: str, total: int | None) -> None:
        self.writing = description.startswith("Writing")

    def advance(self, n: int = 1) -> None:
        if self.writing:
            raise RuntimeError("the disk is full")


def test_a_failure_while_writing_leaves_the_database_as_it_was(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "WRITE_BATCH", 5)  # so the first batch is written before the failure
    before = count(conn)
    with pytest.raises(RuntimeError, match="disk is full"):
        import_indicators(conn, SAMPLE, progress=FailWhileWriting())
    assert count(conn) == before and stored(conn, "loneliness_score") == {}


# --- the command line ----------------------------------------------------------------------------


class OnConnection:
    """Stands in for the CLI's engine: its transaction is a savepoint of the test's (rolled back) one."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.conn.begin_nested():
            yield self.conn

    def dispose(self) -> None:
        pass


@pytest.fixture
def run_cli(conn: Connection, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``patchmap ...`` on the test's connection; returns (exit code, what it printed)."""
    monkeypatch.setattr(cli_common, "make_engine", lambda settings: OnConnection(conn))

    def run(*args: str) -> tuple[int, str]:
        out = io.StringIO()  # what it printed: messages (stderr) and what it produced (stdout), in order
        monkeypatch.setattr(cli_common, "console", Console(file=out, width=300, color_system=None))
        monkeypatch.setattr(cli_common, "data_console", Console(file=out, width=300, color_system=None))
        result = CliRunner().invoke(cli.app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, out.getvalue()

    return run


def test_cli_imports_the_sample(conn: Connection, run_cli: Any) -> None:
    code, output = run_cli("import", "indicators", str(SAMPLE), "--source", "ignored: the file has sources")
    assert code == 0, output
    assert "custom indicators from norwich_indicators_sample.csv: 26 rows read; 26 loaded" in output
    assert "Committed." in output
    assert stored(conn, "loneliness_score")[(EATON, "2024")] == (28.5, SAMPLE_SOURCE, False)
    code, output = run_cli("import", "indicators", str(SAMPLE))
    assert code == 0 and "0 loaded, 0 updated, 26 unchanged" in output


def test_cli_source_option_and_rejects(conn: Connection, run_cli: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "cli.csv", HEADER, GOOD, "E05999999,loneliness_score,40,2024")
    before = count(conn)
    code, output = run_cli("import", "indicators", str(path), "--source", "Ward survey 2024")
    assert code == 1
    assert "Import failed: custom indicators: 1 of 2 rows rejected in cli.csv; nothing was imported" in output
    assert "rejected row 3 (E05999999, loneliness_score): no area with code E05999999" in output
    assert count(conn) == before
    code, output = run_cli(
        "import", "indicators", str(path), "--source", "Ward survey 2024", "--allow-rejects"
    )
    assert code == 0 and "1 loaded" in output and "Committed." in output
    assert stored(conn, "loneliness_score") == {(MANCROFT, "2024"): (41.5, "Ward survey 2024", False)}


def test_cli_missing_column(run_cli: Any, tmp_path: Path) -> None:
    code, output = run_cli("import", "indicators", str(write(tmp_path / "c.csv", "code,value", "x,1")))
    assert code == 1 and "missing columns indicator, period" in output


# --- which indicators there are ------------------------------------------------------------------


def test_available_indicators(conn: Connection) -> None:
    import_indicators(conn, SAMPLE)
    found = {(s["key"], s["period"]): s for s in available_indicators(conn)}
    assert found[("loneliness_score", "2024")] == {
        "key": "loneliness_score",
        "period": "2024",
        "builtin": False,
        "kinds": ["ward"],
        "areas": {"ward": 13},
        "count": 13,
        "unmapped": 0,
        "derived": 0,
        "sources": [SAMPLE_SOURCE],
    }
    imd = found[("imd_rank", "2019")]
    assert imd["builtin"] and imd["kinds"] == ["ward", "district", "lsoa"]
    assert imd["areas"] == {"ward": 205, "district": 7, "lsoa": 538} and imd["derived"] == 212
    assert imd["count"] == 750 and imd["unmapped"] == 0
    assert "IoD2019 File 1 (MHCLG, OGL v3)" in imd["sources"]
    assert found[("population_total", "mid-2015")]["builtin"]
    listed = [s["builtin"] for s in available_indicators(conn)]
    assert listed == sorted(listed)  # the officer's own first


def test_available_indicators_of_one_kind(conn: Connection, tmp_path: Path) -> None:
    import_indicators(
        conn, write(tmp_path / "lsoa.csv", HEADER, "E01026822,reach,2,2024", f"{EATON},reach,3,2024")
    )
    lsoa = {s["key"]: s for s in available_indicators(conn, kind="lsoa")}
    assert lsoa["reach"]["areas"] == {"lsoa": 1} and lsoa["reach"]["count"] == 1
    assert lsoa["imd_rank"]["areas"] == {"lsoa": 538}
    assert "loneliness_score" not in lsoa
    with pytest.raises(InvalidInput, match="Unknown area kind"):
        available_indicators(conn, kind="parish")
