"""``patchmap import``: load boundaries, localities, deprivation, indicators, OpenStreetMap, postcodes, groups,
hubs, spaces, rooms and Open Referral UK feeds.

Each import is one transaction with a progress bar and a summary; with rejected rows nothing is written
unless ``--allow-rejects`` is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Connection

from api.cli.common import AllowRejects, ReportFile, option, run_import
from layers.importers.report import ImportReport, Progress
from layers.settings import Settings

app: typer.Typer = typer.Typer(
    help="Import data. Each import is one transaction with a summary.", no_args_is_help=True
)


def _file(text: str) -> Any:
    """A FILE argument (or several) with help ``text``."""
    return typer.Argument(metavar="FILE", help=text)


def _column(what: str) -> Any:
    """An option naming the file's column of ``what``."""
    return option("COLUMN", f"The column of {what}.")


Covers = Annotated[
    list[str] | None,
    option(
        "CODE",
        "A district or locality this file covers completely: mark it as mapped for the kinds imported, so the "
        "analysis scores it (repeatable).",
    ),
]


def _covers(
    conn: Connection, report: ImportReport, codes: list[str] | None, kinds: list[str], what: str
) -> None:
    """Mark what an import covers as mapped (in its transaction), noting it in its report."""
    from layers.analysis.mapped import mark_covered

    if codes:
        report.notes.extend(mark_covered(conn, codes, kinds, mapped_by=f"{what} import", source=what))


def _rollup(conn: Connection, progress: Progress, settings: Settings) -> ImportReport:
    """Roll LSOA indicators up to wards and districts (population-weighted)."""
    from layers.importers.iod import rollup_indicators

    return rollup_indicators(conn, metric_srid=settings.geo.metric_srid, progress=progress)


@app.command("boundaries")
def import_boundaries_cmd(
    path: Annotated[Path, _file("GeoJSON, GeoPackage, zipped Shapefile or CSV with a WKT column.")],
    kind: Annotated[str, option("KIND", "What the areas are: ward, district, lsoa or county.")],
    code_field: Annotated[str | None, _column("area codes (default: the ONS-style one, e.g. WD22CD)")] = None,
    name_field: Annotated[str | None, _column("area names (default: the ONS-style one, e.g. WD22NM)")] = None,
    parent_field: Annotated[
        str | None, _column("each ward's or LSOA's district code (default: the ONS-style one)")
    ] = None,
    vintage: Annotated[
        str | None, option("YEAR", "The boundaries' year (default: from the code column).")
    ] = None,
    crs: Annotated[str | None, option("CRS", "The file's CRS when it does not say, e.g. EPSG:27700.")] = None,
    layer: Annotated[
        str | None, option("LAYER", "The layer to read, for a file with several (a GeoPackage may have).")
    ] = None,
    allow_rejects: AllowRejects = False,
    report: ReportFile = None,
    rollup: Annotated[
        bool,
        typer.Option(help="Apportion LSOAs to wards and roll indicators up again, when any are loaded."),
    ] = True,
) -> None:
    """Import boundaries from GeoJSON, GeoPackage, zipped Shapefile or CSV with WKT, in any CRS.

    When LSOA indicators (the IoD) are already loaded, the roll-up to wards and districts runs again in the
    same transaction, so populations and needs stay in step with the new boundaries."""
    from layers.importers.boundaries import import_boundaries
    from layers.importers.iod import has_lsoa_indicators

    settings = Settings()

    def step(conn: Connection, progress: Progress) -> list[ImportReport]:
        reports = [import_boundaries(
            conn, path, kind=kind, code_field=code_field, name_field=name_field, parent_field=parent_field,
            vintage=vintage, crs=crs, layer=layer, allow_rejects=allow_rejects,
            subdivide_max_vertices=settings.geo.subdivide_max_vertices,
            max_vertices=settings.geo.max_area_vertices, max_unzipped_bytes=settings.geo.max_unzipped_bytes,
            progress=progress,
        )]  # fmt: skip
        if kind in ("ward", "lsoa", "district") and has_lsoa_indicators(conn):
            if rollup:
                reports.append(_rollup(conn, progress, settings))
            else:
                reports[0].notes.append(
                    "indicators were not rolled up to the new boundaries (--no-rollup): run `patchmap import "
                    "rollup` before using populations or needs of wards and districts"
                )
        return reports

    run_import(settings, step, report_file=report)


@app.command("localities")
def import_localities_cmd(
    path: Annotated[Path, _file("CSV with locality_code, locality_name and member_code columns.")],
    allow_rejects: AllowRejects = False,
    report: ReportFile = None,
) -> None:
    """Import custom localities: a CSV of locality_code, locality_name, member_code (a ward or LSOA)."""
    from layers.importers.localities import import_localities

    settings = Settings()
    run_import(
        settings,
        lambda conn, progress: import_localities(
            conn,
            path,
            allow_rejects=allow_rejects,
            subdivide_max_vertices=settings.geo.subdivide_max_vertices,
            progress=progress,
        ),
        report_file=report,
    )


@app.command("iod")
def import_iod_cmd(
    paths: Annotated[list[Path], _file("IoD2019 File 1, 2 and/or 6 (CSV, or .csv.gz).")],
    allow_rejects: AllowRejects = False,
    report: ReportFile = None,
    rollup: Annotated[bool, typer.Option(help="Roll LSOA values up to wards and districts.")] = True,
) -> None:
    """Import the English Indices of Deprivation 2019 by LSOA, then roll them up to wards and districts."""
    from layers.importers.iod import import_iod

    settings = Settings()

    def step(conn: Connection, progress: Progress) -> list[ImportReport]:
        reports = [import_iod(conn, paths, allow_rejects=allow_rejects, progress=progress)]
        if rollup:
            reports.append(_rollup(conn, progress, settings))
        return reports

    run_import(settings, step, report_file=report)


@app.command("rollup")
def rollup_cmd() -> None:
    """Recompute ward and district indicators from LSOA indicators (population-weighted)."""
    settings = Settings()
    run_import(settings, lambda conn, progress: _rollup(conn, progress, settings))


@app.command("indicators")
def import_indicators_cmd(
    path: Annotated[Path, _file("CSV (or .csv.gz) with area_code, indicator, value and period columns.")],
    source: Annotated[
        str | None,
        option(
            "SOURCE", 'Source of rows whose source column is blank or absent (default: "imported from FILE").'
        ),
    ] = None,
    allow_rejects: AllowRejects = False,
    report: ReportFile = None,
) -> None:
    """Import your own indicators per area (e.g. loneliness, food-bank referrals) to use as a need measure."""
    from layers.importers.indicators import import_indicators

    run_import(
        Settings(),
        lambda conn, progress: import_indicators(
            conn, path, source=source, allow_rejects=allow_rejects, progress=progress
        ),
        report_file=report,
    )


@app.command("osm")
def import_osm_cmd(
    paths: Annotated[list[Path], _file("GeoJSON exports of OpenStreetMap features.")],
    allow_rejects: AllowRejects = False,
    report: ReportFile = None,
    postcodes: Annotated[
        bool, typer.Option(help="Also build approximate postcodes from the features' addr:postcode.")
    ] = False,
    covers: Covers = None,
    crs: Annotated[
        str | None,
        option("CRS", "The files' CRS when they are not longitude/latitude and do not say, e.g. EPSG:27700."),
    ] = None,
) -> None:
    """Import hubs and spaces from OpenStreetMap features (by their tags); re-imports update by OSM id, or by
    name and place for features without one."""
    from layers.importers.osm import import_osm
    from layers.importers.postcodes import build_approximate_postcodes

    def step(conn: Connection, progress: Progress) -> list[ImportReport]:
        reports = [import_osm(conn, paths, allow_rejects=allow_rejects, progress=progress, crs=crs)]
        _covers(conn, reports[0], covers, ["hub", "space"], "OpenStreetMap")
        if postcodes:
            reports.append(build_approximate_postcodes(conn, paths, progress=progress))
        return reports

    run_import(Settings(), step, report_file=report)


@app.command("postcodes")
def import_postcodes_cmd(
    path: Annotated[Path, _file("CSV in the ONS Postcode Directory's layout (pcds, lat, long, ...).")],
    allow_rejects: AllowRejects = False,
    report: ReportFile = None,
) -> None:
    """Import postcodes from an ONS Postcode Directory-style CSV (pcds, lat, long, ...)."""
    from layers.importers.postcodes import import_postcodes

    run_import(
        Settings(),
        lambda conn, progress: import_postcodes(conn, path, allow_rejects=allow_rejects, progress=progress),
        report_file=report,
    )


@app.command("groups")
def import_groups_cmd(
    path: Annotated[
        Path, _file("CSV (any encoding or separator) or .xlsx with a name column and any other known fields.")
    ],
    serves: Annotated[
        list[str] | None, option("CODE", "Area code served by groups that name none (repeatable).")
    ] = None,
    source: Annotated[
        str | None,
        option("SOURCE", "Source of rows whose source column is blank (default: spreadsheet)."),
    ] = None,
    allow_rejects: AllowRejects = False,
    report: ReportFile = None,
    covers: Covers = None,
    sheet: Annotated[
        str | None, option("NAME", "The spreadsheet's sheet to read (default: the first).")
    ] = None,
) -> None:
    """Import groups from CSV or .xlsx (name and any known fields; a venue point, a postcode or areas served)."""
    from layers.importers.groups import import_groups

    def step(conn: Connection, progress: Progress) -> ImportReport:
        report = import_groups(
            conn,
            path,
            serves=serves,
            source=source,
            allow_rejects=allow_rejects,
            progress=progress,
            sheet=sheet,
        )
        _covers(conn, report, covers, ["group"], "groups")
        return report

    run_import(Settings(), step, report_file=report)


PlacesFile = Annotated[
    Path, _file("CSV (any encoding or separator) or .xlsx: one a row, with a name and a place.")
]
PlacesSource = Annotated[
    str | None, option("SOURCE", "Source of rows whose source column is blank (default: spreadsheet).")
]
Sheet = Annotated[str | None, option("NAME", "The spreadsheet's sheet to read (default: the first).")]


def _import_places(
    kind: str, path: Path, source: str | None, allow_rejects: bool, report: Path | None,
    covers: list[str] | None, sheet: str | None,
) -> None:  # fmt: skip
    from layers.importers.places import import_places

    def step(conn: Connection, progress: Progress) -> ImportReport:
        done = import_places(conn, path, kind=kind, source=source, allow_rejects=allow_rejects,
                             progress=progress, sheet=sheet)  # fmt: skip
        _covers(conn, done, covers, [kind], f"{kind}s")
        return done

    run_import(Settings(), step, report_file=report)


@app.command("hubs")
def import_hubs_cmd(
    path: PlacesFile, source: PlacesSource = None, allow_rejects: AllowRejects = False,
    report: ReportFile = None, covers: Covers = None, sheet: Sheet = None,
) -> None:  # fmt: skip
    """Import hubs from a council's CSV or .xlsx: name, kind, address, a postcode or coordinates (longitude/
    latitude or easting/northing), opening hours, contact; re-imports update by id, or by name and place."""
    _import_places("hub", path, source, allow_rejects, report, covers, sheet)


@app.command("spaces")
def import_spaces_cmd(
    path: PlacesFile, source: PlacesSource = None, allow_rejects: AllowRejects = False,
    report: ReportFile = None, covers: Covers = None, sheet: Sheet = None,
) -> None:  # fmt: skip
    """Import spaces from a council's CSV or .xlsx: name, kind, status, capacity, floor area, price band, a
    postcode or coordinates; re-imports update by id, or by name and place."""
    _import_places("space", path, source, allow_rejects, report, covers, sheet)


@app.command("rooms")
def import_rooms_cmd(
    path: PlacesFile, source: PlacesSource = None, allow_rejects: AllowRejects = False,
    report: ReportFile = None, sheet: Sheet = None,
) -> None:  # fmt: skip
    """Import hubs' rooms from a council's CSV or .xlsx: name, the hub (its reference as hub_id, or its name
    and postcode), capacity, floor area, facilities, step-free; re-imports update by id, or by hub and name."""
    from layers.importers.rooms import import_rooms

    run_import(
        Settings(),
        lambda conn, progress: import_rooms(
            conn, path, source=source, allow_rejects=allow_rejects, progress=progress, sheet=sheet
        ),
        report_file=report,
    )


@app.command("oruk")
def import_oruk_cmd(
    source: Annotated[
        str,
        typer.Argument(
            metavar="URL|FILE",
            help="An ORUK 3.0 API's address (e.g. https://example.org/oruk: its /services pages are followed) "
            "or a JSON file (a page of services, a list of services or one service).",
        ),
    ],
    allow_rejects: AllowRejects = False,
    report: ReportFile = None,
) -> None:
    """Import another directory's Open Referral UK feed: services as groups, their locations as hubs;
    re-imports update by ORUK id."""
    from layers.oruk.importer import import_oruk
    from layers.oruk.reader import read_services

    def step(conn: Connection, progress: Progress) -> ImportReport:
        services = read_services(source, progress=progress)
        return import_oruk(conn, services, source=source, allow_rejects=allow_rejects, progress=progress)

    run_import(Settings(), step, report_file=report)
