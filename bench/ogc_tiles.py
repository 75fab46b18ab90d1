"""Vector tiles of England's LSOAs, zooms 8 to 14: Patchmap's OGC API Tiles against tipg 1.6.1, in one run.

Both servers are uvicorn processes with one worker each, on the same database: Patchmap's app
(``/ogc/collections/lsoas/tiles/WebMercatorQuad/{z}/{y}/{x}``) reads ``areas`` itself; tipg (from its own venv,
``/work/main/.venv-tipg``) reads only the view ``tiles_public.lsoas`` (made here: code, name, latest IMD decile
and population, the boundary; the same fields as Patchmap's tiles; never the tables). The same list of tiles
for both: at each zoom, the distinct tiles holding a spread of LSOA points over England (LSOAs in md5 order of
their code: a spread weighted by population, as LSOAs are). One untimed pass over every tile warms both (and
checks each tile's features against the other's); then rounds of timed passes, zoom by zoom, the servers
taking turns to go first. Tiles are asked for without compression, so bytes are the tiles' own.

Usage: python bench/ogc_tiles.py [--db patchmap_bench_tiles] [--tiles 24] [--rounds 3] [--concurrency 4]
The database is a copy of patchmap_bench upgraded to this branch's migrations (see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, bench_url, machine, percentiles_ms, write_section
from layers.tiles.decode import decode

TIPG_PYTHON = Path("/work/main/.venv-tipg/bin/python")
ZOOMS = range(8, 15)
VIEW = """
CREATE SCHEMA IF NOT EXISTS tiles_public;
CREATE OR REPLACE VIEW tiles_public.lsoas AS
SELECT a.code, a.name, round(imd.value::numeric, 1)::float8 AS imd_decile,
       round(pop.value)::int AS population_total, o.overlay_class, o.overlay_priority,
       a.geom::geometry(MultiPolygon, 4326) AS geom
FROM public.areas a
LEFT JOIN public.area_overlay o ON o.code = a.code AND o.level = 'lsoa'
LEFT JOIN LATERAL (SELECT i.value FROM public.indicators i WHERE i.area_code = a.code AND i.key = 'imd_decile'
                   ORDER BY i.period DESC LIMIT 1) imd ON true
LEFT JOIN LATERAL (SELECT i.value FROM public.indicators i WHERE i.area_code = a.code
                   AND i.key = 'population_total' ORDER BY i.period DESC LIMIT 1) pop ON true
WHERE a.kind = 'lsoa';
"""
POINTS = """
SELECT ST_X(p), ST_Y(p) FROM (
  SELECT ST_Transform(point_bng, 4326) AS p FROM areas WHERE kind = 'lsoa' ORDER BY md5(code) LIMIT 4000) q
"""


def free_port() -> int:
    """A free local TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def socket_in_host(url: str) -> str:
    """The URL with a Unix socket's folder (``?host=/path``) as its percent-encoded host, as asyncpg reads it
    (and tipg's settings accept: they refuse an empty host)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    folder = query.pop("host", None)
    if not folder or parts.hostname:
        return url
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, user + quote(folder, safe=""), parts.path, urlencode(query), ""))


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The WebMercatorQuad tile (z, x, y) holding a point."""
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, min(x, n - 1), min(y, n - 1)


def tile_list(url: str, per_zoom: int, zooms: Sequence[int] = ZOOMS) -> dict[int, list[tuple[int, int, int]]]:
    """At each zoom, up to per_zoom distinct tiles holding LSOA points, in the points' order."""
    with psycopg.connect(url) as conn:
        points = conn.execute(POINTS).fetchall()
    tiles: dict[int, list[tuple[int, int, int]]] = {}
    for z in zooms:
        seen: list[tuple[int, int, int]] = []
        for lon, lat in points:
            t = tile_of(lon, lat, z)
            if t not in seen:
                seen.append(t)
            if len(seen) == per_zoom:
                break
        tiles[z] = seen
    return tiles


def wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    """Until the server accepts connections (exit if it dies or takes a minute)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"server exited; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"server did not start; see {log}")


def start(cmd: Sequence[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """A server process, once it answers."""
    server = subprocess.Popen(list(cmd), env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    wait_for(port, server, log)
    return server


#: Both servers alike: one worker, uvloop and httptools (both venvs have uvicorn[standard]).
UVICORN = [
    "--workers",
    "1",
    "--no-access-log",
    "--log-level",
    "warning",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
]


def serve_ours(url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Patchmap's app on the bench database."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url,
               PATCHMAP_SUBMISSION_SECRET=os.environ.get("PATCHMAP_SUBMISSION_SECRET", "sample-bench-tiles-key"))  # fmt: skip
    cmd = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", str(port), *UVICORN]
    return start(
        cmd, env, port, log
    ), f"http://127.0.0.1:{port}/ogc/collections/lsoas/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"


def serve_tipg(url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """tipg over the public view only (its own venv); its tiles are z/x/y, an empty one 200 with no body."""
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=socket_in_host(url),
        TIPG_DB_SCHEMAS='["tiles_public"]',
        TIPG_DB_TABLES='["tiles_public.lsoas"]',
    )
    cmd = [str(TIPG_PYTHON), "-m", "uvicorn", "tipg.main:app", "--port", str(port), *UVICORN]
    return start(
        cmd, env, port, log
    ), f"http://127.0.0.1:{port}/collections/tiles_public.lsoas/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}"


async def get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str
) -> tuple[int, bytes]:
    """One GET on a kept-alive HTTP/1.1 connection: status and body (Content-Length framed, as both send)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(
        (int(v) for k, _, v in (h.partition(":") for h in lines[1:]) if k.lower() == "content-length"), 0
    )
    return status, await reader.readexactly(length) if length else b""


async def fetch_all(
    base: str, tiles: list[tuple[int, int, int]], concurrency: int
) -> tuple[float, list[int], list[bytes]]:
    """Every tile once, by concurrency connections each asking for the next tile in the list: elapsed seconds,
    each request's ns, each body. A small HTTP/1.1 client of its own (keep-alive, no compression), so the
    client's own work takes as little as it can of the machine the servers share."""
    parts = urlsplit(base.replace("{", "%7B").replace("}", "%7D"))
    template = base[base.index(parts.netloc) + len(parts.netloc) :]
    times: list[int] = [0] * len(tiles)
    bodies: list[bytes] = [b""] * len(tiles)
    queue = list(enumerate(tiles))[::-1]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while queue:
                i, t = queue.pop()
                t0 = time.perf_counter_ns()
                status, body = await get(
                    reader, writer, parts.netloc, template.format(z=t[0], x=t[1], y=t[2])
                )
                times[i] = time.perf_counter_ns() - t0
                if status not in (200, 204):
                    raise SystemExit(f"{base} {t} answered {status}: {body[:200]!r}")
                bodies[i] = body
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, times, bodies


def features(body: bytes) -> int:
    """How many features a tile holds (all layers)."""
    return sum(len(layer.features) for layer in decode(body).values()) if body else 0


@dataclass
class Runs:
    """Timed passes of one server at one zoom: wall-clock seconds, tiles asked, each request's ns."""

    seconds: float = 0.0
    n: int = 0
    times: list[int] = field(default_factory=list)

    def add(self, seconds: float, times: list[int]) -> None:
        """Count one pass."""
        self.seconds += seconds
        self.n += len(times)
        self.times += times

    @property
    def rate(self) -> float:
        """Tiles per second."""
        return self.n / self.seconds

    @property
    def p50(self) -> float:
        """Median request time, ms."""
        return percentiles_ms(self.times)["p50"]


@dataclass
class Check:
    """Each tile of a zoom from both servers: bytes and features."""

    ours_bytes: list[int]
    tipg_bytes: list[int]
    ours_features: list[int]
    tipg_features: list[int]

    @property
    def same(self) -> int:
        """Tiles with as many features from both."""
        return sum(a == b for a, b in zip(self.ours_features, self.tipg_features, strict=True))

    @property
    def smaller(self) -> int:
        """Tiles no larger from ours."""
        return sum(a <= b for a, b in zip(self.ours_bytes, self.tipg_bytes, strict=True))


def first_pass(
    tiles: dict[int, list[tuple[int, int, int]]], servers: dict[str, str], concurrency: int, chunk: int
) -> tuple[dict[tuple[str, int], Runs], dict[int, Check]]:
    """Each tile asked for the first time of each server (timed: ours has nothing kept yet), in passes of
    ``chunk`` tiles, the servers taking turns to go first pass by pass; and the tiles compared."""
    runs: dict[tuple[str, int], Runs] = {}
    checks: dict[int, Check] = {}
    for z, ts in tiles.items():
        bodies: dict[str, list[bytes]] = {name: [] for name in servers}
        for k, start in enumerate(range(0, len(ts), chunk)):
            part = ts[start : start + chunk]
            for name in list(servers) if (z + k) % 2 == 0 else list(reversed(servers)):
                seconds, times, got = asyncio.run(fetch_all(servers[name], part, concurrency))
                runs.setdefault((name, z), Runs()).add(seconds, times)
                bodies[name] += got
        a, b = bodies["ours"], bodies["tipg"]
        checks[z] = Check(
            [len(x) for x in a], [len(x) for x in b], [features(x) for x in a], [features(x) for x in b]
        )
    return runs, checks


def repeats(
    tiles: dict[int, list[tuple[int, int, int]]], servers: dict[str, str], rounds: int, concurrency: int
) -> dict[tuple[str, int], Runs]:
    """Rounds of passes over the same tiles again, zoom by zoom, the servers taking turns to go first."""
    runs: dict[tuple[str, int], Runs] = {}
    for r in range(rounds):
        for z, ts in tiles.items():
            for name in list(servers) if (r + z) % 2 == 0 else list(reversed(servers)):
                seconds, times, _ = asyncio.run(fetch_all(servers[name], ts, concurrency))
                runs.setdefault((name, z), Runs()).add(seconds, times)
    return runs


def report(
    args: argparse.Namespace,
    stored: str,
    fresh: dict[int, list[tuple[int, int, int]]],
    tiles: dict[int, list[tuple[int, int, int]]],
    checks: dict[int, Check],
    first: dict[tuple[str, int], Runs],
    again: dict[tuple[str, int], Runs],
    load: str,
) -> str:
    """The BENCHMARKS.md section."""
    rows = []
    same = small = total = 0
    cold_ours = cold_tipg = warm_ours = warm_tipg = 0.0
    for z, ts in fresh.items():
        c, n, m = checks[z], len(ts), len(tiles[z])
        fo, ft, ao, at = first[("ours", z)], first[("tipg", z)], again[("ours", z)], again[("tipg", z)]
        same, small, total = same + c.same, small + c.smaller, total + n
        cold_ours, cold_tipg = cold_ours + fo.seconds, cold_tipg + ft.seconds
        warm_ours, warm_tipg = warm_ours + ao.seconds, warm_tipg + at.seconds
        rows.append(
            f"| {z} | {n} / {m} | {fo.rate:,.1f} | {ft.rate:,.1f} | **{fo.rate / ft.rate:.1f}×** | {fo.p50:,.1f} "
            f"| {ft.p50:,.1f} | {ao.rate:,.1f} | {at.rate:,.1f} | **{ao.rate / at.rate:.1f}×** "
            f"| {sum(c.ours_bytes) / n / 1000:,.1f} | {sum(c.tipg_bytes) / n / 1000:,.1f} "
            f"| {sum(c.ours_bytes) / max(sum(c.tipg_bytes), 1):.2f} | {max(c.ours_bytes) / 1000:,.1f} "
            f"| {max(c.tipg_bytes) / 1000:,.1f} | {sum(c.ours_features) / n:,.0f} | {c.same}/{n} | {c.smaller}/{n} |"
        )
    head = (
        "| zoom | tiles: first ask / again | first ask: ours tiles/s | tipg tiles/s | ours ÷ tipg | ours p50 ms | tipg p50 ms "
        "| asked again: ours tiles/s | tipg tiles/s | ours ÷ tipg | ours mean kB | tipg mean kB "
        "| bytes ours ÷ tipg | ours max kB | tipg max kB | features per tile | same features | ours ≤ tipg bytes |"
        "\n|" + "---|" * 18
    )
    all_fresh = sum(len(t) for t in fresh.values())
    all_tiles = sum(len(t) for t in tiles.values())
    return "\n".join(
        [
            "## OGC API Tiles: England's LSOAs, zooms 8–14, against tipg 1.6.1 (issue 17)",
            "",
            f"Command: `.venv/bin/python bench/ogc_tiles.py --db {args.db} --tiles {args.tiles} --first-rounds {args.first_rounds} --rounds {args.rounds} "
            f"--concurrency {args.concurrency}`",
            f"Machine: {machine()}; {load}",
            f"Data: `{args.db}` = a copy of `patchmap_bench` (England's 32,844 LSOAs with IoD2019, 100,000 sample "
            "assets) upgraded to this branch (`CREATE DATABASE patchmap_bench_tiles TEMPLATE patchmap_bench`, then "
            "`patchmap db upgrade`); tipg reads only the view `tiles_public.lsoas` (code, name, IMD decile, "
            "population, overlay class and priority, boundary: the fields of Patchmap's tiles), Patchmap reads "
            f"`areas` and `area_overlay` itself; {stored}.",
            "Both: uvicorn, 1 worker, uvloop and httptools (both venvs have uvicorn[standard]), one database, no "
            f"compression asked for. At each zoom the same tiles for both, {args.concurrency} keep-alive connections of a small HTTP/1.1 client of the "
            "benchmark's own (httpx took half a core of the two at these rates), after both are warmed on other "
            f"tiles (zooms 7 and 15). *First ask*: up to {args.tiles * args.first_rounds} distinct tiles per zoom (fewer where England has fewer), each asked of each server once, the first time, in passes of {args.tiles} (Patchmap has "
            "kept nothing yet: it makes every tile, and reads whether the stored overlay is current in the same "
            "statement); the servers take turns to go first, pass by pass. *Asked again*: "
            f"{args.rounds} more rounds of the first {args.tiles} tiles of each zoom (Patchmap serves the tile it kept, after reading the data "
            "version; tipg makes it again). tiles/s = tiles ÷ wall-clock seconds.",
            "",
            head,
            *rows,
            "",
            f"All zooms: first ask {all_fresh / cold_ours:,.1f} tiles/s against tipg's {all_fresh / cold_tipg:,.1f} "
            f"(**{cold_tipg / cold_ours:.1f}×**); asked again {all_tiles * args.rounds / warm_ours:,.1f} against "
            f"{all_tiles * args.rounds / warm_tipg:,.1f} (**{warm_tipg / warm_ours:.1f}×**). Same features (count per "
            f"tile, decoded): {same}/{total} tiles. Ours no larger than tipg's: {small}/{total} tiles. "
            "Goal: ≥ 3× tipg's tiles/s, the same features, tiles no larger.",
            "Why ours is smaller and faster to make: boundaries are stored in EPSG:3857, simplified to a quarter of a "
            "screen pixel per band of zooms (migration 0020_tiles_area_geometries); a boundary crossing the tile's "
            "buffer is cut to it by ST_ClipByBox2D, and each is scaled to tile units directly rather than through "
            "ST_AsMVTGeom's clip and validation; tipg transforms and clips every whole boundary on every request. "
            "At zooms 12–14 a tile holds a few dozen LSOAs and a request's time is mostly outside the database: "
            "there the tile route takes its pooled connection and kept tiles without FastAPI dependencies (solving "
            "them was a third of a small tile's time, by py-spy), and the version, the overlay check and the tile "
            "are one statement.",
        ]
    )


def store_overlay(url: str) -> str:
    """The LSOAs' default overlay stored (layers.ogc.overlay.refresh, as the first tile after a change would),
    before either server starts, so tipg's view carries the same classes; how long it took, in words."""
    from sqlalchemy import text

    from layers.db import make_engine
    from layers.ogc import overlay
    from layers.settings import DatabaseSettings

    engine = make_engine(DatabaseSettings(url=url))
    with engine.begin() as conn:  # computed afresh each run, so the time is the computation's
        conn.execute(text("DELETE FROM area_overlay_runs WHERE level = 'lsoa'"))
    t0 = time.perf_counter()
    with engine.begin() as conn:
        overlay.refresh(conn, "lsoa")
    took = time.perf_counter() - t0
    engine.dispose()
    return (
        f"computing and storing the LSOAs' default overlay (32,844 areas, as the first tile after a change "
        f"would) took {took:.1f} s, before the servers started"
    )


def main() -> None:
    """Run the comparison and write BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="patchmap_bench_tiles")
    ap.add_argument("--tiles", type=int, default=24, help="tiles per zoom")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of asking the first --tiles tiles again")
    ap.add_argument(
        "--first-rounds", type=int, default=4,
        help="first asks over this many times --tiles distinct tiles per zoom, in passes of --tiles",
    )  # fmt: skip
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--no-write", action="store_true", help="print, do not write BENCHMARKS.md")
    args = ap.parse_args()
    base = (
        os.environ.get("DATABASE_URL")
        or subprocess.run(
            [str(ROOT.parent / "main" / "scripts" / "localdb"), "url", "postgres"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    url = bench_url(base, args.db)
    stored = store_overlay(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(VIEW)
    fresh = tile_list(url, args.tiles * args.first_rounds)
    tiles = {z: ts[: args.tiles] for z, ts in fresh.items()}
    logs = ROOT / "bench" / "out"
    logs.mkdir(exist_ok=True)
    load_before = os.getloadavg()[0]
    ours_server, ours = serve_ours(url, logs / "ogc_tiles_ours.log")
    tipg_server, tipg = serve_tipg(url, logs / "ogc_tiles_tipg.log")
    try:
        servers = {"ours": ours, "tipg": tipg}
        # Both servers' connections opened and warmed (plans, PostGIS) on tiles outside the list: zooms 7 and 15.
        warm = [t for ts in tile_list(url, 4 * args.concurrency, (7, 15)).values() for t in ts]
        for base in servers.values():
            asyncio.run(fetch_all(base, warm, args.concurrency))
        first, checks = first_pass(fresh, servers, args.concurrency, args.tiles)
        again = repeats(tiles, servers, args.rounds, args.concurrency)
    finally:
        ours_server.terminate()
        tipg_server.terminate()
        ours_server.wait(10)
        tipg_server.wait(10)
    load = f"load average {load_before:.2f} before the run ({os.getloadavg()[0]:.2f} at its end)"
    body = report(args, stored, fresh, tiles, checks, first, again, load)
    print(body)
    if not args.no_write:
        write_section("ogc-tiles", body)


if __name__ == "__main__":
    main()
