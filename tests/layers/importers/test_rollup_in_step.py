"""Roll-ups kept in step: boundaries loaded after the IoD get their populations and needs at once, through the
command line as a council would run it, on a new empty database (no `patchmap import rollup` by hand)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.cli import app
from layers import migrate
from layers.settings import DatabaseSettings
from tests.conftest import DATA
from tests.live_app import create_database, drop_database

NORFOLK = DATA / "norfolk"
IOD = sorted((DATA / "imd2019").glob("File_*.csv"))


@pytest.fixture
def empty_url(server_url: str) -> Iterator[str]:
    name = f"patchmap_test_rollup_{uuid.uuid4().hex[:8]}"
    url = create_database(server_url, name)
    migrate.upgrade(DatabaseSettings(url=url))
    yield url
    drop_database(server_url, name)


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


def test_wards_loaded_after_the_iod_get_their_population(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_url)
    runner = CliRunner()
    steps = [
        ["import", "boundaries", str(NORFOLK / "lsoa_2011.geojson"), "--kind", "lsoa"],
        ["import", "iod", *map(str, IOD)],
    ]
    for step in steps:
        result = runner.invoke(app, step)
        assert result.exit_code == 0, result.output
    assert _ward_population(empty_url) == 0  # no wards yet
    result = runner.invoke(
        app, ["import", "boundaries", str(NORFOLK / "wards_2013.geojson"), "--kind", "ward"]
    )
    assert result.exit_code == 0, result.output
    assert "roll-up" in result.output
    # Norfolk's mid-2015 population, shared among its wards by area: all of it, give or take rounding
    assert _ward_population(empty_url) == pytest.approx(885_000, rel=0.02)


def test_no_rollup_says_what_to_run(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_url)
    runner = CliRunner()
    for step in (
        ["import", "boundaries", str(NORFOLK / "lsoa_2011.geojson"), "--kind", "lsoa"],
        ["import", "iod", *map(str, IOD), "--no-rollup"],
        ["import", "boundaries", str(NORFOLK / "wards_2013.geojson"), "--kind", "ward", "--no-rollup"],
    ):
        result = runner.invoke(app, step)
        assert result.exit_code == 0, result.output
    assert "patchmap import rollup" in " ".join(result.output.split())
    assert _ward_population(empty_url) == 0
