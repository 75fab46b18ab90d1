"""Roll-ups kept in step: boundaries loaded after the IoD get their populations and needs at once, through the
command line as a council would run it, on a new empty database (no `patchmap import rollup` by hand)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import DATA

NORFOLK = DATA / "norfolk"
IOD = sorted((DATA / "imd2019").glob("File_*.csv"))


def _ward_population(url: str) -> float:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        value = conn.execute(
            text(
                "SELECT coalesce(sum(i.value), 0) FROM indicators i JOIN areas a ON a.code = i.area_code "
                "WHERE a.kind = 'ward' AND i.key = 'population_total'"
            )
        ).scalar_one()
    engine.dispose()
    return float(value)


def test_wards_loaded_after_the_iod_get_their_population(empty_database: str) -> None:
    runner = CliRunner()
    steps = [
        ["import", "boundaries", str(NORFOLK / "lsoa_2011.geojson"), "--kind", "lsoa"],
        ["import", "iod", *map(str, IOD)],
    ]
    for step in steps:
        result = runner.invoke(app, step)
        assert result.exit_code == 0, result.output
    assert _ward_population(empty_database) == 0  # no wards yet
    result = runner.invoke(
        app, ["import", "boundaries", str(NORFOLK / "wards_2013.geojson"), "--kind", "ward"]
    )
    assert result.exit_code == 0, result.output
    assert "roll-up" in result.output
    # Norfolk's mid-2015 population, shared among its wards by area: all of it, give or take rounding
    assert _ward_population(empty_database) == pytest.approx(885_000, rel=0.02)


def test_no_rollup_says_what_to_run(empty_database: str) -> None:
    runner = CliRunner()
    for step in (
        ["import", "boundaries", str(NORFOLK / "lsoa_2011.geojson"), "--kind", "lsoa"],
        ["import", "iod", *map(str, IOD), "--no-rollup"],
        ["import", "boundaries", str(NORFOLK / "wards_2013.geojson"), "--kind", "ward", "--no-rollup"],
    ):
        result = runner.invoke(app, step)
        assert result.exit_code == 0, result.output
    assert "patchmap import rollup" in " ".join(result.output.split())
    assert _ward_population(empty_database) == 0
