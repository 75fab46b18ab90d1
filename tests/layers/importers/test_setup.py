"""`patchmap setup` on a new empty database: a council outside Norwich (Breckland) from files laid out like the
national ones (the project's Norfolk files stand in for England's), through the command line."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.cli import app
from layers.settings import DatabaseSettings
from tests.conftest import DATA

BRECKLAND = "E07000143"
FILES = [
    "--wards", str(DATA / "norfolk" / "wards_2013.geojson"),
    "--lsoas", str(DATA / "norfolk" / "lsoa_2011.geojson"),
    *(a for p in sorted((DATA / "imd2019").glob("File_*.csv")) for a in ("--iod", str(p))),
]  # fmt: skip


def test_setup_builds_one_council_from_national_files(empty_database: str) -> None:
    result = CliRunner().invoke(app, ["setup", "--district", BRECKLAND, *FILES])
    assert result.exit_code == 0, result.output
    assert "Next" in result.stdout and f"--covers {BRECKLAND}" in result.stdout
    engine = create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT kind, count(*) FROM areas GROUP BY kind")).all())
        district = conn.execute(text("SELECT name FROM areas WHERE kind = 'district'")).scalar_one()
        outside = conn.execute(
            text("SELECT count(*) FROM areas WHERE kind = 'ward' AND parent_code <> :d"), {"d": BRECKLAND}
        ).scalar_one()
        people = conn.execute(
            text("SELECT value FROM indicators WHERE area_code = :d AND key = 'population_total'"),
            {"d": BRECKLAND},
        ).scalar_one()
        stray = conn.execute(
            text(
                "SELECT count(*) FROM indicators i LEFT JOIN areas a ON a.code = i.area_code WHERE a.id IS NULL"
            )
        ).scalar_one()
    engine.dispose()
    assert district == "Breckland" and outside == 0
    assert kinds["ward"] == 36 and kinds["district"] == 1 and 70 <= kinds["lsoa"] <= 90
    assert 125_000 < people < 145_000  # Breckland's mid-2015 population
    assert stray == 0  # IoD values only for the LSOAs kept


def test_setup_says_what_is_wrong(empty_database: str) -> None:
    result = CliRunner().invoke(app, ["setup", "--district", "E06999999", *FILES])
    assert result.exit_code == 1 and "no wards of E06999999" in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


def test_another_council_sees_its_own_maps(empty_database: str) -> None:
    """After setup alone, the residents' and officers' maps open on Breckland and nothing mentions Norwich."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from layers.areas import defaults
    from layers.settings import Settings

    assert CliRunner().invoke(app, ["setup", "--district", BRECKLAND, *FILES]).exit_code == 0
    defaults.forget()
    settings = Settings(database=DatabaseSettings(url=empty_database, pool_min=1, pool_max=2))
    with TestClient(create_app(settings)) as client:
        officers = client.get("/analysis")
        residents = client.get("/")
        overlay = client.get("/analysis/overlay", params={"level": "ward", "within": BRECKLAND})
    assert officers.status_code == residents.status_code == overlay.status_code == 200
    assert f'<option value="{BRECKLAND}" selected>Breckland</option>' in officers.text
    assert "For example" in residents.text or "A postcode" in residents.text
    for page in (officers.text, residents.text, overlay.text):
        assert "Norwich" not in page and "E07000148" not in page and "NR2 1AW" not in page
    assert len(overlay.json()["areas"]) == 36
