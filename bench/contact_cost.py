"""Benchmark: what the named council contact adds to the point lookup and the nearby search (issue 14).

The statements with the contact (this checkout's layers/sql/lookup_point.sql and search_nearby.sql) against the
same statements before it (``git show REV:...``, default b8d3b34), on the `patchmap_bench` database (England's
wards and LSOAs, bench/sample_assets.py's 100,000 assets; bench/lookup.py and bench/nearby.py load them) with a
sample contact for every district (added here if there are none; all labelled sample). The two run on one
connection, prepared (the search with the generic plan the API's search pool forces), interleaved point by
point and alternating which goes first, so that the load of a busy machine falls on both alike: the p50 of
each, their ratio and the median of the per-point differences; then the PostgreSQL backend's CPU time per call
(from /proc) over alternating blocks of all the points, which a busy machine disturbs far less than wall time.

    .venv/bin/python bench/contact_cost.py [--rev b8d3b34] [--points 3000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, bench_url, machine, percentiles_ms
from bench.lookup import random_points
from layers.queries.search import statement_params
from layers.queries.search_params import parse_kinds, plan_filters
from layers.sql import sql

SAMPLE_CONTACTS = """
INSERT INTO area_contacts (area_code, role_name, email, phone, office_hours)
SELECT code, 'Community Connector for ' || name || ' (sample)', 'connector-' || lower(code) || '@example.org',
       '01632 ' || (960000 + row_number() OVER (ORDER BY code))::text, 'Monday to Friday, 9am to 5pm (sample)'
FROM areas WHERE kind = 'district'
ON CONFLICT (area_code) DO NOTHING
"""


def old_sql(rev: str, name: str) -> str:
    """A layers/sql file as it was at ``rev``."""
    return subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:layers/sql/{name}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def search_params(lon: float, lat: float) -> dict[str, Any]:
    """search_nearby.sql's parameters for an unfiltered k = 20 search within 2 km (the API's default radius)."""
    params, searched, _, _ = plan_filters(
        parse_kinds(None), category=None, community=None, q=None, open_at=None, cost=None, step_free=False,
        volunteers_wanted=False,
    )  # fmt: skip
    return statement_params(
        params, searched, lon=lon, lat=lat, radius_m=2000.0, limit=20, offset=0, step_free=False,
        volunteers_wanted=False,
    )  # fmt: skip


def interleaved(
    url: str, old: str, new: str, points: np.ndarray, params: Any, generic: bool
) -> dict[str, Any]:
    """Time ``old`` and ``new`` point by point on one connection, alternating which goes first."""
    times: dict[str, list[int]] = {"old": [], "new": []}
    with psycopg.connect(url, autocommit=True) as conn:
        if generic:
            conn.execute("SET plan_cache_mode = force_generic_plan")
        for lon, lat in points[:200]:  # warm up caches and both prepared statements
            for q in (old, new):
                conn.execute(q, params(float(lon), float(lat)), prepare=True).fetchall()
        for i, (lon, lat) in enumerate(points):
            p = params(float(lon), float(lat))
            order = (("old", old), ("new", new)) if i % 2 == 0 else (("new", new), ("old", old))
            for which, q in order:
                t = time.perf_counter_ns()
                conn.execute(q, p, prepare=True).fetchall()
                times[which].append(time.perf_counter_ns() - t)
    old_ms, new_ms = percentiles_ms(times["old"]), percentiles_ms(times["new"])
    diff = (np.array(times["new"]) - np.array(times["old"])) / 1e6
    return {"old": old_ms, "new": new_ms, "diff_p50": float(np.median(diff)), "n": len(points)}


def backend_cpu_s(pid: int) -> float:
    """CPU seconds (user and system) a PostgreSQL backend has used, from /proc (same machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_call(url: str, old: str, new: str, points: np.ndarray, params: Any, generic: bool,
                 rounds: int = 4) -> dict[str, float]:  # fmt: skip
    """PostgreSQL CPU time per call (µs) of each statement: blocks over all points, alternating, ``rounds``
    each. CPU time, unlike wall time, barely moves with the other work on a busy machine."""
    spent = {"old": 0.0, "new": 0.0}
    with psycopg.connect(url, autocommit=True) as conn:
        pid = conn.info.backend_pid
        if generic:
            conn.execute("SET plan_cache_mode = force_generic_plan")
        for q in (old, new):
            for lon, lat in points[:200]:
                conn.execute(q, params(float(lon), float(lat)), prepare=True).fetchall()
        args = [params(float(lon), float(lat)) for lon, lat in points]
        for r in range(rounds):
            for which, q in (("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old)):
                start = backend_cpu_s(pid)
                for p in args:
                    conn.execute(q, p, prepare=True).fetchall()
                spent[which] += backend_cpu_s(pid) - start
    calls = rounds * len(points)
    return {k: v / calls * 1e6 for k, v in spent.items()}


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", default="b8d3b34", help="the revision before the contact")
    ap.add_argument("--points", type=int, default=3000)
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    url = bench_url(base)
    with psycopg.connect(url, autocommit=True) as conn:
        added = conn.execute(SAMPLE_CONTACTS).rowcount
        contacts = conn.execute("SELECT count(*) FROM area_contacts").fetchone()[0]  # type: ignore[index]
        conn.execute("ANALYZE area_contacts")
    load = os.getloadavg()[0]
    points = random_points(url, args.points)
    rows = []
    for name, params, generic in (
        ("lookup_point.sql", lambda lon, lat: {"lon": lon, "lat": lat}, False),
        ("search_nearby.sql", search_params, True),
    ):
        found = interleaved(url, old_sql(args.rev, name), sql(name), points, params, generic)
        found["cpu"] = cpu_per_call(url, old_sql(args.rev, name), sql(name), points, params, generic)
        rows.append((name, found))
    print(f"Machine: {machine()}; load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    print(
        f"{contacts} area contacts ({added} sample ones added now); {args.points:,} points; old = {args.rev}"
    )
    print(
        "| statement | wall p50 before / after | p50 ratio | median per-point difference | PostgreSQL CPU per call before / after | CPU ratio |"
    )
    print("|---|---|---|---|---|---|")
    for name, f in rows:
        o, n, c = f["old"], f["new"], f["cpu"]
        print(
            f"| {name} | {o['p50']:.3f} / {n['p50']:.3f} ms | {n['p50'] / o['p50']:.3f}× | "
            f"{f['diff_p50'] * 1000:+.0f} µs | {c['old']:.0f} / {c['new']:.0f} µs | {c['new'] / c['old']:.3f}× |"
        )


if __name__ == "__main__":
    main()
