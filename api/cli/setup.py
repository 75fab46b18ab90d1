"""``patchmap setup``: a council's districts from the national files, in one go (layers.importers.setup)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection

from api.cli.common import ReportFile, option, output, run_import
from layers.importers.report import ImportReport, Progress
from layers.settings import Settings


def _exists(help_text: str) -> object:
    return typer.Option(help=help_text, exists=True, dir_okay=False, readable=True)


def setup(
    district: Annotated[list[str], option("CODE", "A district to set up, e.g. E06000026 (repeat for more).")],
    wards: Annotated[Path, _exists("England's (or the UK's) ward boundaries, with a district code column.")],
    lsoas: Annotated[Path, _exists("England's LSOA boundaries (2011).")],
    iod: Annotated[
        list[Path] | None, _exists("IoD2019 File 1, 2 and 6 (CSV or .csv.gz; repeat --iod for each).")
    ] = None,
    postcodes: Annotated[Path | None, _exists("The ONS Postcode Directory's CSV (optional).")] = None,
    district_field: Annotated[
        str | None, option("COLUMN", "The ward file's district code column (default: LADyyCD).")
    ] = None,
    report: ReportFile = None,
) -> None:
    """Set Patchmap up for your districts from the national files: wards, districts, LSOAs, IoD2019 with its
    roll-up, and postcodes, cut to the districts, in one transaction. Then load your own assets."""
    from layers.importers.setup import SetupFiles, next_steps, set_up

    settings = Settings()
    files = SetupFiles(wards=wards, lsoas=lsoas, iod=list(iod or []), postcodes=postcodes)

    def step(conn: Connection, progress: Progress) -> list[ImportReport]:
        return set_up(conn, district, files, metric_srid=settings.geo.metric_srid,
                      district_field=district_field, progress=progress)  # fmt: skip

    run_import(settings, step, report_file=report)
    output().print("\n[bold]Next[/bold]", highlight=False)
    for i, line in enumerate(next_steps(district, files), start=1):
        output().print(f"  {i}. {line}", highlight=False, markup=False, soft_wrap=True)
    output().print(
        "  Then: make run (or patchmap serve) and open the residents' and officers' maps.", highlight=False
    )
