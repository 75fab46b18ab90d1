"""Benchmark: booking contention over HTTP (issue 13): no double booking, whatever the race.

Against a real uvicorn server of the app (api.main:create_app, 2 workers, as bench/nearby.py runs it) on the
`patchmap_bench` database (created and migrated if missing; nothing else in it is needed or touched):
  (a) same slot: --same-slot (1,000) concurrent `POST /bookings` for the same time of one room (approval
      instant), all released at once; counts 201 / 409 / other, and checks in SQL that exactly one live
      booking holds the time;
  (b) random overlaps: --attempts (10,000) bookings of --resources (50) rooms, each at a seeded random start
      on the 30-minute grid (08:00-22:00 local, over the next 3 days) for 60 to 180 minutes, at --concurrency
      (64) requests in flight; then a SQL self-join over `booking_slots` counts live slots of one resource
      whose held ranges (the time plus the turnaround buffer, 15 minutes on half the rooms) overlap: it must
      be 0. Reports p50/p95 latency, successful bookings/s and attempts/s.
Both parts also check that every 201 names a booking that is in the database and live, and that the database
holds no live booking the client was not told of.

Every attempt comes from its own client address (X-Forwarded-For, which uvicorn takes from a local proxy),
as many residents booking at once would: the app takes a per-client advisory lock for its rate limit
(layers/booking/book.py), so attempts from one address would queue behind each other and the race would not
reach the database. The rate limit itself is raised for the server (PATCHMAP_BOOKING_LIMIT).

The bench's rooms belong to one sample hub (source "sample-bench-booking", named "Sample ..."); a run deletes
the bookings (and their slots, contacts and queued messages) that earlier runs made on them, and reuses the
rooms. Bookers are "Sample bench booker" at example.org addresses. Writes BENCHMARKS.md (section "booking").

    .venv/bin/python bench/booking.py [--same-slot 1000] [--attempts 10000] [--resources 50] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import socket
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, bench_url, machine, percentiles_ms, write_section
from bench.lookup import free_port
from layers import migrate
from layers.settings import DatabaseSettings

console = Console(stderr=True)
LONDON = ZoneInfo("Europe/London")
SOURCE = "sample-bench-booking"
SEED = 20261205
OPEN, CLOSE = 8 * 60, 22 * 60  # the rooms' weekly hours, local minutes of the day
HOURS = "Mo-Su 08:00-22:00"
LENGTHS = (60, 90, 120, 150, 180)
DAYS = 3  # (b) books the next DAYS days, from tomorrow
LIVE = "('requested', 'confirmed')"
OVERLAPS = f"""
SELECT count(*) FROM booking_slots a JOIN booking_slots b
  ON a.resource_id = b.resource_id AND a.id < b.id AND a.held && b.held
WHERE a.status IN {LIVE} AND b.status IN {LIVE} AND a.resource_id = ANY(%(r)s)
"""


def load() -> str:
    """The 1-minute load average (other work on this 2-core machine skews timings)."""
    return Path("/proc/loadavg").read_text().split()[0]


def prepare(url: str, resources: int) -> dict[str, Any]:
    """Migrate; make (or reuse) the sample hub and its rooms and resources; delete earlier runs' bookings.

    Room 0 is the same-slot room (instant); rooms 1..resources are (b)'s, instant, half with a 15-minute
    turnaround buffer. Returns {"same": room id, "rooms": [room ids], "resources": [resource ids]}."""
    migrate.upgrade(DatabaseSettings(url=url))
    with psycopg.connect(url) as conn:
        hub = conn.execute("SELECT id FROM hubs WHERE source = %s AND source_id = 'hub'", [SOURCE]).fetchone()
        if hub is None:
            hub = conn.execute(
                "INSERT INTO hubs (name, kind, description, geom, source, source_id) VALUES "
                "('Sample bench hub (booking contention)', 'community_centre', "
                "'Sample data for the booking benchmark.', ST_SetSRID(ST_MakePoint(1.2930, 52.6309), 4326), "
                "%s, 'hub') RETURNING id",
                [SOURCE],
            ).fetchone()
        assert hub is not None
        hub_id = hub[0]
        mine = "SELECT id FROM resources WHERE hub_id = %(h)s"
        conn.execute(
            f"DELETE FROM outbox WHERE about IN (SELECT 'booking/' || reference FROM bookings "
            f"WHERE resource_id IN ({mine}))",
            {"h": hub_id},
        )
        deleted = conn.execute(f"DELETE FROM bookings WHERE resource_id IN ({mine})", {"h": hub_id}).rowcount
        rooms, resources_ = [], []
        for i in range(resources + 1):
            name = f"Sample bench room {i}"
            room = (
                conn.execute(
                    "SELECT id FROM rooms WHERE hub_id = %s AND name = %s", [hub_id, name]
                ).fetchone()
                or conn.execute(
                    "INSERT INTO rooms (hub_id, name, capacity, sample) VALUES (%s, %s, 50, true) RETURNING id",
                    [hub_id, name],
                ).fetchone()
            )
            assert room is not None
            terms = {
                "room": room[0], "hours": HOURS, "buffer": 15 if i % 2 else 0,
            }  # fmt: skip
            resource = conn.execute(
                "INSERT INTO resources (room_id, rate_band, price_per_hour, weekly_hours, slot_minutes, "
                "min_minutes, max_minutes, lead_minutes, horizon_days, buffer_minutes, approval, terms, sample) "
                "VALUES (%(room)s, 'low-cost', 10, %(hours)s, 30, 60, 240, 60, 30, %(buffer)s, 'instant', "
                "'Sample terms for the booking benchmark.', true) "
                "ON CONFLICT (room_id) DO UPDATE SET bookable = true, weekly_hours = EXCLUDED.weekly_hours, "
                "slot_minutes = 30, min_minutes = 60, max_minutes = 240, lead_minutes = 60, horizon_days = 30, "
                "buffer_minutes = EXCLUDED.buffer_minutes, approval = 'instant' RETURNING id",
                terms,
            ).fetchone()
            assert resource is not None
            rooms.append(room[0])
            resources_.append(resource[0])
        conn.execute("DELETE FROM resource_closures WHERE resource_id = ANY(%s)", [resources_])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE bookings, booking_slots, booking_contacts, outbox, resources")
    return {"same": rooms[0], "rooms": rooms[1:], "resources": resources_, "deleted": deleted}


def body(room: int, day: date, start_min: int, minutes: int, n: int) -> dict[str, Any]:
    """A POST /bookings body as docs/booking.md gives it (local date and time, Europe/London)."""
    return {
        "kind": "room",
        "id": room,
        "date": day.isoformat(),
        "time": f"{start_min // 60:02d}:{start_min % 60:02d}",
        "minutes": minutes,
        "name": "Sample bench booker",
        "email": f"bench-{n}@example.org",
        "purpose": "Sample booking (benchmark)",
        "attendees": 5,
        "consent": True,
    }


def client_address(n: int) -> str:
    """A distinct client address for attempt ``n`` (10.0.0.0/8)."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


Result = tuple[int, int, str | None]  # status (0: no answer), nanoseconds, a 201's reference or the error


async def attempt(client: httpx.AsyncClient, payload: dict[str, Any], n: int) -> Result:
    """One POST /bookings; its status, latency and (on 201) the reference."""
    t = time.perf_counter_ns()
    try:
        r = await client.post("/bookings", json=payload, headers={"X-Forwarded-For": client_address(n)})
    except httpx.HTTPError as exc:
        return 0, time.perf_counter_ns() - t, type(exc).__name__
    elapsed = time.perf_counter_ns() - t
    try:
        answer = r.json()
    except ValueError:
        answer = {"error": r.text[:100]}
    return r.status_code, elapsed, answer.get("reference") if r.status_code == 201 else answer.get("error")


async def same_slot(base: str, room: int, n: int) -> tuple[list[Result], float]:
    """(a): ``n`` attempts at the same time of one room, released together; results and wall seconds."""
    day = datetime.now(LONDON).date() + timedelta(days=2)
    payload = body(room, day, 18 * 60, 120, 0)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        go = asyncio.Event()

        async def one(i: int) -> Result:
            await go.wait()
            return await attempt(client, payload | {"email": f"bench-a{i}@example.org"}, i)

        tasks = [asyncio.create_task(one(i)) for i in range(n)]
        await asyncio.sleep(0.5)  # every task waiting at the gate
        start = time.perf_counter()
        go.set()
        results = await asyncio.gather(*tasks)
        return list(results), time.perf_counter() - start


def random_bodies(rooms: list[int], n: int, seed: int) -> list[dict[str, Any]]:
    """(b)'s seeded random attempts: a room, a day (tomorrow onwards), a start on the grid and a length."""
    rng = random.Random(seed)
    first = datetime.now(LONDON).date() + timedelta(days=1)
    out = []
    for i in range(n):
        minutes = rng.choice(LENGTHS)
        start = OPEN + 30 * rng.randrange((CLOSE - minutes - OPEN) // 30 + 1)
        out.append(
            body(rng.choice(rooms), first + timedelta(days=rng.randrange(DAYS)), start, minutes, 100_000 + i)
        )
    return out


async def random_overlaps(
    base: str, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[list[Result], float, float]:
    """(b): the attempts through ``concurrency`` connections, each sending its next as soon as one is answered;
    the results in the order answered, the wall seconds, and the seconds to the first tenth of the answers."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue = collections.deque(enumerate(bodies))
    results: list[Result] = []
    tenth = max(1, len(bodies) // 10)
    tenth_s = 0.0
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

        async def worker() -> None:
            nonlocal tenth_s
            while queue:
                i, payload = queue.popleft()
                results.append(await attempt(client, payload, 100_000 + i))
                if len(results) == tenth:
                    tenth_s = time.perf_counter() - start

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results, time.perf_counter() - start, tenth_s


def check(url: str, resources: list[int], results: list[Result]) -> dict[str, int]:
    """Live bookings and overlapping live slots in SQL, and whether they agree with the 201s."""
    told = {ref for status, _, ref in results if status == 201 and ref}
    with psycopg.connect(url) as conn:
        live = {
            r[0]
            for r in conn.execute(
                f"SELECT reference FROM bookings WHERE resource_id = ANY(%(r)s) AND status IN {LIVE}",
                {"r": resources},
            )
        }
        slots = conn.execute(
            f"SELECT count(*) FROM booking_slots WHERE resource_id = ANY(%(r)s) AND status IN {LIVE}",
            {"r": resources},
        ).fetchone()
        overlaps = conn.execute(OVERLAPS, {"r": resources}).fetchone()
    assert slots is not None and overlaps is not None
    return {
        "live_bookings": len(live),
        "live_slots": int(slots[0]),
        "overlapping_pairs": int(overlaps[0]),
        "told_not_live": len(told - live),
        "live_not_told": len(live - told),
    }


def summary(results: list[Result], seconds: float) -> dict[str, Any]:
    """Counts by status, latency percentiles, successful bookings/s and attempts/s."""
    statuses = collections.Counter(s for s, _, _ in results)
    said: dict[int, str] = {}
    for status, _, what in results:
        if status not in (201, 409):
            said.setdefault(status, str(what))
    return {
        "said": said,
        "attempts": len(results),
        "statuses": dict(sorted(statuses.items())),
        "ok": statuses[201],
        "clash": statuses[409],
        "other": len(results) - statuses[201] - statuses[409],
        "latency": percentiles_ms([ns for _, ns, _ in results]),
        "latency_ok": percentiles_ms([ns for s, ns, _ in results if s == 201] or [0]),
        "latency_clash": percentiles_ms([ns for s, ns, _ in results if s == 409] or [0]),
        "seconds": seconds,
        "bookings_per_s": statuses[201] / seconds,
        "attempts_per_s": len(results) / seconds,
    }


def serve(url: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn on the bench database (rate limit raised); its process and base URL once it answers."""
    port = free_port()
    # one client key for both workers (as a deployment sets it), not a random one per worker
    secret = os.environ.get("PATCHMAP_SUBMISSION_SECRET") or "sample-bench-booking-key"
    env = dict(
        os.environ, DATABASE_URL=url, PATCHMAP_BOOKING_LIMIT="1000000", PATCHMAP_SUBMISSION_SECRET=secret
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning", "--loop", "uvloop",
         "--http", "httptools"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.terminate()
        sys.exit(f"uvicorn did not start; see {log}")
    return server, base


def warm_up(base: str, rooms: list[int]) -> None:
    """Open the pools of every worker: availability reads of the bench's rooms."""
    with httpx.Client(base_url=base, timeout=30) as client:
        for room in rooms * 2:
            r = client.get(f"/rooms/{room}/availability")
            if r.status_code != 200:
                sys.exit(f"GET /rooms/{room}/availability answered {r.status_code}: {r.text[:300]}")


def main() -> None:
    """Run both contention benchmarks and write BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--same-slot", type=int, default=1000, help="(a) concurrent attempts at one time")
    ap.add_argument("--attempts", type=int, default=10_000, help="(b) random attempts")
    ap.add_argument("--resources", type=int, default=50, help="(b) rooms")
    ap.add_argument("--concurrency", type=int, default=64, help="(b) requests in flight")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--no-write", action="store_true", help="print the section; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    load_at_start = load()
    base_url = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    url = bench_url(base_url)
    ids = prepare(url, args.resources)
    console.print(f"{len(ids['resources'])} sample rooms ready; {ids['deleted']} earlier bookings deleted")
    log = ROOT / "bench" / "out" / "booking_uvicorn.log"
    server, base = serve(url, args.workers, log)
    try:
        warm_up(base, [ids["same"], *ids["rooms"][:10]])
        console.print(f"(a) {args.same_slot} attempts at the same time of one room")
        a_results, a_seconds = asyncio.run(same_slot(base, ids["same"], args.same_slot))
        a = summary(a_results, a_seconds) | check(url, ids["resources"][:1], a_results)
        console.print(f"    {a['statuses']}; {a['live_bookings']} live booking(s)")
        bodies = random_bodies(ids["rooms"], args.attempts, args.seed)
        console.print(
            f"(b) {args.attempts} random attempts on {args.resources} rooms, {args.concurrency} in flight"
        )
        b_results, b_seconds, tenth_s = asyncio.run(random_overlaps(base, bodies, args.concurrency))
        b = summary(b_results, b_seconds) | check(url, ids["resources"][1:], b_results)
        early = b_results[: max(1, len(b_results) // 10)]
        b["early"] = {"answers": len(early), "ok": sum(1 for r in early if r[0] == 201), "seconds": tenth_s}
        console.print(f"    {b['statuses']}; {b['overlapping_pairs']} overlapping pairs")
    finally:
        server.terminate()
        server.wait(20)
    lines = log.read_text(errors="replace").splitlines()
    errors = {
        "tracebacks": sum(1 for line in lines if "Traceback" in line),
        "pool_timeouts": sum(1 for line in lines if "database unavailable (TimeoutError)" in line),
    }
    text = report(args, load_at_start, a, b, errors, log)
    if not args.no_write:
        write_section("booking", text)
    console.print(text)
    failed = [
        why
        for why, bad in (
            ("(a) did not end with exactly 1 live booking", a["live_bookings"] != 1 or a["live_slots"] != 1),
            ("(b) has overlapping live slots", b["overlapping_pairs"] != 0),
            ("a 201 names a booking that is not live", a["told_not_live"] or b["told_not_live"]),
            ("a live booking was never answered 201", a["live_not_told"] or b["live_not_told"]),
        )
        if bad
    ]
    if failed:
        sys.exit("FAILED: " + "; ".join(failed))


def _row(name: str, s: dict[str, Any]) -> str:
    lat, ok, clash = s["latency"], s["latency_ok"], s["latency_clash"]
    statuses = ", ".join(f"{k or 'no answer'}: {v:,}" for k, v in s["statuses"].items())
    return (
        f"| {name} | {s['attempts']:,} | {s['ok']:,} | {s['clash']:,} | {s['other']:,} ({statuses}) "
        f"| {lat['p50']:.1f} / {lat['p95']:.1f} ms | {ok['p50']:.1f} / {clash['p50']:.1f} ms "
        f"| {s['bookings_per_s']:,.1f} | {s['attempts_per_s']:,.0f} | {s['seconds']:.1f} s |"
    )


def report(
    args: argparse.Namespace,
    load_at_start: str,
    a: dict[str, Any],
    b: dict[str, Any],
    errors: dict[str, int],
    log: Path,
) -> str:
    """The BENCHMARKS.md section."""
    cmd = ".venv/bin/python bench/booking.py " + " ".join(sys.argv[1:])
    verdict_a = "exactly 1 live booking" if a["live_bookings"] == 1 and a["live_slots"] == 1 else (
        f"**{a['live_bookings']} live bookings, {a['live_slots']} live slots**"
    )  # fmt: skip
    verdict_b = (
        "0 overlapping pairs"
        if b["overlapping_pairs"] == 0
        else f"**{b['overlapping_pairs']} overlapping pairs**"
    )
    agree = sum(s[k] for s in (a, b) for k in ("told_not_live", "live_not_told"))
    said = {**b["said"], **a["said"]}
    others = "; ".join(f'{k or "no answer"}: "{v}"' for k, v in sorted(said.items())) or "none"
    return f"""## Booking contention (issue 13)

Command: `make bench   # = DATABASE_URL=… {cmd.strip()}`
Machine: {machine()}; load average {load_at_start} before the run ({load()} at its end)
Server: uvicorn `api.main:create_app`, {args.workers} workers (uvloop, httptools), on `patchmap_bench`;
`PATCHMAP_BOOKING_LIMIT=1000000` (the per-client rate limit raised) and a fixed `PATCHMAP_SUBMISSION_SECRET`
(so both workers key a client alike); every other setting as shipped.
Client: httpx (async) in one Python process on the same 2 cores; each attempt from its own client address
(`X-Forwarded-For`, trusted by uvicorn from 127.0.0.1), so the app's per-client lock does not queue them.
Rooms: {args.resources + 1} sample rooms of one sample hub, instant approval, weekly hours `{HOURS}`, 30-minute
slots, 60-240 minutes, a 15-minute turnaround buffer on half of (b)'s rooms.

- (a) **same slot**: {args.same_slot:,} `POST /bookings` for 18:00-20:00 two days ahead on one room, all
  released at once: {verdict_a} in SQL.
- (b) **random overlaps**: {args.attempts:,} attempts on {args.resources} rooms (seed {args.seed}; a start on the
  30-minute grid from 08:00, over the next {DAYS} days; 60-180 minutes), {args.concurrency} in flight: {verdict_b}
  among {b["live_slots"]:,} live slots (SQL self-join of `booking_slots`, `held && held`, same room, live statuses).
- The rooms fill up: {args.resources} rooms × {DAYS} days × 14 hours hold about {args.resources * DAYS * 14 * 60 // 150:,}
  bookings of the mean length (120 minutes, plus the buffer on half), so most later attempts clash. While
  they were still mostly free, in the first {b["early"]["answers"]:,} answers, {b["early"]["ok"]:,} were
  bookings: {b["early"]["ok"] / b["early"]["seconds"]:,.1f} bookings/s over those {b["early"]["seconds"]:.1f} s.
- Every 201's reference is a live booking in the database, and every live booking was answered 201:
  {"yes" if agree == 0 else f"**no ({agree} disagreements)**"}.

| part | attempts | 201 booked | 409 clash | other (by status) | latency p50 / p95 | p50 of 201 / of 409 | bookings/s | attempts/s | wall time |
|---|---|---|---|---|---|---|---|---|---|
{_row("(a) same slot", a)}
{_row("(b) random overlaps", b)}

Latency is per attempt, measured by the client from sending to the whole answer (the client shares the 2
cores with uvicorn and PostgreSQL). bookings/s counts 201s; attempts/s all answers. What the other answers
said (the first of each status): {others}. The server's log (`{log.relative_to(ROOT)}`) holds
{errors["tracebacks"]} tracebacks and {errors["pool_timeouts"]} "database unavailable (TimeoutError)" lines: a 503 here is a request
that waited longer than `PATCHMAP_POOL_TIMEOUT_S` (0.5 s) for one of its worker's database connections (the
unit of work's engine keeps SQLAlchemy's default 5 + 10 per worker, for FastAPI's 40 threads), not a database
that is down; the booker is told to try again after Retry-After, and nothing is booked.
"""


if __name__ == "__main__":
    main()
