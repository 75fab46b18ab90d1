"""Benchmark: the officers' overlay for all of England against the same measures written plainly in geopandas.

Data: `patchmap_bench` (England's 7,681 wards and 32,844 LSOAs, as bench/lookup.py loads them) with IoD2019
Files 1, 2 and 6 from ../shared/data/imd2019 and their roll-up (area shares), and the 100,000 sample assets
of bench/sample_assets.py (by LSOA population, seeded, labelled sample). Loaded once, if missing.

The overlay measured (both ways, same inputs, results checked identical):
  - counts of groups, hubs and spaces per LSOA, ward and district, and per 1,000 residents;
  - coverage: the share of residents whose LSOA point lies within 800 m of an asset;
  - roll-up to wards (population × area share) and districts (LSOAs nest).
Ours: layers.analysis.overlay.overlay for the three levels (accessibility switched off: it is not in the
geopandas version; its time is reported apart). Each asset's LSOA and ward are stored when its point is
written (a trigger, migration 0005); the one-off cost of finding them for all 100,000 is measured too.
Plain geopandas: sjoin(points, LSOA polygons) + groupby + merge for LSOA counts, sjoin with ward polygons for
ward counts, LSOA → district by code, sjoin(LSOA points, assets, dwithin 800 m) for coverage (exact; 800 m
buffers, the other plain way, are polygons and miss assets just inside 800 m), merge with the area shares +
groupby for the roll-up.

    .venv/bin/python bench/overlay.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from rich.console import Console
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import sample_assets
from bench.common import ROOT, machine, write_section
from layers.analysis.inputs import OverlayInputs, overlay_inputs
from layers.analysis.overlay import KINDS, OverlayOptions, lsoa_measures, overlay
from layers.db import make_engine
from layers.importers.iod import import_iod, rollup_indicators
from layers.settings import DatabaseSettings

console = Console(stderr=True)
IMD = ROOT.parent / "shared" / "data" / "imd2019"
RADIUS_M = 800.0
LEVELS = ("lsoa", "ward", "district")


def ensure_iod(url: str) -> str:
    """IoD2019 values and the LSOA → ward roll-up in the bench database (loaded once)."""
    engine = make_engine(DatabaseSettings(url=url))
    with engine.begin() as c:
        if c.execute(text("SELECT count(*) FROM area_shares")).scalar():
            return "already there"
        t = time.perf_counter()
        import_iod(c, sorted(IMD.glob("File_*.csv.gz")))
        rollup_indicators(c)
        return f"loaded in {time.perf_counter() - t:.0f} s"


def read_inputs(url: str) -> tuple[dict[str, OverlayInputs], float]:
    """The overlay's inputs per level, and the seconds reading them took."""
    engine = make_engine(DatabaseSettings(url=url))
    t = time.perf_counter()
    with engine.connect() as c:
        inputs = {level: overlay_inputs(c, level=level) for level in LEVELS}
    return inputs, time.perf_counter() - t


def ours(inputs: dict[str, OverlayInputs], with_access: bool = False) -> dict[str, pd.DataFrame]:
    """The overlay for LSOAs, wards and districts with layers.analysis: LSOA measures once, then each level."""
    options = OverlayOptions(KINDS, None, RADIUS_M)
    per_lsoa = lsoa_measures(inputs["lsoa"], options, with_access=with_access)
    return {level: overlay(i, options, per_lsoa=per_lsoa) for level, i in inputs.items()}


def read_plain(url: str) -> dict[str, Any]:
    """The plain version's inputs: polygons and points as GeoDataFrames (EPSG:27700), populations, shares."""
    engine = make_engine(DatabaseSettings(url=url))
    with engine.connect() as c:
        # boundaries as stored (EPSG:4326), as the stored codes were found: a point's LSOA does not depend
        # on reprojecting the polygon's edges
        lsoas = gpd.read_postgis("SELECT code, parent_code, geom FROM areas WHERE kind = 'lsoa'", c, "geom")
        wards = gpd.read_postgis("SELECT code, geom FROM areas WHERE kind = 'ward'", c, "geom")
        points = gpd.read_postgis(
            "SELECT code, point_bng AS geom FROM areas WHERE kind = 'lsoa'", c, "geom"
        )  # the same LSOA points as ours
        assets = gpd.read_postgis(
            "SELECT 'hub' AS kind, geom, geom_bng FROM hubs UNION ALL SELECT 'space', geom, geom_bng FROM spaces "
            "UNION ALL SELECT 'group', geom, geom_bng FROM groups WHERE status = 'active' AND geom IS NOT NULL",
            c,
            "geom",
        )
        assets["geom_bng"] = gpd.GeoSeries.from_wkb(assets["geom_bng"].map(bytes.fromhex), crs=27700)
        pop = pd.read_sql(
            "SELECT area_code AS code, value AS population FROM indicators "
            "WHERE key = 'population_total' AND NOT derived",
            c,
        )
        shares = pd.read_sql("SELECT lsoa_code, area_code, share FROM area_shares", c)
    return {"lsoas": lsoas, "wards": wards, "points": points, "assets": assets, "pop": pop, "shares": shares}


def plain(d: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The same measures, written plainly: sjoin + groupby + merge, buffers for coverage."""
    lsoas = d["lsoas"].merge(d["pop"], on="code", how="left")
    lsoas["population"] = lsoas["population"].fillna(0.0)
    assets = d["assets"][["kind", "geom"]]
    # counts per LSOA: which polygon holds each point (on a shared edge: the lowest code, as PostGIS does)
    in_lsoa = gpd.sjoin(assets, d["lsoas"][["code", "geom"]], predicate="intersects")
    in_lsoa = in_lsoa.sort_values("code").loc[lambda f: ~f.index.duplicated()]
    lsoa_counts = in_lsoa.groupby(["code", "kind"]).size().unstack(fill_value=0)
    # coverage: any asset within 800 m of each LSOA point (EPSG:27700)
    bng = gpd.GeoDataFrame(geometry=d["assets"]["geom_bng"], crs=27700)
    near = gpd.sjoin(d["points"], bng, predicate="dwithin", distance=RADIUS_M)
    covered = set(near["code"])
    lsoas["coverage"] = lsoas["code"].isin(covered).astype(float)
    out = {}
    table = lsoas.set_index("code")[["parent_code", "population", "coverage"]].join(lsoa_counts).fillna(0)
    out["lsoa"] = table
    # wards: counts by a join with ward polygons; population and coverage through the area shares
    in_ward = gpd.sjoin(assets, d["wards"][["code", "geom"]], predicate="intersects")
    in_ward = in_ward.sort_values("code").loc[lambda f: ~f.index.duplicated()]
    ward_counts = in_ward.groupby(["code", "kind"]).size().unstack(fill_value=0)
    s = d["shares"].merge(table[["population", "coverage"]], left_on="lsoa_code", right_index=True)
    s["people"] = s["population"] * s["share"]
    s["covered_people"] = s["people"] * s["coverage"]
    wards = s.groupby("area_code")[["people", "covered_people"]].sum()
    wards["coverage"] = wards["covered_people"] / wards["people"].where(wards["people"] > 0)
    out["ward"] = (
        wards.rename(columns={"people": "population"}).join(ward_counts).fillna({k: 0 for k in KINDS})
    )
    # districts: LSOAs nest
    t = table.assign(covered_people=table["population"] * table["coverage"])
    dist = t.groupby("parent_code")[["population", "covered_people", *KINDS]].sum()
    dist["coverage"] = dist["covered_people"] / dist["population"].where(dist["population"] > 0)
    out["district"] = dist
    for frame in out.values():
        frame["assets"] = frame[list(KINDS)].sum(axis=1)
        frame["assets_per_1000"] = 1000 * frame["assets"] / frame["population"].where(frame["population"] > 0)
    return out


def compare(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Per level: areas compared, count mismatches, max abs differences of population, rate and coverage."""
    report = {}
    for level in LEVELS:
        x, y = a[level], b[level].reindex(a[level].index)
        plural = {"group": "groups", "hub": "hubs", "space": "spaces"}
        counts = sum(int((x[plural[k]] != y[k].fillna(0)).sum()) for k in KINDS)
        both = x["population_total"] > 0
        report[level] = {
            "areas": len(x),
            "count_mismatches": counts,
            "population": float((x["population_total"] - y["population"].fillna(0)).abs().max()),
            "per_1000": float((x["assets_per_1000"][both] - y["assets_per_1000"][both]).abs().max()),
            "coverage": float((x["coverage"][both] - y["coverage"][both]).abs().max()),
            "coverage_mismatches": int(((x["coverage"][both] - y["coverage"][both]).abs() > 1e-9).sum()),
        }
    return report


def timed(fn: Any, *args: Any, repeat: int) -> tuple[list[float], Any]:
    """Seconds per run over `repeat` runs, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t)
    return times, out


def assignment_cost(url: str) -> float:
    """Seconds to find the LSOA and ward of every asset in PostGIS (what the trigger does as rows are written)."""
    engine = make_engine(DatabaseSettings(url=url))
    with engine.connect() as c:
        t = time.perf_counter()
        c.execute(
            text(
                "SELECT count(patchmap_lsoa_of(geom)), count(patchmap_ward_of(geom)) FROM ("
                "SELECT geom FROM hubs UNION ALL SELECT geom FROM spaces UNION ALL SELECT geom FROM groups) a"
            )
        ).one()
        return time.perf_counter() - t


def main() -> None:
    """Run the overlay benchmark and write BENCHMARKS.md (section "overlay")."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of each version (median reported)")
    ap.add_argument("--no-write", action="store_true", help="print the section; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    url, info = sample_assets.ensure(base, norwich=False, count=100_000)
    console.print(f"IoD2019 and roll-up: {ensure_iod(url)}")
    console.print("reading the inputs")
    inputs, read_s = read_inputs(url)
    data = read_plain(url)
    console.print(f"ours ×{args.repeat}")
    ours_s, mine = timed(ours, inputs, repeat=args.repeat)
    access_s, _ = timed(ours, inputs, True, repeat=max(1, args.repeat // 2))
    console.print(f"plain geopandas ×{args.repeat}")
    plain_s, theirs = timed(plain, data, repeat=args.repeat)
    checks = compare(mine, theirs)
    assign_s = assignment_cost(url)
    body = report(args, info, read_s, ours_s, access_s, plain_s, checks, assign_s, inputs)
    if not args.no_write:
        write_section("overlay", body)
    console.print(body)


def report(
    args: argparse.Namespace,
    info: dict[str, Any],
    read_s: float,
    ours_s: list[float],
    access_s: list[float],
    plain_s: list[float],
    checks: dict[str, dict[str, float]],
    assign_s: float,
    inputs: dict[str, OverlayInputs],
) -> str:
    """The BENCHMARKS.md section."""
    o, p = statistics.median(ours_s), statistics.median(plain_s)
    rows = "\n".join(
        f"| {level} | {c['areas']:,} | {c['count_mismatches']} | {c['population']:.1e} | {c['per_1000']:.1e} "
        f"| {c['coverage']:.1e} ({c['coverage_mismatches']} areas) |"
        for level, c in checks.items()
    )
    n_assets = len(inputs["lsoa"].assets)
    cmd = "make bench   # = .venv/bin/python bench/overlay.py " + " ".join(sys.argv[1:])
    return f"""## Overlay for England: counts, per 1,000, coverage, roll-up (issue: overlay benchmark)

Command: `{cmd.strip()}`
Machine: {machine()}
Data: `patchmap_bench`: 32,844 LSOAs, 7,681 wards, 326 districts; IoD2019 mid-2015 population; {n_assets:,}
sample assets (source `{info["source"]}`, seed {info["seed"]}, spread by LSOA population: bench/sample_assets.py).
Measures: counts of groups, hubs and spaces per LSOA, ward and district; per 1,000 residents; coverage within
{RADIUS_M:g} m of the LSOA points; population-weighted roll-up to wards (area shares) and districts.

| version | median of {args.repeat} | runs (s) |
|---|---|---|
| ours: `layers.analysis.overlay.overlay`, 3 levels | **{o:.3f} s** | {", ".join(f"{t:.3f}" for t in ours_s)} |
| plain geopandas: sjoin + groupby + merge, dwithin | {p:.3f} s | {", ".join(f"{t:.3f}" for t in plain_s)} |
| ratio | **{p / o:.1f}× faster** | |

Results compared area by area (ours − geopandas; max absolute difference):

| level | areas | count mismatches | population | per 1,000 | coverage |
|---|---|---|---|---|---|
{rows}

Also measured: reading the inputs of all three levels from PostGIS {read_s:.2f} s (both versions read their
inputs before timing); ours with 2SFCA and E2SFCA added (2 km catchment) {statistics.median(access_s):.3f} s;
finding the LSOA and ward of all {n_assets:,} assets in PostGIS (what the migration-0005 trigger does as rows are
written, so ours reads stored codes) {assign_s:.2f} s, once.
Both versions test coverage by exact distance (geopandas `dwithin`, ours a k-d tree); with 800 m buffers
(64-sided polygons) instead, geopandas misses assets just inside 800 m: 9 LSOAs differed in a first run.
Goals: ≤ 1 s, and ≥ 2× faster than plain geopandas with identical results.
"""


if __name__ == "__main__":
    main()
