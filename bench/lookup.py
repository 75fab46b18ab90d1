"""Benchmark: point lookup (ward, district and LSOA at once) over HTTP against bare prepared SQL.

Loads every English ward and LSOA (from ../shared/data/england, read through /vsigzip/) into a separate
`patchmap_bench` database, draws 10,000 seeded random points inside England, and measures:
  - the floor: the lookup SQL through psycopg with prepared statements (subdivided pieces and raw polygons),
    one connection sequentially (p50/p95) and 16 connections in threads (requests/s);
  - end to end: GET /areas/lookup over HTTP with wrk against uvicorn (2 workers), at concurrency 1
    (p50/p95) and 16 (requests/s), in the same run;
  - the same lookups on boundaries densified to about 10 m between vertices (ST_Segmentize), standing in
    for the full-resolution boundaries councils use, raw against subdivided.
Writes its results to BENCHMARKS.md (section "lookup").

    .venv/bin/python bench/lookup.py [--points 10000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
from rich.console import Console
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import SHARED, bench_url, machine, percentiles_ms, write_section
from layers import migrate
from layers.db import make_engine
from layers.importers.boundaries import import_boundaries
from layers.settings import DatabaseSettings
from layers.sql import sql

console = Console(stderr=True)
SEED = 20261123
ENGLAND_BBOX = (-5.75, 49.85, 1.8, 55.82)


def load_england(url: str) -> dict[str, float]:
    """Migrate and load all English wards and LSOAs (once); return load times in seconds."""
    settings = DatabaseSettings(url=url)
    migrate.upgrade(settings)
    engine = make_engine(settings)
    times: dict[str, float] = {}
    with engine.begin() as conn:
        have = dict(conn.execute(text("SELECT kind, count(*) FROM areas GROUP BY kind")).all())
        for kind, name in (("ward", "wards_2013"), ("lsoa", "lsoa_2011")):
            if have.get(kind):
                continue
            t = time.perf_counter()
            report = import_boundaries(conn, SHARED / "england" / f"{name}.geojson.gz", kind=kind)
            times[kind] = time.perf_counter() - t
            console.print(next(iter(report.summary_lines())))
    engine.dispose()
    return times


def random_points(url: str, n: int) -> np.ndarray:
    """``n`` seeded random points (lon, lat) that lie inside some English LSOA."""
    rng = np.random.default_rng(SEED)
    out: list[tuple[float, float]] = []
    with psycopg.connect(url) as conn:
        while len(out) < n:
            lon = rng.uniform(ENGLAND_BBOX[0], ENGLAND_BBOX[2], 4 * n)
            lat = rng.uniform(ENGLAND_BBOX[1], ENGLAND_BBOX[3], 4 * n)
            rows = conn.execute(
                "SELECT x, y FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(x, y, i) "
                "WHERE EXISTS (SELECT 1 FROM area_pieces p JOIN areas a ON a.id = p.area_id "
                "  WHERE a.kind = 'lsoa' AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(x, y), 4326))) "
                "ORDER BY i",
                [lon.tolist(), lat.tolist()],
            ).fetchall()
            out.extend(rows)
    return np.array(out[:n])


def sql_sequential(url: str, query: str, points: np.ndarray) -> dict[str, float]:
    """Latency of ``query`` through one psycopg connection, prepared, one point at a time."""
    timings = []
    with psycopg.connect(url) as conn:
        for lon, lat in points[:300]:  # warm up caches and the prepared statement
            conn.execute(query, {"lon": lon, "lat": lat}, prepare=True).fetchall()
        for lon, lat in points:
            t = time.perf_counter_ns()
            rows = conn.execute(query, {"lon": lon, "lat": lat}, prepare=True).fetchall()
            timings.append(time.perf_counter_ns() - t)
            assert rows, (lon, lat)
    return percentiles_ms(timings)


def sql_concurrent(url: str, query: str, points: np.ndarray, workers: int = 16) -> float:
    """Requests per second of ``query`` through ``workers`` psycopg connections in threads."""
    conns = [psycopg.connect(url) for _ in range(workers)]
    chunks = np.array_split(points, workers)
    barrier = threading.Barrier(workers + 1)

    def run(conn: psycopg.Connection, chunk: np.ndarray) -> None:
        for lon, lat in chunk[:50]:
            conn.execute(query, {"lon": lon, "lat": lat}, prepare=True).fetchall()
        barrier.wait()
        for lon, lat in chunk:
            conn.execute(query, {"lon": lon, "lat": lat}, prepare=True).fetchall()

    threads = [threading.Thread(target=run, args=(c, ch)) for c, ch in zip(conns, chunks, strict=True)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    return len(points) / elapsed


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


WRK_SCRIPT = """
local points = {%s}
local i = 0
init = function(args) i = math.random(0, #points - 1) end
request = function()
  i = i %% #points + 1
  local p = points[i]
  return wrk.format("GET", "/areas/lookup?lat=" .. p[2] .. "&lon=" .. p[1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%f %%f %%f %%f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def wrk(port: int, script: Path, connections: int, threads: int, seconds: int) -> dict[str, float]:
    """Run wrk; return requests/s and latency percentiles in ms."""
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    assert m, out
    n, dur_us, p50, p95, p99, mean, errors = m.groups()
    return {
        "rps": int(n) / (int(dur_us) / 1e6),
        "p50": float(p50) / 1000,
        "p95": float(p95) / 1000,
        "p99": float(p99) / 1000,
        "mean": float(mean) / 1000,
        "errors": int(errors),
        "requests": int(n),
    }


def http_bench(url: str, points: np.ndarray, seconds: int, workers: int) -> dict[str, dict[str, float]]:
    """Start uvicorn on the bench database and measure /areas/lookup with wrk."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, PATCHMAP_POOL_MIN="4", PATCHMAP_POOL_MAX="16")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        env=env,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "lookup.lua"
            script.write_text(WRK_SCRIPT % ",".join(f"{{{x:.6f},{y:.6f}}}" for x, y in points))
            wrk(port, script, 4, 1, 3)  # warm-up: pools open, statements prepared in every worker
            return {"c1": wrk(port, script, 1, 1, seconds), "c16": wrk(port, script, 16, 2, seconds)}
    finally:
        server.terminate()
        server.wait(10)


def densify(url: str, metres: float) -> float:
    """Copy areas to dense_areas/dense_pieces with vertices every ~``metres``; return seconds taken."""
    t = time.perf_counter()
    deg = metres / 111_000
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('dense_pieces')").fetchone()[0]:  # type: ignore[index]
            return 0.0
        conn.execute(
            "CREATE TABLE dense_areas AS SELECT id, kind, code, name, "
            "ST_Segmentize(geom, %s)::geometry(MultiPolygon, 4326) AS geom FROM areas "
            "WHERE kind <> 'locality'",
            [deg],
        )
        conn.execute("CREATE INDEX ON dense_areas USING gist (geom)")
        conn.execute("ALTER TABLE dense_areas ADD PRIMARY KEY (id)")
        conn.execute(
            "CREATE TABLE dense_pieces AS SELECT id AS area_id, kind, code, name, "
            "ST_Subdivide(geom, 128) AS geom FROM dense_areas"
        )
        conn.execute("CREATE INDEX ON dense_pieces USING gist (geom)")
        conn.execute("ANALYZE dense_areas; ANALYZE dense_pieces")
    return time.perf_counter() - t


def vertex_stats(url: str, table: str) -> str:
    """Mean and max vertices per ward and per LSOA in ``table``."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"SELECT kind, avg(ST_NPoints(geom))::int, max(ST_NPoints(geom)) FROM {table} "
            "WHERE kind IN ('ward', 'lsoa') GROUP BY kind ORDER BY kind"
        ).fetchall()
    return ", ".join(f"{k}s mean {m:,} / max {x:,} vertices" for k, m, x in rows)


def main() -> None:
    """Run the lookup benchmark and write BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    ap.add_argument("--densify-m", type=float, default=10.0)
    ap.add_argument("--fresh", action="store_true", help="drop the bench database first (times the load)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/lookup.py needs wrk: apt-get install wrk")
    base = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    url = bench_url(base, fresh=args.fresh)
    console.print(f"[bold]Loading England[/bold] into {url.split('?')[0].rsplit('/', 1)[-1]}")
    load_times = load_england(url)
    points = random_points(url, args.points)
    sub, raw = sql("lookup_point.sql"), sql("lookup_point_raw.sql")
    console.print(f"{len(points)} points; SQL floor, sequential")
    floor_sub = sql_sequential(url, sub, points)
    floor_raw = sql_sequential(url, raw, points)
    console.print("SQL floor, 16 connections")
    floor_sub_rps = sql_concurrent(url, sub, points)
    console.print(f"HTTP with wrk, {args.workers} uvicorn workers")
    http = http_bench(url, points, args.seconds, args.workers)
    console.print(f"densified boundaries (~{args.densify_m:g} m between vertices)")
    dense_secs = densify(url, args.densify_m)
    dsub = sub.replace("FROM area_pieces", "FROM dense_pieces")
    draw = raw.replace("FROM areas", "FROM dense_areas")
    assert dsub != sub and draw != raw
    dense_points = points[: min(len(points), 2000)]
    dense_sub = sql_sequential(url, dsub, dense_points)
    dense_raw = sql_sequential(url, draw, dense_points)

    c1, c16 = http["c1"], http["c16"]
    cmd = "make bench   # = .venv/bin/python bench/lookup.py " + " ".join(sys.argv[1:])
    body = f"""## Point lookup: ward, district and LSOA at once (issue 3)

Command: `{cmd.strip()}`
Machine: {machine()}
Data: all {7681:,} English wards (2013) and {32844:,} LSOAs (2011), generalised clipped boundaries from
`../shared/data/england` (load: {", ".join(f"{k}s {v:.0f} s" for k, v in load_times.items()) or "already loaded; `--fresh` times it"});
{len(points):,} seeded random points inside England. Boundaries are cut by `ST_Subdivide(geom, 128)`.
Vertices: {vertex_stats(url, "areas")}.

| measure | end to end: `GET /areas/lookup` (uvicorn, {args.workers} workers, wrk) | floor: the same SQL, psycopg, prepared | ratio |
|---|---|---|---|
| p50 latency, concurrency 1 | {c1["p50"]:.2f} ms | {floor_sub["p50"]:.2f} ms | {c1["p50"] / floor_sub["p50"]:.1f}× |
| p95 latency, concurrency 1 | {c1["p95"]:.2f} ms | {floor_sub["p95"]:.2f} ms | {c1["p95"] / floor_sub["p95"]:.1f}× |
| requests/s, concurrency 16 | {c16["rps"]:,.0f} | {floor_sub_rps:,.0f} (16 threads) | {c16["rps"] / floor_sub_rps:.0%} of the floor |

HTTP runs: {c1["requests"]:,} requests at concurrency 1 and {c16["requests"]:,} at 16 over {args.seconds} s each,
{c1["errors"] + c16["errors"]} errors. wrk itself runs on the same 2 cores. Goals: p50 ≤ 2 ms end to end
(mySociety's MapIt reports 27.9 ms for one postcode lookup) and ≥ 1,500 requests/s.

Subdivided pieces against raw polygons (SQL floor, sequential, p50 / p95):

| boundaries | raw polygons (`areas.geom`) | subdivided (`area_pieces`) | speed-up at p50 |
|---|---|---|---|
| generalised, as loaded ({len(points):,} points) | {floor_raw["p50"]:.3f} / {floor_raw["p95"]:.3f} ms | {floor_sub["p50"]:.3f} / {floor_sub["p95"]:.3f} ms | {floor_raw["p50"] / floor_sub["p50"]:.1f}× |
| densified to ~{args.densify_m:g} m vertex spacing ({len(dense_points):,} points) | {dense_raw["p50"]:.3f} / {dense_raw["p95"]:.3f} ms | {dense_sub["p50"]:.3f} / {dense_sub["p95"]:.3f} ms | {dense_raw["p50"] / dense_sub["p50"]:.1f}× |

The densified copy ({vertex_stats(url, "dense_areas")}; built in {dense_secs:.0f} s) stands in for
full-resolution boundaries, which we do not have here: same shapes, many more vertices. It is not
the real full-resolution data, whose vertices also carry more detail.
"""
    write_section("lookup", body)
    console.print(body)


if __name__ == "__main__":
    main()
