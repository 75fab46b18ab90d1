"""``patchmap analyse``: the asset-versus-needs overlay, written to a file for officers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import database, fail, option, terminal
from layers.errors import InvalidInput
from layers.settings import Settings

app: typer.Typer = typer.Typer(help="Asset-versus-needs analysis for officers.", no_args_is_help=True)

SUFFIXES = (".csv", ".geojson", ".gpkg")
EXPORT_CRS = (4326, 27700)  # layers.analysis.export.EXPORT_CRS (the command checks before importing it)


@app.command("overlay")
def analyse_overlay_cmd(
    out: Annotated[Path, option("FILE", "The file to write: .csv, .geojson or .gpkg.", "--out", "-o")],
    level: Annotated[
        str, option("LEVEL", "The areas to compare: ward, district, lsoa or locality.")
    ] = "ward",
    within: Annotated[str | None, option("CODE", "Only areas in this district, e.g. E07000148.")] = None,
    kinds: Annotated[
        str, option("KINDS", "The assets to count: a comma-separated list of group, hub, space.")
    ] = "group,hub,space",
    category: Annotated[
        str | None, option("CATEGORY", "Only assets of this group category, hub kind or space kind.")
    ] = None,
    radius_m: Annotated[
        float, option("METRES", "How far an asset reaches when counting coverage, in metres.")
    ] = 800.0,
    catchment_m: Annotated[
        float, option("METRES", "The catchment of the accessibility (2SFCA) measure, in metres.")
    ] = 2000.0,
    capacity: Annotated[
        str,
        option(
            "CAPACITY",
            "What an asset offers: one (1 per asset), rooms, or hours (bookable room-hours a week).",
        ),
    ] = "one",
    counting: Annotated[
        str,
        option(
            "WHAT",
            "What counts: provision (groups, hubs, bookable spaces), potential (empty spaces) or both.",
        ),
    ] = "provision",
    need: Annotated[
        str, option("MEASURE", "The need measure: imd, an IoD domain (e.g. income) or an imported indicator.")
    ] = "imd",
    need_lower_is_more: Annotated[
        bool, typer.Option("--need-lower-is-more", help="For an imported indicator: lower means more need.")
    ] = False,
    provision: Annotated[
        str, option("MEASURE", "The provision measure: per_1000, coverage or access.")
    ] = "per_1000",
    crs: Annotated[
        int,
        option(
            "EPSG",
            "The CRS of .geojson and .gpkg boundaries: 4326 (lon/lat) or 27700 (British National Grid).",
        ),
    ] = 4326,
    bom: Annotated[
        bool, typer.Option(help="Start a .csv with a byte-order mark, so Excel reads it as UTF-8.")
    ] = True,
) -> None:
    """Compute the overlay (need, provision, gap, explanation per area) and write it to a file."""
    from layers.analysis import export
    from layers.analysis.overlay import COUNTING, OverlayOptions
    from layers.analysis.tables import area_geometries, overlay_table

    if crs not in EXPORT_CRS:
        fail(f"cannot write in EPSG:{crs}: use --crs 4326 or --crs 27700", code=2)
    if out.suffix.lower() not in SUFFIXES:
        fail(f"cannot write {out.suffix or 'a file without a suffix'}: use .csv, .geojson or .gpkg", code=2)
    settings = Settings()
    with database(settings) as engine:
        with terminal().status("Computing the overlay"), engine.connect() as conn:
            if capacity not in ("one", "rooms", "hours"):
                raise InvalidInput(f"Unknown capacity {capacity!r}", "Use one, rooms or hours.")
            if counting not in COUNTING:
                raise InvalidInput(f"Unknown counting {counting!r}", "Use provision, potential or both.")
            options = OverlayOptions(
                tuple(k.strip() for k in kinds.split(",") if k.strip()), category, radius_m, catchment_m,
                capacity, counting,  # type: ignore[arg-type]
            )  # fmt: skip
            result = overlay_table(
                conn, level=level, within=within, options=options, need=need,
                need_higher_is_more=not need_lower_is_more, provision=provision,
            )  # fmt: skip
            shapes = None if out.suffix.lower() == ".csv" else area_geometries(conn, list(result.table.index))
        written = export.write_file(result, shapes, out, crs=crs, bom=bom)
    ranked = result.table.sort_values("priority").dropna(subset=["priority"])
    place = f" in {result.within_name}" if within else ""
    terminal().print(f"{len(result.table)} {level} areas{place}: {written} written to {out}", highlight=False)
    for note in result.notes:
        terminal().print(f"  Note: {note}.", highlight=False, markup=False)
    for _, row in ranked.head(3).iterrows():
        terminal().print(f"  {int(row['priority'])}. {row['explanation']}", highlight=False, markup=False)
