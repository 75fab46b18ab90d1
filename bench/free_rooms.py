"""Benchmark: the free-room search (`GET /search/nearby?free_from=...`, issue 13) against the unfiltered nearby
search and against its own SQL floor, in one run.

Data: the `patchmap_bench` database with bench/sample_assets.py's 100,000 sample assets (generated if
missing), and, added here (once; again with --fresh): 20,000 bookable resources, all labelled sample: a
"Sample main hall" room in 12,000 of the sample hubs and 8,000 whole sample spaces, with varied weekly hours,
prices, rate bands, capacities and turnaround buffers; and 1,000,000 bookings over a year (from 30 days ago
to 335 days ahead), one slot each: 50 per resource, on distinct days (day k of a resource falls in
[7.3 k, 7.3 k + 7): no two on one day), 1 to 4 hours between 09:00 and 22:00 local, 85% confirmed, 10%
requested and still held, 5% cancelled. So the exclusion constraint holds by construction (and checks it:
the INSERT would fail otherwise). Inserted with INSERT ... SELECT in one transaction, then ANALYZEd.

Measured in one run, over seeded random points inside England (bench/lookup.py's `random_points`), limit=20,
radius_m 50 km (as bench/nearby.py):
  - free: `free_from` a seeded random weekday or Saturday in the next 300 days at 10:00-16:00 local on the
    half hour, `free_for_minutes` 60, 90 or 120;
  - unfiltered: the plain nearby search (groups, hubs and spaces);
  - the free search's floor: layers/sql/search_free.sql with the API's own parameters
    (layers.queries.search_free), through psycopg as the API sends it (raw $n, prepared, generic plan).
Sequential latency (concurrency 1) and requests/s at concurrency 16 (wrk against uvicorn, 2 workers; the
floor in 16 threads), in ROUNDS alternating rounds, so drift in the machine's load falls on all alike; the
report takes each measure's median over the rounds. Before timing, the API's free answers for the first
points are checked equal to the floor's. Writes BENCHMARKS.md (section "free_rooms").

    .venv/bin/python bench/free_rooms.py [--points 2000] [--seconds 10] [--fresh]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import sample_assets
from bench.common import machine, percentiles_ms, write_section
from bench.lookup import free_port, random_points, wrk
from bench.nearby import GENERIC, WRK_SCRIPT, execute, load
from layers.queries.search import numbered_sql
from layers.queries.search_free import LONDON, free_window, statement_params

console = Console(stderr=True)

LIMIT = 20
ROUNDS = 3
RESOURCES = 20_000
ROOMS = 12_000  # rooms of sample hubs; the rest are whole sample spaces
BOOKINGS = 1_000_000
PURPOSE = "Sample booking (benchmark)"
#: This benchmark's resources: sample ones of bench/sample_assets.py's hubs and spaces (bench/booking.py keeps
#: its own sample resources in the same database, on a hub of another source: they are left alone).
MINE = (
    "sample AND (room_id IN (SELECT r.id FROM rooms r JOIN hubs h ON h.id = r.hub_id WHERE h.source = 'sample-bench')"
    " OR space_id IN (SELECT id FROM spaces WHERE source = 'sample-bench'))"
)
CLIENT = "sample-bench"

BOOKABLE = f"""
DELETE FROM booking_slots WHERE booking_id IN (SELECT id FROM bookings WHERE client_key = '{CLIENT}');
DELETE FROM bookings WHERE client_key = '{CLIENT}';
DELETE FROM resources WHERE {MINE};
DELETE FROM rooms WHERE sample AND hub_id IN (SELECT id FROM hubs WHERE source = '{CLIENT}');
SELECT setseed(0.20261205);
INSERT INTO rooms (hub_id, name, description, capacity, step_free, facilities, sample)
SELECT id, 'Sample main hall', 'Sample data for benchmarks: a room to hire.', 20 + (random() * 180)::int,
       random() < 0.7, ARRAY['kitchen'], true
FROM (SELECT id FROM hubs WHERE source = '{CLIENT}' ORDER BY md5(id::text) LIMIT {ROOMS}) h;
CREATE TEMP TABLE terms ON COMMIT DROP AS
SELECT i, (ARRAY['Mo-Fr 09:00-22:00; Sa 10:00-16:00', 'Mo-Su 08:00-22:00', 'Mo-Fr 09:00-17:00',
                 'Mo-Sa 09:00-21:00'])[1 + i % 4] AS hours,
       (ARRAY['free', 'low-cost', 'low-cost', 'market'])[1 + (i / 4) % 4] AS band,
       (ARRAY[0, 15, 30])[1 + i % 3] AS buffer
FROM generate_series(0, 63) i;
INSERT INTO resources (room_id, space_id, rate_band, price_per_hour, weekly_hours, buffer_minutes,
                       horizon_days, lead_minutes, approval, sample)
SELECT x.room_id, x.space_id, t.band,
       CASE t.band WHEN 'free' THEN 0 WHEN 'low-cost' THEN 5 + (random() * 10)::int ELSE 20 + (random() * 40)::int END,
       t.hours, t.buffer, 365, 1440, CASE WHEN random() < 0.5 THEN 'instant' ELSE 'request' END, true
FROM (SELECT id AS room_id, NULL::int AS space_id FROM rooms WHERE sample AND name = 'Sample main hall'
        AND hub_id IN (SELECT id FROM hubs WHERE source = '{CLIENT}')
      UNION ALL
      SELECT NULL, id FROM (SELECT id FROM spaces WHERE source = '{CLIENT}' ORDER BY md5(id::text)
                            LIMIT {RESOURCES - ROOMS}) s) x
JOIN terms t ON t.i = (abs(hashint4(coalesce(x.room_id, -x.space_id))) % 64);
CREATE TEMP TABLE plan ON COMMIT DROP AS
SELECT r.id AS resource_id, r.buffer_minutes, k,
       (date_trunc('day', now() AT TIME ZONE 'Europe/London') - interval '30 days'
        + (floor(k * 7.3) + floor(random() * 7)) * interval '1 day'
        + (9 + floor(random() * 9)) * interval '1 hour' + (floor(random() * 2) * 30) * interval '1 minute')
         AT TIME ZONE 'Europe/London' AS start,
       (60 + floor(random() * 7) * 30)::int AS minutes,
       CASE WHEN random() < 0.85 THEN 'confirmed' WHEN random() < 0.67 THEN 'requested' ELSE 'cancelled' END
         AS status
FROM (SELECT * FROM resources WHERE {MINE}) r CROSS JOIN generate_series(0, {BOOKINGS // RESOURCES - 1}) k;
INSERT INTO bookings (reference, resource_id, status, purpose, attendees, price_total, token_digest,
                      token_expires_at, hold_expires_at, client_key)
SELECT 'SB-' || resource_id || '-' || k, resource_id, status, '{PURPOSE}', 10, 0,
       md5('sample-bench/' || resource_id || '/' || k) || md5(k || '/' || resource_id), start + interval '30 days',
       CASE WHEN status = 'requested' THEN now() + interval '72 hours' END, '{CLIENT}'
FROM plan;
INSERT INTO booking_slots (booking_id, resource_id, during, held, status)
SELECT b.id, p.resource_id, tstzrange(p.start, p.start + make_interval(mins => p.minutes)),
       tstzrange(p.start, p.start + make_interval(mins => p.minutes + p.buffer_minutes)), p.status
FROM plan p JOIN bookings b ON b.reference = 'SB-' || p.resource_id || '-' || p.k;
"""


def ensure_bookable(url: str, *, fresh: bool) -> dict[str, Any]:
    """The 20,000 sample resources and 1,000,000 sample bookings (added unless already there); counts."""
    with psycopg.connect(url, autocommit=True) as conn:

        def counts() -> tuple[int, int]:
            row = conn.execute(
                f"SELECT (SELECT count(*) FROM resources WHERE {MINE}), "
                "(SELECT count(*) FROM bookings WHERE client_key = %s)",
                [CLIENT],
            ).fetchone()
            assert row is not None
            return int(row[0]), int(row[1])

        info: dict[str, Any] = {"generated": False}
        if fresh or counts() != (RESOURCES, BOOKINGS):
            console.print(f"adding {RESOURCES:,} sample resources and {BOOKINGS:,} sample bookings…")
            t = time.perf_counter()
            with conn.transaction():
                for statement in BOOKABLE.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
            info |= {"generated": True, "insert_s": time.perf_counter() - t}
            conn.execute("VACUUM ANALYZE rooms, resources, resource_closures, bookings, booking_slots")
        info["resources"], info["bookings"] = counts()
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE room_id IS NOT NULL), count(*) FILTER (WHERE space_id IS NOT NULL),"
            " (SELECT count(*) FROM booking_slots s JOIN bookings b ON b.id = s.booking_id"
            "  WHERE b.client_key = %s AND s.status IN ('requested', 'confirmed')),"
            " (SELECT min(lower(during))::date || ' to ' || max(upper(during))::date FROM booking_slots)"
            f" FROM resources WHERE {MINE}",
            [CLIENT],
        ).fetchone()
        assert row is not None
        info |= {"rooms": row[0], "spaces": row[1], "live": row[2], "span": row[3]}
    return info


def windows(n: int) -> list[tuple[str, int]]:
    """``n`` seeded (free_from, minutes): Monday-Saturday in the next 2 to 300 days, 10:00-16:00 on the half hour."""
    rng = np.random.default_rng(20261205)
    today = datetime.now(LONDON).date()
    out = []
    while len(out) < n:
        day = today + timedelta(days=int(rng.integers(2, 300)))
        if day.weekday() == 6:
            continue
        start = f"{day.isoformat()}T{10 + int(rng.integers(0, 6)):02d}:{30 * int(rng.integers(0, 2)):02d}"
        out.append((start, int(rng.choice([60, 90, 120]))))
    return out


def free_params(lon: float, lat: float, radius_m: float, when: tuple[str, int]) -> dict[str, Any]:
    """The parameters layers.queries.search.nearby_assets gives search_free.sql for a free-room search."""
    window = free_window(datetime.fromisoformat(when[0]), when[1], now=datetime.now(UTC))
    return statement_params(
        window, ["room", "space"], lon=lon, lat=lat, radius_m=radius_m, q=None, step_free=False,
        capacity=None, max_price=None, limit=LIMIT, offset=0,
    )  # fmt: skip


def query_string(lon: float, lat: float, radius_m: float, when: tuple[str, int] | None) -> str:
    """The /search/nearby query string: the free search when ``when`` is given, else the unfiltered one."""
    params: dict[str, Any] = {
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
        "radius_m": f"{radius_m:g}",
        "limit": LIMIT,
    }
    if when:
        params |= {"free_from": when[0], "free_for_minutes": when[1]}
    return urllib.parse.urlencode(params)


def floor_sequential(
    url: str, points: np.ndarray, radius_m: float, whens: list[tuple[str, int]]
) -> dict[str, float]:
    """Latency (ms) and requests/s of search_free.sql through one connection, one search at a time."""
    query = numbered_sql("search_free.sql")
    timings = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(GENERIC)
        for (lon, lat), when in list(zip(points, whens, strict=True))[:200]:  # warm up
            execute(conn, query, free_params(lon, lat, radius_m, when))
        start = time.perf_counter()
        for (lon, lat), when in zip(points, whens, strict=True):
            t = time.perf_counter_ns()
            execute(conn, query, free_params(lon, lat, radius_m, when))
            timings.append(time.perf_counter_ns() - t)
        elapsed = time.perf_counter() - start
    return percentiles_ms(timings) | {"rps": len(points) / elapsed}


def floor_concurrent(
    url: str, points: np.ndarray, radius_m: float, whens: list[tuple[str, int]], workers: int = 16
) -> float:
    """Requests/s of search_free.sql through ``workers`` psycopg connections in threads."""
    query = numbered_sql("search_free.sql")
    conns = [psycopg.connect(url, autocommit=True) for _ in range(workers)]
    for c in conns:
        c.execute(GENERIC)
    work = [(lon, lat, w) for (lon, lat), w in zip(points, whens, strict=True)]
    chunks = [work[i::workers] for i in range(workers)]
    barrier = threading.Barrier(workers + 1)

    def run(conn: psycopg.Connection[Any], chunk: list[tuple[float, float, tuple[str, int]]]) -> None:
        for lon, lat, w in chunk[:20]:
            execute(conn, query, free_params(lon, lat, radius_m, w))
        barrier.wait()
        for lon, lat, w in chunk:
            execute(conn, query, free_params(lon, lat, radius_m, w))

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
    return len(work) / elapsed


def check_answers(
    base: str, url: str, points: np.ndarray, radius_m: float, whens: list[tuple[str, int]]
) -> dict[str, float]:
    """Fail unless the API's free answers equal the floor's for the first points; mean results and share
    of rooms among them."""
    query = numbered_sql("search_free.sql")
    counts, rooms = [], []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(GENERIC)
        for (lon, lat), when in list(zip(points, whens, strict=True))[:50]:
            lon, lat = round(float(lon), 6), round(float(lat), 6)
            floor = json.loads(execute(conn, query, free_params(lon, lat, radius_m, when))[0])
            with urllib.request.urlopen(
                f"{base}/search/nearby?{query_string(lon, lat, radius_m, when)}"
            ) as r:
                api = json.load(r)["results"]
            if api != floor:
                raise SystemExit(
                    f"API and floor disagree at {lon}, {lat}, {when}: {api[:1]}… against {floor[:1]}…"
                )
            if not all(x["sample"] for x in api):
                raise SystemExit("a sample resource was not labelled sample")
            counts.append(len(api))
            rooms += [x["kind"] == "room" for x in api]
    return {"mean": float(np.mean(counts)), "rooms": float(np.mean(rooms)) if rooms else 0.0}


def booked_share(url: str, points: np.ndarray, radius_m: float, whens: list[tuple[str, int]]) -> float:
    """Of the 20 nearest bookable resources (no other test) for the first points, the share with a live
    booking in the window: how often the search has to skip one for a booking."""
    hits, total = 0, 0
    with psycopg.connect(url) as conn:
        for (lon, lat), when in list(zip(points, whens, strict=True))[:100]:
            w = free_window(datetime.fromisoformat(when[0]), when[1])
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM booking_slots b WHERE b.resource_id = r.id"
                "   AND b.status IN ('requested', 'confirmed') AND b.held && tstzrange(%(s)s, %(e)s))), count(*)"
                " FROM (SELECT id FROM resources ORDER BY geom_bng <-> ST_Transform(ST_SetSRID("
                "   ST_MakePoint(%(x)s, %(y)s), 4326), 27700) LIMIT 20) r",
                {"s": w.start, "e": w.end, "x": float(lon), "y": float(lat)},
            ).fetchone()
            assert row is not None
            hits, total = hits + row[0], total + row[1]
    return hits / total if total else 0.0


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """uvicorn with the app on the bench database (as bench/nearby.py runs it), once it answers."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, PATCHMAP_POOL_MIN="4", PATCHMAP_POOL_MAX="16")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", str(port), "--workers",
         str(workers), "--no-access-log", "--log-level", "warning", "--loop", "uvloop", "--http", "httptools"],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 180  # a loaded machine can take a while to start two workers
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/search/nearby?lat=52.6&lon=1.3", timeout=5):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                stop_server(server)
                sys.exit("uvicorn did not start answering within 180 s")
            time.sleep(0.5)
    return server, port


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stop uvicorn (and, failing that within 30 s, kill it)."""
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(10)


def main() -> None:
    """Run the free-room search benchmark and write BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=2000, help="seeded random search points")
    ap.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    ap.add_argument(
        "--radius-m", type=float, default=50_000.0, help="search radius (the API's default is 2000)"
    )
    ap.add_argument("--fresh", action="store_true", help="add the resources and bookings again")
    ap.add_argument("--no-write", action="store_true", help="print the section; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    args.load_at_start = load()
    if not shutil.which("wrk"):
        sys.exit("bench/free_rooms.py needs wrk: apt-get install wrk")
    base = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    url, info = sample_assets.ensure(base, norwich=False, count=100_000)
    bookable = ensure_bookable(url, fresh=args.fresh)
    console.print(f"bookable: {bookable}")
    points = random_points(url, args.points)
    whens = windows(len(points))
    share = booked_share(url, points, args.radius_m, whens)
    server, port = start_server(url, args.workers)
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in ("near1", "free1", "near16", "free16")}
    floors: dict[str, list[Any]] = {"seq": [], "c16": []}
    try:
        base_url = f"http://127.0.0.1:{port}"
        answers = check_answers(base_url, url, points, args.radius_m, whens)
        with tempfile.TemporaryDirectory() as tmp:
            scripts = {}
            for case, ws in (("near", [None] * len(points)), ("free", whens)):
                scripts[case] = Path(tmp) / f"{case}.lua"
                scripts[case].write_text(WRK_SCRIPT % ",".join(
                    f'"/search/nearby?{query_string(x, y, args.radius_m, w)}"' for (x, y), w in zip(points, ws, strict=True)
                ))  # fmt: skip
                wrk(port, scripts[case], 4, 1, 3)  # warm-up: pools open, statements prepared in every worker
            for r in range(ROUNDS):
                console.print(f"round {r + 1} of {ROUNDS}")
                for case in ("near", "free"):
                    runs[f"{case}1"].append(wrk(port, scripts[case], 1, 1, args.seconds))
                floors["seq"].append(floor_sequential(url, points, args.radius_m, whens))
                for case in ("near", "free"):
                    runs[f"{case}16"].append(wrk(port, scripts[case], 16, 2, args.seconds))
                floors["c16"].append(floor_concurrent(url, np.tile(points, (2, 1)), args.radius_m, whens * 2))
    finally:
        stop_server(server)
    body = report(args, info, bookable, answers, share, runs, floors)
    if not args.no_write:
        write_section("free_rooms", body)
    console.print(body)


def med(rows: list[dict[str, float]], key: str) -> float:
    """The median of one measure over the rounds."""
    return float(statistics.median(r[key] for r in rows))


def report(
    args: argparse.Namespace,
    info: dict[str, Any],
    bookable: dict[str, Any],
    answers: dict[str, float],
    share: float,
    runs: dict[str, list[dict[str, float]]],
    floors: dict[str, list[Any]],
) -> str:
    """The BENCHMARKS.md section."""
    near_p50, free_p50 = med(runs["near1"], "p50"), med(runs["free1"], "p50")
    near_p95, free_p95 = med(runs["near1"], "p95"), med(runs["free1"], "p95")
    floor_p50, floor_p95 = med(floors["seq"], "p50"), med(floors["seq"], "p95")
    near_rps1, free_rps1, floor_rps1 = (
        med(runs["near1"], "rps"),
        med(runs["free1"], "rps"),
        med(floors["seq"], "rps"),
    )
    near_rps16, free_rps16 = med(runs["near16"], "rps"), med(runs["free16"], "rps")
    floor_rps16 = float(statistics.median(floors["c16"]))
    errors = sum(r["errors"] for rows in runs.values() for r in rows)
    requests = sum(r["requests"] for rows in runs.values() for r in rows)
    p50_ratio, rps_ratio = free_p50 / near_p50, free_rps16 / floor_rps16
    cmd = "make bench   # = .venv/bin/python bench/free_rooms.py " + " ".join(sys.argv[1:])
    rounds = lambda key, m: ", ".join(f"{r[m]:,.2f}" if m != "rps" else f"{r[m]:,.0f}" for r in runs[key])  # noqa: E731
    return f"""## Free-room search (issue 13): `GET /search/nearby?free_from=&free_for_minutes=`, k = 20

Command: `{cmd.strip()}`
Machine: {machine()}; load average {args.load_at_start} before the run ({load()} at its end, counting its own processes)
Data: `patchmap_bench` with bench/sample_assets.py's 100,000 sample assets (source `{info["source"]}`) and, added by
this script, {bookable["resources"]:,} bookable sample resources ({bookable["rooms"]:,} rooms of sample hubs,
{bookable["spaces"]:,} whole sample spaces) and {bookable["bookings"]:,} sample bookings, one slot each, from
{bookable["span"]} ({bookable["live"]:,} live: confirmed or requested and held); 50 per resource on distinct days,
1 to 4 hours. Of the 20 nearest resources to a search point, {share:.1%} are booked in its window.
Searches: {args.points:,} seeded random points inside England, cycled through; limit=20, radius_m={args.radius_m:g};
free = a seeded Monday-Saturday 10:00-16:00 (local) in the next 300 days, for 60, 90 or 120 minutes (mean
{answers["mean"]:.1f} results, {answers["rooms"]:.0%} of them rooms, over the checked points); unfiltered = the
plain nearby search. The API's free answers were checked equal to the floor's before timing.

| measure | free search, end to end | unfiltered search, end to end | free search's SQL floor | ratio |
|---|---|---|---|---|
| p50 latency, concurrency 1 | {free_p50:.2f} ms | {near_p50:.2f} ms | {floor_p50:.2f} ms | free / unfiltered **{p50_ratio:.2f}×** (goal ≤ 1.5×) |
| p95 latency, concurrency 1 | {free_p95:.2f} ms | {near_p95:.2f} ms | {floor_p95:.2f} ms | free / unfiltered {free_p95 / near_p95:.2f}× |
| requests/s, concurrency 1 | {free_rps1:,.0f} | {near_rps1:,.0f} | {floor_rps1:,.0f} | free: {free_rps1 / floor_rps1:.0%} of its floor |
| requests/s, concurrency 16 | {free_rps16:,.0f} | {near_rps16:,.0f} | {floor_rps16:,.0f} (16 threads) | free: **{rps_ratio:.0%} of its floor** (goal ≥ 60%) |

End to end: uvicorn ({args.workers} workers) and wrk; floor: layers/sql/search_free.sql with the API's parameters,
psycopg, prepared, generic plan. Each figure is the median of {ROUNDS} rounds, each round running, in turn, both
searches at concurrency 1, the floor in sequence, both searches at 16 and the floor in 16 threads ({args.seconds} s
per wrk run). Rounds: free p50 {rounds("free1", "p50")} ms; unfiltered p50 {rounds("near1", "p50")} ms; free
requests/s at 16 {rounds("free16", "rps")}; floor at 16 {", ".join(f"{x:,.0f}" for x in floors["c16"])}.
HTTP runs: {requests:,} requests, {errors} errors; wrk, uvicorn and PostgreSQL share the machine's cores.
Goals: free p50 ≤ 1.5× the unfiltered search's ({"met" if p50_ratio <= 1.5 else "NOT met"}); throughput ≥ 60% of the
free search's floor ({"met" if rps_ratio >= 0.6 else "NOT met"}).
"""


if __name__ == "__main__":
    main()
