"""Benchmark: a council from nothing to working maps with `patchmap setup` (issue 16's goal: ≤ 5 minutes).

For each district, on a new empty database: `patchmap db upgrade`, `patchmap setup` with England's ward and
LSOA files and IoD2019 Files 1, 2 and 6 from ../shared/data (no ONSPD is available here), then the officers'
first analysis (`patchmap analyse overlay --within CODE`) and the residents' map page (`GET /` through the
app). Wall-clock seconds of each step, as a user would wait for them; the median of the runs.

    .venv/bin/python bench/setup.py [--district E06000026] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, bench_url, machine, write_section

SHARED = ROOT.parent / "shared" / "data"
BIN = ROOT / ".venv" / "bin"


def _run(args: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "patchmap"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"patchmap {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - t


def _page(url: str) -> float:
    code = (
        "import time; from fastapi.testclient import TestClient; from api.main import create_app;"
        "t=time.perf_counter(); c=TestClient(create_app()); r=c.get('/');"
        "assert r.status_code == 200 and 'Norwich' not in r.text, r.status_code; print(time.perf_counter()-t)"
    )
    env = {**os.environ, "DATABASE_URL": url}
    out = subprocess.run(
        [str(BIN / "python"), "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        sys.exit(f"the residents' map failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def one_run(base: str, district: str) -> dict[str, float]:
    url = bench_url(base, "patchmap_bench_setup", fresh=True)
    env = {**os.environ, "DATABASE_URL": url}
    iod = sorted((SHARED / "imd2019").glob("File_*.csv.gz"))
    times = {"db upgrade": _run(["db", "upgrade"], env)}
    times["setup"] = _run(
        ["setup", "--district", district, "--wards", str(SHARED / "england" / "wards_2013.geojson.gz"),
         "--lsoas", str(SHARED / "england" / "lsoa_2011.geojson.gz"), *(a for p in iod for a in ("--iod", str(p)))],
        env,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        times["first analysis"] = _run(
            ["analyse", "overlay", "--within", district, "-o", f"{folder}/o.csv"], env
        )
    times["residents' map page"] = _page(url)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--district", action="append", help="district code (repeatable; default E06000026 Plymouth)"
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    districts = args.district or ["E06000026"]
    lines = [
        "## A council from nothing to working maps: `patchmap setup` (issue 16)",
        "",
        f"Command: `.venv/bin/python bench/setup.py {' '.join('--district ' + d for d in districts)} "
        f"--repeat {args.repeat}`. Machine: {machine()}.",
        "",
        "A new empty database each run; England's ward and LSOA files and IoD2019 Files 1, 2 and 6 as published",
        "(../shared/data; no ONSPD here). Wall-clock seconds, median of the runs. Goal: ≤ 300 s in all.",
        "",
        "| district | db upgrade | setup | first analysis | residents' map page | total |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for district in districts:
        runs = [one_run(base, district) for _ in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        total = statistics.median(sum(r.values()) for r in runs)
        lines.append(
            f"| {district} | " + " | ".join(f"{v:.1f}" for v in med.values()) + f" | **{total:.1f}** |"
        )
        print(lines[-1])
    body = "\n".join(lines)
    if args.no_write:
        print(body)
    else:
        write_section("setup", body)
        print("BENCHMARKS.md: section setup written")


if __name__ == "__main__":
    main()
