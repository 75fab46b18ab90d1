"""The command line as a council's GIS officer meets it: data on stdout and progress on stderr, a summary with
at most ten rows of each kind and every row in --report FILE.csv, failures printed once, and a downgrade that
asks first. Run through Typer's runner on a new database of their own."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from layers import migrate
from layers.settings import DatabaseSettings
from tests.conftest import DATA

WARDS = DATA / "norfolk" / "wards_2013.geojson"


def _runner() -> CliRunner:
    return CliRunner()


def _bad_wards(tmp_path: Path, n: int) -> Path:
    """Norwich's 13 wards, then ``n`` rows with no geometry (each rejected)."""
    collection = json.loads(WARDS.read_text(encoding="utf-8"))
    good = [f for f in collection["features"] if f["properties"]["LAD13CD"] == "E07000148"]
    bad = [
        {"type": "Feature", "properties": {"WD13CD": f"E0599{i:04d}", "WD13NM": f"Bad {i}"}, "geometry": None}
        for i in range(n)
    ]
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": good + bad}), encoding="utf-8")
    return path


def test_status_is_data_on_stdout(empty_database: str) -> None:
    result = _runner().invoke(app, ["db", "status"])
    assert result.exit_code == 0
    assert result.stdout.startswith("revision: ") and "areas: 0" in result.stdout
    assert "revision" not in result.stderr


def test_downgrade_needs_a_revision_and_asks(empty_database: str) -> None:
    runner = _runner()
    assert runner.invoke(app, ["db", "downgrade"]).exit_code == 2  # no revision: Typer's usage error
    refused = runner.invoke(app, ["db", "downgrade", "base"], input="n\n")
    assert refused.exit_code == 1 and "would delete every table" in " ".join(refused.stderr.split())
    assert migrate.current(DatabaseSettings(url=empty_database)) is not None
    done = runner.invoke(app, ["db", "downgrade", "base", "--yes"])
    assert done.exit_code == 0, done.output
    status = runner.invoke(app, ["db", "status"])  # no traceback on an empty database
    assert status.exit_code == 0 and "the database is empty" in status.stdout
    again = runner.invoke(app, ["db", "downgrade", "base", "--yes"])
    assert again.exit_code == 1 and "nothing to revert" in " ".join(again.stderr.split())


def test_a_failed_import_lists_rows_once_and_writes_them_all(empty_database: str, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    result = _runner().invoke(
        app,
        ["import", "boundaries", str(_bad_wards(tmp_path, 25)), "--kind", "ward", "--report", str(report)],
    )
    assert result.exit_code == 1
    err = result.stderr
    assert "25 of 38 rows rejected" in err
    assert err.count("row 14 (E05990000)") == 1  # printed once, not in the summary and again in the error
    assert err.count("  rejected row") == 10 and "... and 15 more rejected rows: every one is in" in err
    assert "Traceback" not in result.output
    with report.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 25 and {r["outcome"] for r in rows} == {"rejected"}
    assert rows[0]["row"] == "14" and rows[0]["name"] == "E05990000" and rows[0]["reason"]
    assert "\n  areas: 0\n" in _runner().invoke(app, ["db", "status"]).stdout  # nothing written


def test_an_import_prints_its_summary_on_stdout(empty_database: str, tmp_path: Path) -> None:
    result = _runner().invoke(app, ["import", "boundaries", str(_bad_wards(tmp_path, 2)), "--kind", "ward",
                                    "--allow-rejects"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "ward boundaries from wards.geojson: 15 rows read; 13 loaded" in result.stdout
    assert "Committed." in result.stderr and "Committed." not in result.stdout


def test_serve_prints_addresses_a_browser_can_open() -> None:
    from api.cli.serve import addresses

    everywhere = "\n".join(addresses("0.0.0.0", 8000))
    assert "http://localhost:8000/" in everywhere and "http://0.0.0.0" not in everywhere
    assert "officers' map: http://localhost:8000/analysis" in everywhere
    assert "every network address" in everywhere
    assert "http://127.0.0.1:9000/analysis" in "\n".join(addresses("127.0.0.1", 9000))
    assert "http://[::1]:8000/" in "\n".join(addresses("::1", 8000))
