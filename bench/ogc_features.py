"""Benchmark: Patchmap's OGC API – Features (/ogc) against tipg 1.6.1 serving the same public views.

Both read a copy of the bench database (``patchmap_bench_ogc``: ``patchmap_bench`` with its 100,000 sample
assets, 30,000 of them hubs, copied with CREATE DATABASE ... TEMPLATE and upgraded to the head migration, so
it holds schema ``ogc`` of migration 0021_public_views). tipg is pointed at schema ``ogc`` only (the views:
public fields only), never at the tables. Each server is one uvicorn process with the same event loop and
HTTP parser (uvloop/httptools when tipg's venv has them too, else asyncio/h11 for both), with up to 16
database connections. Measured in one run, at concurrency 16 (httpx, async, one client process):
  - items pages: /collections/{hubs}/items?bbox=...&limit=100, the bbox of a seeded random hub's 150 nearest
    hubs (so every page is full: 100 features of at least 150 matched); tipg is asked to sortby=id, the
    order Patchmap's pages always have, so both send the same 100;
  - single items: /collections/{hubs}/items/{id} for seeded random ids.
Before timing, the features are checked to be identical: same ids in the same order, same geometry to 6
decimal places, same properties (timestamps compared as instants). Writes BENCHMARKS.md ("ogc-features").

    .venv/bin/python bench/ogc_features.py [--seconds 10] [--tipg-venv .venv-tipg]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql as pg
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import raw_http
from bench.common import ROOT, bench_url, machine, percentiles_ms, write_section
from bench.lookup import free_port
from layers import migrate
from layers.settings import DatabaseSettings

console = Console(stderr=True)
COPY = "patchmap_bench_ogc"
CONCURRENCY = 16


def bench_copy(base_url: str, copy: str = COPY) -> str:
    """The URL of the bench copy, made from patchmap_bench and upgraded to the head migration if missing."""
    with psycopg.connect(base_url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [copy]).fetchone():
            console.print(f"making {copy} from patchmap_bench")
            admin.execute(pg.SQL("CREATE DATABASE {} TEMPLATE patchmap_bench").format(pg.Identifier(copy)))
    url = bench_url(base_url, copy)  # there now, so not created again
    migrate.upgrade(DatabaseSettings(url=url))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return url


def workload(url: str, pages: int, items: int) -> tuple[list[str], list[int]]:
    """Seeded bboxes (each the extent of a random hub's 150 nearest hubs) and random hub ids."""
    with psycopg.connect(url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM ogc.hubs ORDER BY id")]
        rng = random.Random(17)
        boxes = []
        for hub in rng.sample(ids, pages):
            row = conn.execute(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(n.geom) AS e FROM "
                "(SELECT h.geom FROM ogc.hubs h, (SELECT geom FROM ogc.hubs WHERE id = %s) o "
                "ORDER BY h.geom <-> o.geom LIMIT 150) n) x",
                [hub],
            ).fetchone()
            assert row is not None
            boxes.append(",".join(f"{v:.6f}" for v in row))
        return boxes, rng.sample(ids, items)


def _has_uvloop(python: Path) -> bool:
    done = subprocess.run([str(python), "-c", "import uvloop, httptools"], capture_output=True, check=False)
    return done.returncode == 0


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start a server and wait (bounded) until it answers on ``port``."""
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, (server.stderr.read() if server.stderr else b"").decode()[-2000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code < 500:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"the server on port {port} did not start")


def _normal(value: Any) -> Any:
    """A property value comparable across servers: instants as datetimes."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _feature(f: dict[str, Any]) -> tuple[Any, ...]:
    """id, type and properties of a feature, comparable across servers (its coordinates aside)."""
    props = {k: _normal(v) for k, v in f["properties"].items()}
    return (f["id"], f["geometry"] and f["geometry"]["type"], sorted(props.items()))


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same feature: id, properties, and coordinates within 0.000001 (one side written to 6 dp)."""
    ca = (a["geometry"] or {}).get("coordinates", [])
    cb = (b["geometry"] or {}).get("coordinates", [])
    close = len(ca) == len(cb) and all(abs(x - y) <= 1.0000001e-6 for x, y in zip(ca, cb, strict=True))
    return close and _feature(a) == _feature(b)


def check_identical(ours: str, tipg: str, boxes: list[str], ids: list[int]) -> int:
    """Compare both servers' pages and single features; the number of features compared."""
    compared = 0
    with httpx.Client(timeout=60) as client:
        for box in boxes:
            a = client.get(ours.format(box=box)).json()["features"]
            b = client.get(tipg.format(box=box)).json()["features"]
            assert len(a) == len(b) == 100 and all(_same(x, y) for x, y in zip(a, b, strict=True)), box
            compared += len(a)
        for i in ids:
            a = client.get(ours.split("?")[0].replace("items", f"items/{i}")).json()
            b = client.get(tipg.split("?")[0].replace("items", f"items/{i}")).json()
            assert _same(a, b), i
            compared += 1
    return compared


async def _load(urls: list[str], seconds: float) -> dict[str, float]:
    """Requests/s and latency percentiles with CONCURRENCY requests in flight, cycling through ``urls``."""
    latencies: list[int] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < stop:
                t = time.perf_counter_ns()
                response = await client.get(urls[i % len(urls)])
                await response.aread()
                latencies.append(time.perf_counter_ns() - t)
                errors += response.status_code != 200
                i += CONCURRENCY

        began = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
        took = time.perf_counter() - began
    return {
        "rps": len(latencies) / took,
        **percentiles_ms(latencies),
        "errors": errors,
        "requests": len(latencies),
    }


def _load_raw(urls: list[str], seconds: float) -> dict[str, float]:
    """As ``_load``, from the light client (bench/raw_http.py)."""
    latencies, errors, took = raw_http.run(lambda: raw_http.load(urls, seconds, CONCURRENCY))
    return {
        "rps": len(latencies) / took,
        **percentiles_ms(latencies),
        "errors": errors,
        "requests": len(latencies),
    }


def measure(urls: list[str], seconds: float, client: str = "raw") -> dict[str, float]:
    """A short warm-up, then the timed run, from the ``client`` asked for (raw or httpx)."""
    if client == "raw":
        _load_raw(urls, min(2.0, seconds / 4))
        return _load_raw(urls, seconds)
    asyncio.run(_load(urls, min(2.0, seconds / 4)))
    return asyncio.run(_load(urls, seconds))


def main() -> None:
    """Run the comparison and write BENCHMARKS.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--tipg-venv", type=Path, default=ROOT / ".venv-tipg")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw",
        help="load generator: raw (bench/raw_http.py, light) or httpx (costs ~2.3 ms CPU a page itself)",
    )  # fmt: skip
    parser.add_argument("--copy", default=COPY, help=f"the bench copy's database name (default {COPY})")
    args = parser.parse_args()
    tipg_venv = args.tipg_venv if args.tipg_venv.exists() else Path("/work/main/.venv-tipg")
    base = (
        os.environ.get("DATABASE_URL")
        or subprocess.run(
            [str(ROOT / "scripts" / "localdb"), "url", "patchmap_bench"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    url = bench_copy(base, args.copy)
    boxes, ids = workload(url, 200, 2000)
    fast = _has_uvloop(tipg_venv / "bin" / "python")
    server_args = (
        ["--loop", "uvloop", "--http", "httptools"] if fast else ["--loop", "asyncio", "--http", "h11"]
    )
    common = ["--workers", "1", "--no-access-log", "--log-level", "warning", *server_args]
    ours_port, tipg_port = free_port(), free_port()
    env = dict(os.environ, DATABASE_URL=url, PATCHMAP_POOL_MIN="4", PATCHMAP_POOL_MAX="16",
               PATCHMAP_SUBMISSION_SECRET=secrets.token_hex(16))  # fmt: skip
    ours = start([sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", str(ours_port),
                  *common], env, ours_port)  # fmt: skip
    # asyncpg wants the socket directory as the URL's host, percent-encoded.
    sock = url.split("host=", 1)[1] if "host=" in url else ""
    tipg_url = f"postgresql://postgres@{sock}/{args.copy}" if sock else url
    tipg_env = dict(os.environ, DATABASE_URL=tipg_url, TIPG_DB_SCHEMAS='["ogc"]', TIPG_DB_TABLES='["ogc.hubs"]',
                    TIPG_DB_SPATIAL_EXTENT="false", TIPG_DB_DATETIME_EXTENT="false", DB_MIN_CONN_SIZE="4",
                    DB_MAX_CONN_SIZE="16")  # fmt: skip
    tipg = start([str(tipg_venv / "bin" / "uvicorn"), "tipg.main:app", "--port", str(tipg_port), *common],
                 tipg_env, tipg_port)  # fmt: skip
    try:
        ours_page = f"http://127.0.0.1:{ours_port}/ogc/collections/hubs/items?bbox={{box}}&limit=100"
        tipg_page = (
            f"http://127.0.0.1:{tipg_port}/collections/ogc.hubs/items?bbox={{box}}&limit=100&sortby=id"
        )
        compared = check_identical(ours_page, tipg_page, boxes[:50], ids[:50])
        console.print(f"identical: {compared} features")
        results: dict[str, dict[str, dict[str, float]]] = {}
        for name, page, item in (
            ("Patchmap", ours_page, f"http://127.0.0.1:{ours_port}/ogc/collections/hubs/items/{{id}}"),
            ("tipg 1.6.1", tipg_page, f"http://127.0.0.1:{tipg_port}/collections/ogc.hubs/items/{{id}}"),
        ):
            results[name] = {
                "pages": measure([page.format(box=b) for b in boxes], args.seconds, args.client),
                "items": measure([item.format(id=i) for i in ids], args.seconds, args.client),
            }
            console.print(name, results[name])
    finally:
        for server in (ours, tipg):
            server.terminate()
            server.wait(10)
    write_section("ogc-features", report(results, compared, fast, args.seconds, args.client, args.copy))


def report(
    results: dict[str, dict[str, dict[str, float]]],
    compared: int,
    fast: bool,
    seconds: float,
    client: str,
    copy: str = COPY,
) -> str:
    """The BENCHMARKS.md section."""
    ours, peer = results["Patchmap"], results["tipg 1.6.1"]
    rows = []
    for kind, label in (("pages", "items page (bbox, limit=100: 100 features)"), ("items", "single item")):
        for name, r in results.items():
            rows.append(
                f"| {label} | {name} | {r[kind]['p50']:.1f} ms | {r[kind]['p95']:.1f} ms | {r[kind]['rps']:,.0f} | "
                f"{r[kind]['requests']:,.0f} ({r[kind]['errors']:.0f} errors) |"
            )
    ratio_pages = ours["pages"]["rps"] / peer["pages"]["rps"]
    ratio_items = ours["items"]["rps"] / peer["items"]["rps"]
    server = "uvloop + httptools" if fast else "asyncio + h11 (tipg's venv has no uvloop/httptools)"
    load = (
        "the light client of bench/raw_http.py (keep-alive HTTP/1.1, bodies read whole, not decompressed)"
        if client == "raw"
        else "httpx (which itself costs about 2.3 ms of CPU a page)"
    )
    return f"""## OGC API – Features: Patchmap's /ogc against tipg 1.6.1 over the same public views

`.venv/bin/python bench/ogc_features.py --seconds {seconds:g} --client {client}{f" --copy {copy}" if copy != COPY else ""}` (after `make bench-deps`);
{machine()}; load average {os.getloadavg()[0]:.1f} at the end (the machine is shared).

Database `{copy}`: a copy of `patchmap_bench` (100,000 sample assets, 30,000 hubs) at the head migration;
tipg reads schema `ogc` (migration 0021_public_views: public fields only), Patchmap the same views. One
uvicorn process each ({server}), 16 database connections each; load from one client process, {load},
16 requests in flight, both asking for gzip, {seconds:g} s per row after a warm-up. Pages: the bbox of a seeded random hub's 150
nearest hubs, limit=100 (tipg asked to sortby=id, Patchmap's order). Before timing, {compared:,} features
were compared and are identical (ids and order, geometry to 6 dp, every property).

| request | server | p50 | p95 | requests/s | requests |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Patchmap against tipg: **{ratio_pages:.1f}×** the requests/s on pages of 100 features (goal ≥ 5×), {ratio_items:.1f}× on
single items. Patchmap builds each page's GeoJSON in PostGIS in one statement (page, count and features)
and sends the text as it comes; tipg builds each feature in Python.
"""


if __name__ == "__main__":
    main()
