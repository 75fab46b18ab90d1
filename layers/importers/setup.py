"""Set Patchmap up for a council from the national files, in one transaction: ``patchmap setup``.

Given district codes and the national ONS/MHCLG files, it keeps only those districts and builds everything the
maps and the analysis need:

1. wards of the districts (their ward file's ``LADyyCD`` column, or ``--district-field``), from which the
   districts themselves are dissolved and named;
2. LSOAs whose point inside them lies in those wards (the national LSOA files carry no district code);
3. IoD2019 Files 1, 2 and 6 for those LSOAs, rolled up to wards and districts (area shares, populations);
4. postcodes of the districts from the ONS Postcode Directory (``oslaua``), when it is given.

Each step is an ordinary import (same checks and reports) of a file cut down to the districts in a temporary
folder; the reports say what was kept. Nothing is marked as mapped: that is for the council's own assets.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection

from layers.importers.boundaries import import_boundaries
from layers.importers.iod import import_iod, rollup_indicators
from layers.importers.postcodes import import_postcodes
from layers.importers.readers import read_spatial
from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.tabular import counted_file, csv_options, read_frame

WHAT = "setup"
ONSPD_CHUNK = 250_000


@dataclass
class SetupFiles:
    """The national files: wards and LSOAs (any format GDAL reads), IoD2019 files, the ONSPD CSV (optional)."""

    wards: Path
    lsoas: Path
    iod: list[Path] = field(default_factory=list)
    postcodes: Path | None = None


def set_up(
    conn: Connection,
    districts: Sequence[str],
    files: SetupFiles,
    *,
    metric_srid: int = 27700,
    district_field: str | None = None,
    progress: Progress | None = None,
) -> list[ImportReport]:
    """Load the districts' wards, LSOAs, IoD2019 and postcodes from the national files; one report per step."""
    progress = progress or NoProgress()
    wanted = [d.strip().upper() for d in districts if d.strip()]
    if not wanted:
        raise fail(WHAT, "no districts", "no district codes were given", "Give one or more, e.g. E06000026.")
    reports: list[ImportReport] = []
    with tempfile.TemporaryDirectory(prefix="patchmap-setup-") as folder, conn.begin_nested():
        tmp = Path(folder)
        wards = _district_wards(files.wards, wanted, district_field, progress)
        wards_file = tmp / "wards.gpkg"
        wards.to_file(wards_file, driver="GPKG", layer="wards")
        reports.append(import_boundaries(conn, wards_file, kind="ward", layer="wards", progress=progress))

        lsoas = _lsoas_within(files.lsoas, wards, progress)
        lsoas_file = tmp / "lsoas.gpkg"
        lsoas.to_file(lsoas_file, driver="GPKG", layer="lsoas")
        reports.append(import_boundaries(conn, lsoas_file, kind="lsoa", layer="lsoas", progress=progress))
        codes = set(_codes(lsoas))
        reports[-1].notes.append(
            f"{len(codes):,} LSOAs kept: those whose inner point lies in the districts' wards"
        )

        if files.iod:
            cut = [_cut_iod(path, codes, tmp) for path in files.iod]
            reports.append(import_iod(conn, cut, progress=progress))
            reports.append(rollup_indicators(conn, metric_srid=metric_srid, progress=progress))
        if files.postcodes is not None:
            cut_onspd = _cut_onspd(files.postcodes, wanted, tmp, progress)
            reports.append(import_postcodes(conn, cut_onspd, progress=progress))
    return reports


def next_steps(districts: Sequence[str], files: SetupFiles) -> list[str]:
    """What a council should load next, in words, for the command's summary."""
    first = districts[0]
    steps = [
        f"Import your hubs and spaces: patchmap import hubs FILE.xlsx --covers {first} (or patchmap import osm "
        f"FILE.geojson --covers {first} for OpenStreetMap's)",
        f"Import your groups: patchmap import groups FILE.xlsx --serves {first} --covers {first}",
        "Add people: patchmap users create EMAIL --role admin (then officers and co-ordinators, in the browser)",
    ]
    if files.postcodes is None:
        steps.insert(0, "Import the ONS Postcode Directory, so residents can search by postcode: "
                        "patchmap import postcodes ONSPD.csv")  # fmt: skip
    if not files.iod:
        steps.insert(
            0, "Import the IoD2019 (Files 1, 2 and 6) for needs and populations: patchmap import iod ..."
        )
    return steps


def _district_wards(
    path: Path, districts: list[str], given: str | None, progress: Progress
) -> gpd.GeoDataFrame:
    wards = read_spatial(path, "ward boundaries", progress=progress)
    columns = [c for c in wards.columns if c != wards.geometry.name]
    field_name = given or next(
        (c for c in columns if c.upper().startswith("LAD") and c.upper().endswith("CD")), None
    )
    if field_name is None or field_name not in wards:
        raise fail(
            WHAT, path.name, "no district code column in the ward file",
            f"Columns found: {', '.join(columns)}. Name it with --district-field.",
        )  # fmt: skip
    kept = wards[wards[field_name].astype(str).str.upper().isin(districts)]
    missing = sorted(set(districts) - set(kept[field_name].astype(str).str.upper()))
    if missing:
        raise fail(
            WHAT, path.name, f"no wards of {', '.join(missing)} in the ward file",
            f"Check the codes: the file's district codes look like {wards[field_name].iloc[0]}.",
        )  # fmt: skip
    return kept


def _lsoas_within(path: Path, wards: gpd.GeoDataFrame, progress: Progress) -> gpd.GeoDataFrame:
    area = shapely.union_all(wards.to_crs(4326).geometry.values)
    lsoas = read_spatial(path, "lsoa boundaries", progress=progress)
    progress.start(f"Keeping the LSOAs inside the {len(wards):,} wards", None)
    if lsoas.crs is not None and not lsoas.crs.equals("EPSG:4326"):
        area = gpd.GeoSeries([area], crs=4326).to_crs(lsoas.crs).iloc[0]
    near = lsoas.iloc[lsoas.sindex.query(area, predicate="intersects")]
    inside = near.geometry.representative_point().within(area)
    return near[inside.to_numpy()]


def _codes(lsoas: gpd.GeoDataFrame) -> list[str]:
    column = next(
        (c for c in lsoas.columns if c.upper().startswith("LSOA") and c.upper().endswith("CD")), None
    )
    if column is None:
        column = next(c for c in lsoas.columns if str(c).lower() in ("code", "lsoa_code"))
    return [str(c) for c in lsoas[column]]


def _cut_iod(path: Path, codes: set[str], folder: Path) -> Path:
    frame = read_frame(path, WHAT).frame  # layers.importers.tabular: any encoding or separator, or .xlsx
    column = next((c for c in frame.columns if str(c).lower().startswith("lsoa code")), frame.columns[0])
    out = folder / f"{Path(path.name.removesuffix('.gz')).stem}.csv"
    frame[frame[column].isin(codes)].to_csv(out, index=False)
    return out


def _cut_onspd(path: Path, districts: list[str], folder: Path, progress: Progress) -> Path:
    out = folder / "onspd.csv"
    header = True
    options = csv_options(path, WHAT, [])  # read in chunks, as layers.importers.postcodes reads it
    with (
        counted_file(path, progress, f"Cutting {path.name} to the districts") as source,
        out.open("w", encoding="utf-8", newline="") as f,
    ):
        chunks = pd.read_csv(source, dtype=str, keep_default_na=False, chunksize=ONSPD_CHUNK, sep=options.sep,
                             encoding=options.encoding, compression=options.compression)  # fmt: skip
        for chunk in chunks:
            column = next((c for c in chunk.columns if c.strip().lower() in ("oslaua", "lad")), None)
            if column is None:
                raise fail(WHAT, path.name, "no district column (oslaua) in the postcode file",
                           "Give the ONS Postcode Directory's CSV.")  # fmt: skip
            chunk[chunk[column].str.upper().isin(districts)].to_csv(f, index=False, header=header)
            header = False
    return out
