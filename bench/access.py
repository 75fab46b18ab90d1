"""Benchmark: E2SFCA and 2SFCA for every English LSOA (layers.analysis.access) against pysal ``access``.

Demand: all 32,844 English LSOAs (2011) from ../shared/data/england, as representative points in EPSG:27700,
with total population mid-2015 (IoD2019 File 6). Supply: 5,000 sample points (labelled "sample"; not real
assets), each in an LSOA drawn with probability proportional to its population, uniformly inside it (the
spread of bench/sample_assets.py, whose functions are imported), 1 per asset, from a fixed seed.

Both sides start from the same two GeoDataFrames of points in EPSG:27700 and include building their
distance pairs: ours is ``accessibility()`` (cKDTree pairs within the catchment, then numpy bincounts); pysal's
is ``Access(...)``, ``create_euclidean_distance(threshold=...)`` and ``enhanced_two_stage_fca`` /
``two_stage_fca``. The scores are checked equal (max absolute difference <= 1e-9) in the same run.
Writes its results to BENCHMARKS.md (section "access").

    .venv/bin/python bench/access.py [--supply 5000] [--catchment-m 2000] [--repeat 7] [--pysal-runs 2]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import SHARED, machine, write_section
from bench.sample_assets import POPULATION_FILE, points_in, population
from layers.analysis.access import accessibility, catchment_pairs, e2sfca, two_sfca

console = Console(stderr=True)
SEED = 20261123
LSOA_FILE = SHARED / "england" / "lsoa_2011.geojson.gz"
METHODS: tuple[Literal["e2sfca", "2sfca"], ...] = ("e2sfca", "2sfca")


def load_demand() -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
    """LSOA representative points (EPSG:27700) with population, indexed by code; and the LSOA polygons."""
    lsoa = gpd.read_file(f"/vsigzip/{LSOA_FILE}", engine="pyogrio", columns=["LSOA11CD"]).to_crs(27700)
    pop = population().reindex(lsoa["LSOA11CD"])
    if pop.isna().any():
        sys.exit(f"{int(pop.isna().sum())} LSOAs have no population in {POPULATION_FILE.name}")
    index = pd.Index(lsoa["LSOA11CD"], name="geoid")
    demand = gpd.GeoDataFrame(
        {"pop": pop.to_numpy(dtype=float)},
        geometry=lsoa.representative_point().to_numpy(),
        index=index,
        crs=27700,
    )
    return demand, gpd.GeoSeries(lsoa.geometry.to_numpy(), index=index, crs=27700)


def sample_supply(demand: gpd.GeoDataFrame, shapes: gpd.GeoSeries, count: int, seed: int) -> gpd.GeoDataFrame:
    """``count`` sample points spread by LSOA population, uniformly inside each chosen LSOA (EPSG:27700)."""
    rng = np.random.default_rng(seed)
    weights = demand["pop"].to_numpy()
    per_lsoa = rng.multinomial(count, weights / weights.sum())
    xy = np.concatenate([points_in(shapes.iloc[i], int(k), rng) for i, k in enumerate(per_lsoa) if k])
    xy = xy[rng.permutation(len(xy))]
    return gpd.GeoDataFrame(
        {"name": [f"Sample asset {i + 1}" for i in range(count)], "source": "sample", "one": 1.0},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        index=pd.RangeIndex(count, name="sid"),
        crs=27700,
    )


def time_ours(
    demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, max_m: float, repeat: int
) -> dict[str, Any]:
    """Median seconds of ``accessibility()`` for each method, and of its two steps, over ``repeat`` runs."""
    runs: dict[str, list[float]] = {"e2sfca": [], "2sfca": [], "pairs": [], "e2sfca_scores": []}
    scores: dict[str, pd.Series] = {}
    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    sxy = np.column_stack([supply.geometry.x, supply.geometry.y])
    pop, cap = demand["pop"].to_numpy(), np.ones(len(supply))
    n_pairs = 0
    for _ in range(repeat):
        for method in METHODS:
            t = time.perf_counter()
            scores[method] = accessibility(
                demand, supply, catchment_m=max_m, population="pop", capacity=None, method=method
            )
            runs[method].append(time.perf_counter() - t)
        t = time.perf_counter()
        pairs = catchment_pairs(dxy, sxy, max_m)
        runs["pairs"].append(time.perf_counter() - t)
        t = time.perf_counter()
        e2sfca(pop, cap, pairs, max_m)
        runs["e2sfca_scores"].append(time.perf_counter() - t)
        n_pairs = len(pairs)
    assert np.array_equal(two_sfca(pop, cap, pairs, max_m), scores["2sfca"].to_numpy())
    return {"median": {k: statistics.median(v) for k, v in runs.items()}, "scores": scores, "pairs": n_pairs}


def _pysal() -> tuple[Any, Any]:
    """pysal's ``access.Access`` and ``access.weights``."""
    # Run as a script, this file's folder is first on sys.path, where `access` would be this very file.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    from access import Access, weights

    return Access, weights


def time_pysal(demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, max_m: float) -> dict[str, Any]:
    """One pysal run: build the Euclidean pairs, then E2SFCA (Gaussian, sigma = max_m / 2) and 2SFCA."""
    Access, weights = _pysal()
    t0 = time.perf_counter()
    model = Access(
        demand_df=demand, demand_index=True, demand_value="pop",
        supply_df=supply[["one", "geometry"]], supply_index=True, supply_value=["one"],
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3.1 deprecation warnings inside pysal
        # pysal keeps distances < threshold; the next double above max_m makes it <= max_m, like max_cost.
        model.create_euclidean_distance(name="euclidean", threshold=float(np.nextafter(max_m, np.inf)))
    t1 = time.perf_counter()
    e2 = model.enhanced_two_stage_fca(name="e", max_cost=max_m, weight_fn=weights.gaussian(max_m / 2))[
        "e_one"
    ]
    t2 = time.perf_counter()
    s2 = model.two_stage_fca(name="t", max_cost=max_m)["t_one"]
    t3 = time.perf_counter()
    return {
        "pairs_s": t1 - t0,
        "e2sfca": t2 - t0,
        "2sfca": (t1 - t0) + (t3 - t2),
        "scores": {"e2sfca": e2.reindex(demand.index), "2sfca": s2.reindex(demand.index)},
        "pairs": len(model.cost_df),
    }


def compare(ours: pd.Series, theirs: pd.Series) -> dict[str, float]:
    """Max absolute and relative difference; pysal's NaN (no supply in reach) must sit where ours is 0."""
    a, b = ours.to_numpy(), theirs.to_numpy()
    if not np.array_equal(np.isnan(b), a == 0):
        sys.exit("pysal's NaNs are not where our scores are 0: the scores differ")
    b = np.nan_to_num(b, nan=0.0)
    diff = np.abs(a - b)
    return {
        "abs": float(diff.max()),
        "rel": float((diff / np.maximum(np.abs(b), 1e-300)).max()),
        "zero": int((a == 0).sum()),
    }


def load() -> str:
    """The 1-minute load average (other work on this 2-core machine skews timings)."""
    return f"{os.getloadavg()[0]:.2f}"


def main() -> None:
    """Run the accessibility benchmark and write BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--supply", type=int, default=5000, help="sample supply points")
    ap.add_argument("--catchment-m", type=float, default=2000.0)
    ap.add_argument("--repeat", type=int, default=7, help="runs of ours (median)")
    ap.add_argument("--pysal-runs", type=int, default=2, help="runs of pysal (median)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--dry-run", action="store_true", help="print the results, leave BENCHMARKS.md alone")
    args = ap.parse_args()
    load_at_start = load()
    max_m = args.catchment_m

    with console.status("reading the LSOAs and their population"):
        t = time.perf_counter()
        demand, shapes = load_demand()
    console.log(f"{len(demand):,} LSOAs, {demand['pop'].sum():,.0f} people ({time.perf_counter() - t:.1f} s)")
    with console.status(f"drawing {args.supply:,} sample supply points"):
        supply = sample_supply(demand, shapes, args.supply, args.seed)
    console.log(f"{len(supply):,} sample supply points (seed {args.seed})")

    with console.status(f"ours: {args.repeat} runs of E2SFCA and 2SFCA"):
        ours = time_ours(demand, supply, max_m, args.repeat)
    med = ours["median"]
    console.log(f"ours: E2SFCA {med['e2sfca'] * 1e3:.1f} ms, 2SFCA {med['2sfca'] * 1e3:.1f} ms (median)")

    pysal_runs = []
    for run in range(args.pysal_runs):
        with console.status(f"pysal access, run {run + 1} of {args.pysal_runs} (cross join of all pairs)"):
            pysal_runs.append(time_pysal(demand, supply, max_m))
        r = pysal_runs[-1]
        console.log(
            f"pysal run {run + 1}: E2SFCA {r['e2sfca']:.1f} s (pairs {r['pairs_s']:.1f} s), 2SFCA {r['2sfca']:.1f} s"
        )
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6

    if pysal_runs[0]["pairs"] != ours["pairs"]:
        sys.exit(f"pysal found {pysal_runs[0]['pairs']:,} pairs, we found {ours['pairs']:,}")
    diffs = {m: compare(ours["scores"][m], pysal_runs[0]["scores"][m]) for m in ("e2sfca", "2sfca")}
    worst = max(d["abs"] for d in diffs.values())
    if worst > 1e-9:
        sys.exit(f"scores differ from pysal by up to {worst:.3g}")
    pysal = {m: statistics.median(r[m] for r in pysal_runs) for m in ("e2sfca", "2sfca", "pairs_s")}
    ratio = {m: pysal[m] / med[m] for m in ("e2sfca", "2sfca")}

    version = importlib.metadata.version("access")
    cmd = ".venv/bin/python bench/access.py " + " ".join(sys.argv[1:])
    rows = "\n".join(
        f"| {label} | {med[m] * 1e3:.1f} ms | {pysal[m]:.1f} s | **{ratio[m]:,.0f}×** "
        f"| {diffs[m]['abs']:.1e} (relative {diffs[m]['rel']:.1e}) |"
        for m, label in (("e2sfca", f"E2SFCA, Gaussian σ = {max_m / 2:g} m"), ("2sfca", "2SFCA"))
    )
    body = f"""## Accessibility: E2SFCA and 2SFCA for every English LSOA against pysal `access`

Command: `{cmd.strip()}`
Machine: {machine()}; load average {load_at_start} before the run ({load()} at its end)
Data: all {len(demand):,} English LSOAs (2011, `../shared/data/england`) as representative points in
EPSG:27700, with total population mid-2015 (IoD2019 File 6); {len(supply):,} **sample** supply points
(seed {args.seed}; LSOA drawn by population, point uniform inside it, as bench/sample_assets.py), 1 per
asset. Catchment {max_m:g} m (inclusive): {ours["pairs"]:,} LSOA–asset pairs; {diffs["e2sfca"]["zero"]:,} LSOAs
have no asset within it (pysal: NaN; ours: 0).

Both sides start from the same GeoDataFrames of points and include building their distance pairs.
Ours: `layers.analysis.access.accessibility()`, median of {args.repeat} runs (pairs by `cKDTree`
{med["pairs"] * 1e3:.1f} ms, E2SFCA scores by `np.bincount` {med["e2sfca_scores"] * 1e3:.1f} ms).
pysal `access` {version}: `Access(...)`, `create_euclidean_distance(threshold=…)`, its own builder and the
documented way for points (for points it measures every demand–supply pair, {len(demand) * len(supply):,} here,
then keeps those under the threshold: {pysal["pairs_s"]:.1f} s; the threshold is the next double above
{max_m:g} m, so its `<` keeps the pairs that `max_cost`'s `<=` does, and both sides found the same
{ours["pairs"]:,} pairs), then `enhanced_two_stage_fca(weight_fn=weights.gaussian({max_m / 2:g}))`
or `two_stage_fca`; median of {len(pysal_runs)} run(s) ({", ".join(f"{r['e2sfca']:.1f} s" for r in pysal_runs)} for E2SFCA).
The 2SFCA figure for pysal counts its pair building once more, as a separate call would.
Peak memory of the benchmark process: {peak_gb:.1f} GB (pysal's cross join).

| measure | ours | pysal `access` | ratio | max difference in scores |
|---|---|---|---|---|
{rows}

Goal: ≥ 20× faster than pysal access, identical scores (max absolute difference ≤ 1e-9):
{"met" if min(ratio.values()) >= 20 else "NOT met"} ({min(ratio.values()):,.0f}× at worst; scores are capacity per person, around
{float(ours["scores"]["e2sfca"][ours["scores"]["e2sfca"] > 0].median()):.1e}, so the relative difference is shown too).
"""
    if not args.dry_run:
        write_section("access", body)
    console.print(body)


if __name__ == "__main__":
    main()
