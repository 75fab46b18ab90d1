"""A deployment's defaults come from its data (layers.areas.defaults): the demo's home district is Norwich
because it is the one marked mapped, and examples are a real postcode and ward of it; settings win."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from layers.areas import defaults
from layers.areas.defaults import place_defaults, zoom_for
from layers.settings import MapSettings


@pytest.fixture(autouse=True)
def _fresh() -> None:
    defaults.forget()


def test_the_demo_starts_on_norwich_with_real_examples(conn: Connection) -> None:
    found = place_defaults(conn, MapSettings())
    assert (found.district_code, found.district_name) == ("E07000148", "Norwich")
    assert 1.2 < found.centre_lon < 1.35 and 52.6 < found.centre_lat < 52.67 and 11 <= found.zoom <= 13
    wards = conn.execute(
        text("SELECT count(*) FROM areas WHERE kind = 'ward' AND name = :n AND parent_code = 'E07000148'"),
        {"n": found.example_ward},
    ).scalar_one()
    assert wards == 1
    district = conn.execute(
        text("SELECT district_code FROM postcodes WHERE postcode = :p"), {"p": found.example_postcode}
    ).scalar_one()
    assert district == "E07000148"
    assert (
        found.where_examples() == f"{found.example_postcode}, {found.example_outward} or {found.example_ward}"
    )


def test_settings_win(conn: Connection) -> None:
    chosen = MapSettings(default_district="E07000143", map_zoom=9)
    found = place_defaults(conn, chosen)
    assert (found.district_code, found.district_name, found.zoom) == ("E07000143", "Breckland", 9)
    assert found.example_postcode is None and found.example_ward  # no postcodes loaded for Breckland
    centre = place_defaults(conn, MapSettings(map_centre_lon=1.0, map_centre_lat=52.0))
    assert (centre.centre_lon, centre.centre_lat) == (1.0, 52.0)


def test_another_council_with_nothing_mapped(conn: Connection) -> None:
    conn.execute(text("DELETE FROM mapped_areas"))
    found = place_defaults(conn, MapSettings())
    assert found.district_code == "E07000148"  # the district holding the most hubs, spaces and groups
    conn.execute(
        text("DELETE FROM group_areas; DELETE FROM groups; DELETE FROM spaces; DELETE FROM hubs CASCADE")
    )
    defaults.forget()
    assert place_defaults(conn, MapSettings()).district_code == "E07000143"  # else the first by code


def test_zoom_for() -> None:
    assert zoom_for(0.15, 0.08) == 12  # a city
    assert zoom_for(1.5, 0.8) == 9  # a county
    assert zoom_for(0, 0) == 13
