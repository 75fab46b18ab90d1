"""Benchmark: residents' nearby search (`GET /search/nearby`, k = 20) over HTTP against its bare SQL.

Uses the `patchmap_bench` database (England's wards and LSOAs, as bench/lookup.py loads them) with the
100,000 sample assets of bench/sample_assets.py (generated if missing), and seeded random search points
inside England (bench/lookup.py's `random_points`: uniform in England's bounding box, kept when inside an
LSOA). Two searches, each asking for the 20 nearest (limit=20) within --radius-m (default 50 km, so every
search has its 20 results and the work is a true k = 20 nearest-neighbour search):
  - unfiltered: groups, hubs and spaces;
  - filtered: category=food, which matches 10% of the assets (the search API applies a group category to
    groups only, leaving hubs and spaces out; 20% of the sample groups have it).
Measured in one run:
  - the floor: layers/sql/search_nearby.sql with the parameters the API gives it (built with the API's own
    layers.queries.search_params.plan_filters), through psycopg as the API sends it (a raw $n statement,
    prepared, one row of JSON text back), with the generic plan the API
    forces on its search pool's connections (plan_cache_mode = force_generic_plan, set once per session):
    one connection in sequence (p50/p95, requests/s) and 16 connections in threads (requests/s);
  - end to end: wrk against uvicorn (api.main:create_app, 2 workers), cycling through the points, at
    concurrency 1 (p50/p95, requests/s) and 16 (requests/s).
Before timing, the API's answers for the first points are checked against the floor's (same results, same
order, every field). With --profile, py-spy samples the uvicorn workers during an extra concurrency-16 run of each
search and the report lists where their time goes. Writes BENCHMARKS.md (section "nearby").

    .venv/bin/python bench/nearby.py [--points 2000] [--seconds 10] [--profile]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import sample_assets
from bench.common import ROOT, machine, percentiles_ms, write_section
from bench.lookup import free_port, random_points, wrk
from layers.queries.search import numbered, numbered_sql, statement_params
from layers.queries.search_params import parse_kinds, plan_filters

console = Console(stderr=True)


def load() -> str:
    """The 1-minute load average (other work on this 2-core machine skews timings)."""
    return Path("/proc/loadavg").read_text().split()[0]


LIMIT = 20
ROUNDS = 3  # concurrency-16 runs of the API and of the floor, alternating
CASES: dict[str, dict[str, str]] = {"unfiltered": {}, "filtered": {"category": sample_assets.BENCH_CATEGORY}}
GENERIC = "SET plan_cache_mode = force_generic_plan"


def api_params(lon: float, lat: float, radius_m: float, filters: dict[str, str]) -> dict[str, Any]:
    """The parameters layers.queries.search.nearby_assets gives search_nearby.sql for a point search."""
    params, searched, _, _ = plan_filters(
        parse_kinds(None),
        category=filters.get("category"),
        community=None,
        q=None,
        open_at=None,
        cost=None,
        step_free=False,
        volunteers_wanted=False,
    )
    return statement_params(
        params,
        searched,
        lon=lon,
        lat=lat,
        radius_m=radius_m,
        limit=LIMIT,
        offset=0,
        step_free=False,
        volunteers_wanted=False,
    )


def execute(conn: psycopg.Connection[Any], query: tuple[str, tuple[str, ...]], params: dict[str, Any]) -> Any:
    """Run a numbered statement (layers.queries.search.numbered) prepared, as the API does: its one row."""
    text, names = query
    return psycopg.RawCursor(conn).execute(text, [params[n] for n in names], prepare=True).fetchone()


def floor_sequential(
    url: str, points: np.ndarray, radius_m: float, filters: dict[str, str]
) -> dict[str, float]:
    """Latency (ms) and requests/s of the search SQL through one connection, one point at a time."""
    query = numbered_sql("search_nearby.sql")
    timings = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(GENERIC)

        def once(lon: float, lat: float) -> Any:
            return execute(conn, query, api_params(lon, lat, radius_m, filters))

        for lon, lat in points[:300]:  # warm up caches and the prepared statement
            once(lon, lat)
        start = time.perf_counter()
        for lon, lat in points:
            t = time.perf_counter_ns()
            rows = once(lon, lat)
            timings.append(time.perf_counter_ns() - t)
            assert rows, (lon, lat)
        elapsed = time.perf_counter() - start
    return percentiles_ms(timings) | {"rps": len(points) / elapsed}


#: The core of the search alone: the three ordered GiST scans on geom_bng (21 rows each), merged.
KNN_CORE = """
WITH o AS MATERIALIZED (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326), 27700) AS b)
(SELECT h.geom_bng <-> (SELECT b FROM o) AS d, h.id FROM hubs h ORDER BY 1 LIMIT %(k)s::int)
UNION ALL (SELECT s.geom_bng <-> (SELECT b FROM o), s.id FROM spaces s ORDER BY 1 LIMIT %(k)s::int)
UNION ALL (SELECT g.geom_bng <-> (SELECT b FROM o), g.id FROM groups g ORDER BY 1 LIMIT %(k)s::int)
ORDER BY 1 LIMIT %(k)s::int
"""


def sql_breakdown(url: str, points: np.ndarray, radius_m: float) -> dict[str, float]:
    """p50 (ms, unfiltered) of the search SQL and of its nearest-neighbour core alone."""
    variants = {
        "search_nearby.sql": numbered_sql("search_nearby.sql"),
        "its nearest-neighbour core alone": numbered(KNN_CORE),
    }
    out: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(GENERIC)
        for name, query in variants.items():
            timings = []
            for i, (lon, lat) in enumerate(points[:1100]):
                t = time.perf_counter_ns()
                execute(conn, query, api_params(lon, lat, radius_m, {}))
                if i >= 100:
                    timings.append(time.perf_counter_ns() - t)
            out[name] = percentiles_ms(timings)["p50"]
    return out


def floor_concurrent(
    url: str, points: np.ndarray, radius_m: float, filters: dict[str, str], workers: int = 16
) -> dict[str, float]:
    """Requests/s of the search SQL through ``workers`` psycopg connections in threads, and CPU per query."""
    query = numbered_sql("search_nearby.sql")
    conns = [psycopg.connect(url, autocommit=True) for _ in range(workers)]
    for c in conns:
        c.execute(GENERIC)
    chunks = np.array_split(points, workers)
    barrier = threading.Barrier(workers + 1)

    def run(conn: psycopg.Connection[Any], chunk: np.ndarray) -> None:
        for lon, lat in chunk[:30]:
            execute(conn, query, api_params(lon, lat, radius_m, filters))
        barrier.wait()
        for lon, lat in chunk:
            execute(conn, query, api_params(lon, lat, radius_m, filters))

    threads = [threading.Thread(target=run, args=(c, ch)) for c, ch in zip(conns, chunks, strict=True)]
    for t in threads:
        t.start()
    barrier.wait()
    with CpuMeter(url, None) as meter:
        start = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    return {"rps": len(points) / elapsed} | meter.per_request_ms(len(points))


def query_string(lon: float, lat: float, radius_m: float, filters: dict[str, str]) -> str:
    """The /search/nearby query string for a point."""
    return urllib.parse.urlencode(
        {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "radius_m": f"{radius_m:g}", "limit": LIMIT, **filters}
    )


def check_answers(base: str, url: str, points: np.ndarray, radius_m: float, filters: dict[str, str]) -> float:
    """Fail unless the API's results equal the floor's for the first points; return mean results."""
    query = numbered_sql("search_nearby.sql")
    counts = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(GENERIC)
        for lon, lat in points[:50]:
            lon, lat = round(float(lon), 6), round(float(lat), 6)
            floor = json.loads(execute(conn, query, api_params(lon, lat, radius_m, filters))[0])
            with urllib.request.urlopen(
                f"{base}/search/nearby?{query_string(lon, lat, radius_m, filters)}"
            ) as r:
                body = json.load(r)
            api = body["results"]
            if api != floor:
                raise SystemExit(f"API and floor disagree at {lon}, {lat}: {api[:1]}… against {floor[:1]}…")
            if filters.get("category") and any(x["kind"] != "group" for x in body["results"]):
                raise SystemExit("a category search returned hubs or spaces")
            counts.append(len(api))
    return float(np.mean(counts))


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process (from /proc; a process that has gone counts nothing)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def children(pid: int) -> list[int]:
    """``pid`` and its child processes (uvicorn's supervisor and its workers)."""
    found = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def backends(url: str) -> list[int]:
    """Process ids of the PostgreSQL backends connected to the bench database (other than this one)."""
    with psycopg.connect(url) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]


class CpuMeter:
    """CPU used per request by PostgreSQL's backends, a client (processes, or this one) and wrk."""

    def __init__(self, url: str, client_pids: list[int] | None) -> None:
        self.url, self.client_pids = url, client_pids

    def __enter__(self) -> CpuMeter:
        self.pg0 = cpu_seconds(backends(self.url))
        self.client0 = cpu_seconds(self.client_pids) if self.client_pids else {0: time.process_time()}
        self.wrk0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *exc: object) -> None:
        pg1 = cpu_seconds(backends(self.url))
        client1 = cpu_seconds(self.client_pids) if self.client_pids else {0: time.process_time()}
        wrk1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.pg = sum(v - self.pg0.get(k, 0.0) for k, v in pg1.items())
        self.client = sum(v - self.client0.get(k, 0.0) for k, v in client1.items())
        self.wrk = (wrk1.ru_utime + wrk1.ru_stime) - (self.wrk0.ru_utime + self.wrk0.ru_stime)

    def per_request_ms(self, requests: int) -> dict[str, float]:
        """Milliseconds of CPU per request, by who spent them."""
        return {
            "pg": 1000 * self.pg / requests,
            "client": 1000 * self.client / requests,
            "wrk": 1000 * self.wrk / requests,
        }


WRK_SCRIPT = """
local paths = {%s}
local i = 0
init = function(args) i = math.random(0, #paths - 1) end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%f %%f %%f %%f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def profile(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    """Start py-spy sampling uvicorn (``pid``) and its workers into ``out`` (collapsed stacks)."""
    return subprocess.Popen(
        [
            "py-spy",
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--duration",
            str(seconds),
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def where_time_goes(raw: Path, top: int = 14) -> list[tuple[str, float]]:
    """Share of samples per bucket of a py-spy collapsed-stack file: the frames that say where time goes."""
    buckets = [
        (
            "psycopg: waiting for PostgreSQL (the query)",
            ("psycopg/waiting", "wait_async", "_wait_conn", "select."),
        ),
        ("pydantic: validating and serialising the answer", ("pydantic",)),
        ("FastAPI: parameters, dependencies and response encoding", ("fastapi/",)),
        ("starlette and uvicorn: HTTP", ("starlette/", "uvicorn/", "httptools", "h11")),
        ("psycopg: sending and reading rows", ("psycopg/",)),
        ("search: building parameters and results", ("layers/",)),
        ("JSON encoding", ("json/", "orjson")),
        ("asyncio event loop", ("asyncio/", "uvloop")),
    ]
    counts: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        frames = stack.split(";")
        leaves[frames[-1][:90]] += int(n)
        # attribute to the innermost frame that falls in a bucket
        for frame in reversed(frames):
            name = next((label for label, keys in buckets if any(k in frame for k in keys)), None)
            if name:
                counts[name] += int(n)
                break
        else:
            counts["other (idle, interpreter, threads)"] += int(n)
    shares = [(k, v / total) for k, v in counts.most_common()] if total else []
    shares += [(f"leaf: {k}", v / total) for k, v in leaves.most_common(top)] if total else []
    return shares


def http_bench(
    url: str, points: np.ndarray, radius_m: float, seconds: int, workers: int, do_profile: bool
) -> tuple[dict[str, dict[str, Any]], dict[str, float], dict[str, Any]]:
    """Start uvicorn on the bench database; check answers; measure /search/nearby with wrk."""
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
    results: dict[str, dict[str, dict[str, float]]] = {}
    answers: dict[str, float] = {}
    profiles: dict[str, Any] = {}
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)  # both workers up
        base = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            for case, filters in CASES.items():
                answers[case] = check_answers(base, url, points, radius_m, filters)
                script = Path(tmp) / f"{case}.lua"
                script.write_text(
                    WRK_SCRIPT
                    % ",".join(f'"/search/nearby?{query_string(x, y, radius_m, filters)}"' for x, y in points)
                )
                wrk(port, script, 4, 1, 3)  # warm-up: pools open, statements prepared in every worker
                c1 = wrk(port, script, 1, 1, seconds)
                # Concurrency 16, in ROUNDS alternating with the floor's, so drift in the machine's load
                # falls on both alike; the report takes the median of the rounds' ratios.
                rounds = []
                for _ in range(ROUNDS):
                    floor_round = floor_concurrent(url, np.tile(points, (3, 1)), radius_m, filters)
                    with CpuMeter(url, children(server.pid)) as meter:
                        c16 = wrk(port, script, 16, 2, seconds)
                    rounds.append((c16 | meter.per_request_ms(int(c16["requests"])), floor_round))
                best = sorted(rounds, key=lambda r: r[0]["rps"] / r[1]["rps"])[len(rounds) // 2]
                results[case] = {
                    "c1": c1,
                    "c16": best[0],
                    "floor_c16": best[1],
                    "ratios": [h["rps"] / f["rps"] for h, f in rounds],
                    "runs": [c1, *(h for h, _ in rounds)],
                }
                if do_profile:
                    out = ROOT / "bench" / "out" / f"nearby_{case}.pyspy.txt"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    spy = profile(server.pid, seconds, out)
                    time.sleep(1.0)
                    run = wrk(port, script, 16, 2, seconds - 2)
                    spy.wait(seconds + 30)
                    profiles[case] = {
                        "rps": run["rps"],
                        "shares": where_time_goes(out) if out.exists() else [],
                        "file": str(out.relative_to(ROOT)),
                    }
        return results, answers, profiles
    finally:
        server.terminate()
        server.wait(10)


def sample_counts(url: str) -> str:
    """The sample assets by table."""
    with psycopg.connect(url) as conn:
        counts = [
            (
                t,
                conn.execute(
                    f"SELECT count(*) FROM {t} WHERE source = %s", [sample_assets.ENGLAND_SOURCE]
                ).fetchone()[0],
            )  # type: ignore[index]
            for t in ("groups", "hubs", "spaces")
        ]
    return ", ".join(f"{n:,} {t}" for t, n in counts)


def main() -> None:
    """Run the nearby search benchmark and write BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=2000, help="seeded random search points (≥ 1,000)")
    ap.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    ap.add_argument(
        "--radius-m", type=float, default=50_000.0, help="search radius (the API's default is 2000)"
    )
    ap.add_argument("--count", type=int, default=100_000, help="sample assets")
    ap.add_argument(
        "--profile", action="store_true", help="sample the workers with py-spy (pip install py-spy)"
    )
    ap.add_argument("--no-write", action="store_true", help="print the section; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    args.load_at_start = load()
    if not shutil.which("wrk"):
        sys.exit("bench/nearby.py needs wrk: apt-get install wrk")
    if args.profile and not shutil.which("py-spy"):
        sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy")
    base = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    url, info = sample_assets.ensure(base, norwich=False, count=args.count)
    console.print(
        f"sample assets {'generated' if info['generated'] else 'already there'}; "
        f"category {sample_assets.BENCH_CATEGORY!r} on {info['category_share']:.1%}"
    )
    points = random_points(url, args.points)
    floor: dict[str, dict[str, Any]] = {}
    for case, filters in CASES.items():
        console.print(f"SQL floor, {case}")
        floor[case] = {
            "seq": floor_sequential(url, points, args.radius_m, filters),
        }
    breakdown = sql_breakdown(url, points, args.radius_m)
    console.print(f"HTTP with wrk, {args.workers} uvicorn workers")
    http, answers, profiles = http_bench(url, points, args.radius_m, args.seconds, args.workers, args.profile)
    body = report(args, info, url, len(points), floor, http, answers, profiles, breakdown)
    if not args.no_write:
        write_section("nearby", body)
    console.print(body)


def report(
    args: argparse.Namespace,
    info: dict[str, Any],
    url: str,
    n_points: int,
    floor: dict[str, dict[str, Any]],
    http: dict[str, dict[str, dict[str, float]]],
    answers: dict[str, float],
    profiles: dict[str, Any],
    breakdown: dict[str, float],
) -> str:
    """The BENCHMARKS.md section."""
    rows = []
    for case in CASES:
        f, h = {**floor[case], "c16": http[case]["floor_c16"]}, http[case]
        rows += [
            f"| {case} | p50 latency, concurrency 1 | {h['c1']['p50']:.2f} ms | {f['seq']['p50']:.2f} ms "
            f"| {h['c1']['p50'] / f['seq']['p50']:.1f}× |",
            f"| {case} | p95 latency, concurrency 1 | {h['c1']['p95']:.2f} ms | {f['seq']['p95']:.2f} ms "
            f"| {h['c1']['p95'] / f['seq']['p95']:.1f}× |",
            f"| {case} | requests/s, concurrency 1 | {h['c1']['rps']:,.0f} | {f['seq']['rps']:,.0f} "
            f"| {h['c1']['rps'] / f['seq']['rps']:.0%} of the floor |",
            f"| {case} | requests/s, concurrency 16 | {h['c16']['rps']:,.0f} | {f['c16']['rps']:,.0f} (16 threads) "
            f"| {h['c16']['rps'] / f['c16']['rps']:.0%} of the floor (median of {ROUNDS} alternating rounds: "
            f"{', '.join(f'{r:.0%}' for r in h['ratios'])}) |",
            f"| {case} | CPU per request at 16: PostgreSQL / Python / wrk | {h['c16']['pg']:.2f} / "
            f"{h['c16']['client']:.2f} / {h['c16']['wrk']:.2f} ms | {f['c16']['pg']:.2f} / {f['c16']['client']:.2f} "
            f"/ – ms | {(h['c16']['pg'] + h['c16']['client']) / (f['c16']['pg'] + f['c16']['client']):.1f}× |",
        ]
    u, fl = http["unfiltered"], http["filtered"]
    fu, ff = floor["unfiltered"], floor["filtered"]
    errors = sum(r["errors"] for c in http.values() for r in c["runs"])
    requests = sum(r["requests"] for c in http.values() for r in c["runs"])
    prof = ""
    for case, p in profiles.items():
        lines = "\n".join(
            f"  - {name}: {share:.0%}" for name, share in p["shares"] if not name.startswith("leaf")
        )
        leaves = "\n".join(
            f"  - `{name[6:]}`: {share:.0%}" for name, share in p["shares"] if name.startswith("leaf")
        )
        prof += (
            f"\npy-spy, {case}, concurrency 16 ({p['rps']:,.0f} requests/s while sampled; both workers; "
            f"`{p['file']}`), share of samples by the innermost frame of each kind:\n{lines}\n"
            f"Most sampled frames:\n{leaves}\n"
        )
    parts = ", ".join(f"{name} {ms:.2f} ms" for name, ms in breakdown.items())
    cmd = "make bench   # = .venv/bin/python bench/nearby.py " + " ".join(sys.argv[1:])
    return f"""## Nearby search: `GET /search/nearby`, k = 20 (issue: search benchmark)

Command: `{cmd.strip()}`
Machine: {machine()}; load average {args.load_at_start} before the run ({load()} at its end, counting its own processes)
Data: `patchmap_bench` (England's wards and LSOAs) with {sample_counts(url)} sample assets (source
`{info["source"]}`, seed {info["seed"]}; by LSOA population, bench/sample_assets.py); {n_points:,} seeded random
search points inside England, cycled through. limit=20, radius_m={args.radius_m:g} (every search fills its 20:
mean {answers["unfiltered"]:.1f} unfiltered, {answers["filtered"]:.1f} filtered, over the checked points).
Filtered = `category={sample_assets.BENCH_CATEGORY}`, matching {info["category_share"]:.0%} of the assets (a group
category applies to groups only: hubs and spaces are left out; 20% of the groups have it).
The API's answers were checked equal to the floor's (the same results in the same order, every field) before timing.

| search | measure | end to end: uvicorn ({args.workers} workers), wrk | floor: search_nearby.sql, psycopg, prepared, generic plan | ratio |
|---|---|---|---|---|
{chr(10).join(rows)}

Filtered against unfiltered: end to end p50 {fl["c1"]["p50"] / u["c1"]["p50"]:.2f}×, requests/s at 16
{fl["c16"]["rps"] / u["c16"]["rps"]:.2f}×; floor p50 {ff["seq"]["p50"] / fu["seq"]["p50"]:.2f}×.
Concurrency 16: {ROUNDS} rounds per search, each a {args.seconds} s wrk run of the API and a run of the floor over the
points three times, alternating; the row shows the round with the median ratio.
Where the SQL's time goes (floor, unfiltered, p50 over 1,000 points): {parts}.
CPU per request at concurrency 16 (from /proc: PostgreSQL = the backends of the bench database; Python = the
uvicorn processes end to end, this psycopg client for the floor; wrk = wrk): on 2 cores, requests/s can be
at most 2,000 ms / the sum.
HTTP runs: {requests:,} requests, {errors} errors; wrk runs on the same 2 cores as uvicorn and PostgreSQL.
Goals: p50 ≤ 3 ms end to end, filtered ≤ 2× unfiltered, throughput ≥ 60% of the floor. For reference, bare
k = 20 nearest-neighbour SQL over 100,000 points took 0.4 ms (p50) on EPSG:27700 geometry and 1.2 ms on
geography on this machine.
{prof}"""


if __name__ == "__main__":
    main()
