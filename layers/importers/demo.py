"""The Norfolk demo: real boundaries, IoD2019, Norwich OpenStreetMap features and 70 real group names, with
made-up (sample) rooms, booking terms and prices for its hubs and spaces (``demo_rooms``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

from layers.analysis.mapped import mark_covered
from layers.importers.boundaries import import_boundaries
from layers.importers.demo_contacts import add_sample_contacts
from layers.importers.demo_groups import place_demo_groups
from layers.importers.demo_rooms import add_sample_rooms
from layers.importers.demo_volunteering import add_sample_volunteering
from layers.importers.groups import import_groups
from layers.importers.iod import import_iod, rollup_indicators
from layers.importers.localities import import_localities
from layers.importers.osm import import_osm
from layers.importers.postcodes import build_approximate_postcodes
from layers.importers.report import ImportReport, NoProgress, Progress
from layers.settings import Settings, default_data_dir

NORWICH = "E07000148"
TABLES = (
    "areas",
    "area_pieces",
    "indicators",
    "hubs",
    "spaces",
    "groups",
    "group_areas",
    "postcodes",
    "rooms",
    "resources",
)


def demo_files(data_dir: Path) -> dict[str, list[Path]]:
    """The demo's files, by what they hold."""
    return {
        "wards": [data_dir / "norfolk" / "wards_2013.geojson"],
        "lsoas": [data_dir / "norfolk" / "lsoa_2011.geojson"],
        "localities": [data_dir / "sample" / "norwich_localities.csv"],
        "iod": sorted((data_dir / "imd2019").glob("File_*.csv")),
        "osm": sorted((data_dir / "osm_norwich").glob("*.geojson")),
        "groups": [data_dir / "norwich_review_groups.csv"],
        "group_places": [data_dir / "norwich_group_places.csv"],
    }


def load_demo(
    conn: Connection,
    settings: Settings,
    progress: Progress | None = None,
    data_dir: Path | None = None,
    *,
    volunteering: bool = False,
) -> list[ImportReport]:
    """Load every demo file in one savepoint of ``conn``; return one report per step. ``volunteering`` adds
    the sample offers of help and groups wanting volunteers (``patchmap demo`` does; test databases don't,
    as many tests expect a demo without submissions)."""
    progress = progress or NoProgress()
    files = demo_files(data_dir or default_data_dir())
    n = settings.geo.subdivide_max_vertices
    with conn.begin_nested():
        reports = [
            import_boundaries(
                conn, files["wards"][0], kind="ward", subdivide_max_vertices=n, progress=progress
            ),
            import_boundaries(
                conn, files["lsoas"][0], kind="lsoa", subdivide_max_vertices=n, progress=progress
            ),
            import_localities(conn, files["localities"][0], subdivide_max_vertices=n, progress=progress),
            import_iod(conn, files["iod"], progress=progress),
            rollup_indicators(conn, metric_srid=settings.geo.metric_srid, progress=progress),
            import_osm(conn, files["osm"], progress=progress),
            build_approximate_postcodes(conn, files["osm"], progress=progress),
            import_groups(conn, files["groups"][0], serves=[NORWICH], progress=progress),
            place_demo_groups(conn, files["group_places"][0], progress=progress),
            add_sample_rooms(conn, progress=progress),
            add_sample_contacts(conn, progress=progress),
            *([add_sample_volunteering(conn, progress=progress)] if volunteering else []),
        ]
        # The demo's register is complete for Norwich only: its OpenStreetMap features and the review's groups.
        reports[-1].notes.extend(
            mark_covered(
                conn,
                [NORWICH],
                ["group", "hub", "space"],
                mapped_by="demo import",
                source="OpenStreetMap features of Norwich; the review's 70 Norwich groups",
            )
        )
    return reports


def is_loaded(conn: Connection) -> bool:
    """Whether the demo (or any real data) is already in the database."""
    return bool(
        conn.execute(text("SELECT EXISTS (SELECT 1 FROM areas) AND EXISTS (SELECT 1 FROM hubs)")).scalar_one()
    )


def table_counts(conn: Connection) -> dict[str, int]:
    """Row counts of the main tables."""
    return {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in TABLES}
