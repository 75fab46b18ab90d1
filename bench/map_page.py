"""Benchmark: the residents' map (`/`) with 50,000 assets around Norwich against two folium peers.

The three pages, loaded in the same run in headless Chromium (Debian's /usr/bin/chromium, Playwright):
  - ours: `/` served by uvicorn (api.main:create_app, 2 workers) on the `patchmap_bench_map` database
    (Norfolk demo + 50,000 sample assets within 10 km of Norwich, from bench/sample_assets.py --norwich);
  - folium, one `folium.Marker(popup=name)` per asset (every marker the map database holds), a static file;
  - folium's `plugins.FastMarkerCluster` with the same points ([lat, lon] rows), a static file.
The peers are served by `python -m http.server` from bench/out/map_peers. folium links its JavaScript and
CSS from CDNs; for a fair offline comparison every such URL is rewritten to a local copy of the same file
from the npm registry (`npm pack`, cached in bench/out/npm): leaflet@1.9.3, jquery@3.7.1, bootstrap@5.2.2,
@fortawesome/fontawesome-free@6.2.0, drmonty-leaflet-awesome-markers@2.0.2 (cdnjs'
Leaflet.awesome-markers 2.0.2), leaflet.markercluster@1.1.0. Two files have no npm package and get
stand-ins of the same kind and size class: bootstrap 3.0.0's bootstrap-glyphicons.css (the Glyphicons rules
of bootstrap@3.1.1's CSS, with its fonts) and folium's leaflet.awesome.rotate.min.css (the same
`.fa-rotate-N` rules, generated).

Every request that is not to 127.0.0.1 (the base-map tiles of all three pages) is routed to abort.

"Interactive", the same for all three pages, timed from navigation start (performance.now()):
  1. the Leaflet map has fired `load` (its first view is set), and
  2. at least one marker or cluster icon is in the map's marker pane, seen in an animation frame; the time
     "drawn" is taken after that frame is painted (requestAnimationFrame, then a posted message), then
  3. a real mouse click on the map, sent by Playwright (CDP input) as soon as it sees the page report
     drawn (polling every POLL_MS ms on a timer), reaches Leaflet's handler (the map's `preclick` event,
     which Leaflet fires for a click anywhere on the map, markers included). Interactive is the time of
     that handler.
The hooks are installed before any page script runs (an init script that catches `window.L` as Leaflet
defines it and adds a map init hook), so the pages are unchanged. Bytes are the pages' own Resource Timing
entries (encoded body sizes as served) by kind, counting those whose response ended before the first view
was drawn, and the total by the click; "gzip" is what gzip -6 makes of the same responses, to compare a
server that compresses (ours) with one that does not (the peers').

Each page is loaded once to warm the servers and caches, then --rounds times in a fresh browser context
(cold HTTP cache), pages interleaved; medians are reported. Writes BENCHMARKS.md (section "map").

    .venv/bin/python bench/map_page.py [--rounds 5] [--count 50000] [--reuse-peers]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import folium
import psycopg
from folium import plugins
from playwright.sync_api import Browser, Route, sync_playwright
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import sample_assets
from bench.common import ROOT, machine, write_section

console = Console(stderr=True)


def load() -> str:
    """The 1-minute load average (other work on this 2-core machine skews timings)."""
    return Path("/proc/loadavg").read_text().split()[0]


OUT = ROOT / "bench" / "out"
PEERS = OUT / "map_peers"
NPM_CACHE = OUT / "npm"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 600_000
POLL_MS = 20

#: npm packages holding the files folium loads from CDNs.
PACKAGES = [
    "leaflet@1.9.3",
    "jquery@3.7.1",
    "bootstrap@5.2.2",
    "@fortawesome/fontawesome-free@6.2.0",
    "drmonty-leaflet-awesome-markers@2.0.2",
    "leaflet.markercluster@1.1.0",
    "bootstrap@3.1.1",
]
#: folium's CDN URLs (folium 0.20) and the local path of the same file under bench/out/map_peers.
CDN = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "/npm/leaflet@1.9.3/dist/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "/npm/leaflet@1.9.3/dist/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "/npm/jquery@3.7.1/dist/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": "/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": "/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": "/npm/bootstrap@3.1.1/dist/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": "/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": "/npm/drmonty-leaflet-awesome-markers@2.0.2/js/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": "/npm/drmonty-leaflet-awesome-markers@2.0.2/css/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": "/local/leaflet.awesome.rotate.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": "/npm/leaflet.markercluster@1.1.0/dist/leaflet.markercluster.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": "/npm/leaflet.markercluster@1.1.0/dist/MarkerCluster.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": "/npm/leaflet.markercluster@1.1.0/dist/MarkerCluster.Default.css",
}

#: Installed before any page script: catches Leaflet as it is defined and times load, drawn and click.
INIT_SCRIPT = """
(() => {
  const B = window.__bench = {load: null, drawn: null, click: null, icons: 0, maps: 0};
  function watch(map) {
    B.maps += 1;
    if (B.maps > 1) return;
    const loaded = () => { if (B.load === null) B.load = performance.now(); };
    if (map._loaded) loaded(); else map.once("load", loaded);
    map.on("preclick", () => { if (B.click === null) B.click = performance.now(); });
    const tick = () => {
      const pane = map.getPane("markerPane");
      const icons = pane ? pane.getElementsByClassName("leaflet-marker-icon").length : 0;
      if (B.load !== null && icons > 0) {
        B.icons = icons;
        const channel = new MessageChannel();  // runs after this frame is painted
        channel.port1.onmessage = () => { B.drawn = performance.now(); };
        channel.port2.postMessage(0);
      } else {
        requestAnimationFrame(tick);
      }
    };
    requestAnimationFrame(tick);
  }
  let leaflet;
  Object.defineProperty(window, "L", {
    configurable: true, enumerable: true,
    get() { return leaflet; },
    set(value) {
      leaflet = value;
      if (value && value.Map && !value.Map.__bench) {
        value.Map.__bench = true;
        value.Map.addInitHook(function () { watch(this); });
      }
    },
  });
})();
"""

RESOURCES_JS = """() => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
  .map(e => ({name: e.name, type: e.initiatorType, start: e.startTime, end: e.responseEnd,
              encoded: e.encodedBodySize, decoded: e.decodedBodySize, transfer: e.transferSize}))"""


# ------------------------------------------------------------------------------------------ peer pages


def npm_package(spec: str) -> Path:
    """The unpacked npm package ``spec`` (name@version) under bench/out/map_peers/npm, fetched once."""
    dest = PEERS / "npm" / spec
    if dest.is_dir():
        return dest
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    tgz = (
        subprocess.run(
            ["npm", "pack", spec, "--silent", "--pack-destination", str(NPM_CACHE)],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    with tarfile.open(NPM_CACHE / tgz) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith("package/"):
                member.name = member.name[len("package/") :]
                tar.extract(member, dest, filter="data")
    return dest


def prepare_vendor() -> None:
    """Local copies of every file folium's pages load from CDNs (see the module docstring)."""
    for spec in PACKAGES:
        npm_package(spec)
    css = (PEERS / "npm" / "bootstrap@3.1.1" / "dist" / "css" / "bootstrap.css").read_text(encoding="utf-8")
    rules = [r for r in re.findall(r"[^{}]+\{[^{}]*\}", css) if "glyphicon" in r.lower()]
    (PEERS / "npm" / "bootstrap@3.1.1" / "dist" / "css" / "bootstrap-glyphicons.css").write_text(
        "\n".join(r.strip() for r in rules) + "\n", encoding="utf-8"
    )
    (PEERS / "local").mkdir(parents=True, exist_ok=True)
    (PEERS / "local" / "leaflet.awesome.rotate.min.css").write_text(
        "".join(
            f".fa-rotate-{d}{{-ms-transform:rotate({d}deg);-webkit-transform:rotate({d}deg);transform:rotate({d}deg)}}"
            for d in range(1, 360)
        ),
        encoding="utf-8",
    )
    for local in CDN.values():
        assert (PEERS / local.lstrip("/")).is_file(), local


def localise(page: str) -> str:
    """``page`` with folium's CDN URLs replaced by the local copies; fails if any CDN URL is left."""
    for cdn, local in CDN.items():
        page = page.replace(f'"{cdn}"', f'"{local}"')
    left = [u for u in re.findall(r'(?:src|href)="(https?://[^"]+)"', page)]
    if left:
        raise SystemExit(f"folium links files this benchmark has no local copy of: {left}")
    return page


def map_assets(url: str) -> list[tuple[float, float, str]]:
    """(lat, lon, name) of every marker the map database holds (what the residents' map can show)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT ST_Y(geom), ST_X(geom), name FROM hubs"
            " UNION ALL SELECT ST_Y(geom), ST_X(geom), name FROM spaces WHERE status IN ('available', 'under_offer')"
            " UNION ALL SELECT ST_Y(geom), ST_X(geom), name FROM groups"
            "   WHERE geom IS NOT NULL AND status = 'active' AND location_precision IN ('venue', 'hub')"
            " ORDER BY 1, 2, 3"
        ).fetchall()
    return [(float(a), float(b), str(c)) for a, b, c in rows]


#: FastMarkerCluster's marker: Leaflet's default icon (as folium.Marker's) with the name in a popup, so all
#: three pages let a person select a marker and read what it is.
FAST_CALLBACK = """function (row) {
  var marker = L.marker(new L.LatLng(row[0], row[1]));
  marker.bindPopup(row[2]);
  return marker;
}"""
PEERS_VERSION = 2  # bump when the peer pages change


def peer_map() -> folium.Map:
    """The folium map both peers start from: folium's defaults, centred as ours."""
    return folium.Map(location=[sample_assets.NORWICH_LAT, sample_assets.NORWICH_LON], zoom_start=12)


def build_peers(assets: list[tuple[float, float, str]], reuse: bool) -> dict[str, dict[str, Any]]:
    """Write the two folium pages; return build seconds and sizes (reuse: keep pages built for these data)."""
    PEERS.mkdir(parents=True, exist_ok=True)
    stamp = PEERS / "built.json"
    digest = hashlib.sha256(json.dumps(assets).encode()).hexdigest()[:16]
    key = f"{len(assets)}:{digest}:{folium.__version__}:{PEERS_VERSION}"
    if reuse and stamp.exists():
        built = json.loads(stamp.read_text())
        if built.get("key") == key:
            return {name: page | {"reused": True} for name, page in built["pages"].items()}
    pages: dict[str, dict[str, Any]] = {}
    t = time.perf_counter()
    fmap = peer_map()
    for lat, lon, name in assets:
        folium.Marker([lat, lon], popup=html.escape(name)).add_to(fmap)
    page = localise(fmap.get_root().render())
    (PEERS / "markers.html").write_text(page, encoding="utf-8")
    pages["markers"] = {"build_s": time.perf_counter() - t, "bytes": len(page.encode())}
    t = time.perf_counter()
    fmap = peer_map()
    plugins.FastMarkerCluster(
        data=[[lat, lon, html.escape(name)] for lat, lon, name in assets], callback=FAST_CALLBACK
    ).add_to(fmap)
    page = localise(fmap.get_root().render())
    (PEERS / "fastcluster.html").write_text(page, encoding="utf-8")
    pages["fastcluster"] = {"build_s": time.perf_counter() - t, "bytes": len(page.encode())}
    stamp.write_text(json.dumps({"key": key, "pages": pages}))
    return pages


# ------------------------------------------------------------------------------------------ servers


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(args: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a server process listening on ``port``; yield its base URL; stop it."""
    server = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(150):
            if server.poll() is not None:
                raise SystemExit(
                    f"{args[2]} stopped: {server.stderr.read().decode()[-2000:] if server.stderr else ''}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


# ------------------------------------------------------------------------------------------ the browser


def kind_of(entry: dict[str, Any]) -> str:
    """What a loaded resource is: page, script, style, data, image or font."""
    path = urlparse(entry["name"]).path
    if entry["type"] == "navigation":
        return "page"
    if entry["type"] in ("fetch", "xmlhttprequest"):
        return "data"
    if path.endswith(".js"):
        return "script"
    if path.endswith(".css"):
        return "style"
    if re.search(r"\.(woff2?|ttf|eot|otf)$", path):
        return "font"
    return "image"


def load_page(browser: Browser, url: str) -> dict[str, Any]:
    """Load ``url`` in a fresh context; return the times (ms from navigation start) and resources."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    blocked: list[str] = []
    failed: list[str] = []

    def route(r: Route) -> None:
        if urlparse(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    page.on("requestfailed", lambda req: failed.append(req.url) if "127.0.0.1" in req.url else None)
    page.on("response", lambda res: failed.append(f"{res.status} {res.url}") if res.status >= 400 else None)
    try:
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        origin = float(page.evaluate("() => performance.timeOrigin"))
        # Poll on a timer, not on animation frames: polling by frames makes the page render frame after
        # frame, which on the one-marker-per-asset page (100,000 positioned images) held the click back for
        # minutes that a person's click would not wait.
        page.wait_for_function(
            "() => window.__bench && window.__bench.drawn !== null", polling=POLL_MS, timeout=TIMEOUT_MS
        )
        box = page.locator(".leaflet-container").first.bounding_box()
        assert box, "no map on the page"
        sent = time.time() * 1000 - origin  # both wall clocks of this machine: ms from navigation start
        page.mouse.click(box["x"] + box["width"] * 0.5 + 17, box["y"] + box["height"] * 0.5 + 11)
        page.wait_for_function("() => window.__bench.click !== null", polling=POLL_MS, timeout=TIMEOUT_MS)
        marks = page.evaluate("() => window.__bench") | {"sent": sent}
        resources = page.evaluate(RESOURCES_JS)
    finally:
        context.close()
    return {**marks, "resources": resources, "blocked": len(blocked), "failed": failed}


def byte_summary(run: dict[str, Any]) -> dict[str, int]:
    """Bytes by kind of resource: those loaded before the first view was drawn, and all by the click."""
    out: dict[str, int] = {}
    for e in run["resources"]:
        k = kind_of(e)
        out[f"all_{k}"] = out.get(f"all_{k}", 0) + int(e["encoded"])
        out["all"] = out.get("all", 0) + int(e["encoded"])
        if e["end"] <= run["drawn"]:
            out[k] = out.get(k, 0) + int(e["encoded"])
            out["first"] = out.get("first", 0) + int(e["encoded"])
    return out


def gzip_first(run: dict[str, Any]) -> int:
    """What gzip -6 makes of the responses loaded before the first view was drawn (fetched again)."""
    total = 0
    for e in run["resources"]:
        if e["end"] <= run["drawn"] and urlparse(e["name"]).hostname == "127.0.0.1" and e["encoded"]:
            try:
                with urllib.request.urlopen(e["name"], timeout=120) as response:
                    total += len(gzip.compress(response.read(), 6))
            except OSError as exc:  # a server error on the second fetch: say so, count nothing
                console.print(f"[red]gzip size: {e['name']} failed: {exc}")
                return -1
    return total


def median(values: list[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def run_pages(
    pages: dict[str, str], rounds: dict[str, int], warm: set[str]
) -> dict[str, list[dict[str, Any]]]:
    """Warm up the pages in ``warm``, then load each page its number of ``rounds``, interleaved."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in pages}
    names = list(pages)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name in names:
                if name in warm:
                    console.print(f"warm-up: {name}")
                    load_page(browser, pages[name])
            for r in range(max(rounds.values())):
                order = names[r % len(names) :] + names[: r % len(names)]
                for name in order:
                    if r >= rounds[name]:
                        continue
                    run = load_page(browser, pages[name])
                    results[name].append(run)
                    console.print(
                        f"round {r + 1} {name}: load {run['load']:.0f} ms, drawn {run['drawn']:.0f} ms, "
                        f"interactive {run['click']:.0f} ms, {run['icons']} icons"
                        + (f", failed {run['failed']}" if run["failed"] else "")
                    )
        finally:
            browser.close()
    return results


# ------------------------------------------------------------------------------------------ the report


LABELS = {
    "ours": "ours: `/` (uvicorn, markers from `/map/markers.geojson`)",
    "markers": "folium, one `folium.Marker` per asset",
    "fastcluster": "folium `plugins.FastMarkerCluster`",
}


def mb(n: float) -> str:
    """Bytes as MB (10^6) or kB."""
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def report(
    args: argparse.Namespace,
    info: dict[str, Any],
    n_markers: int,
    built: dict[str, dict[str, Any]],
    results: dict[str, list[dict[str, Any]]],
    gz: dict[str, int],
) -> str:
    """The BENCHMARKS.md section."""
    med = {
        name: {k: median([r[k] for r in runs]) for k in ("load", "drawn", "click")}
        for name, runs in results.items()
    }
    size = {name: byte_summary(runs[0]) for name, runs in results.items()}
    ours = med["ours"]["click"]
    rows = []
    for name in results:
        m, s = med[name], size[name]
        ratio = "1" if name == "ours" else f"{m['click'] / ours:.1f}× ours"
        rows.append(
            f"| {LABELS[name]} | {m['load']:,.0f} ms | {m['drawn']:,.0f} ms | **{m['click']:,.0f} ms** | {ratio} "
            f"| {mb(s.get('first', 0))} (gzip {mb(gz[name]) if gz[name] >= 0 else 'n/a'}) | {mb(s.get('page', 0))} | "
            f"{mb(s.get('script', 0))} | {mb(s.get('data', 0))} | {mb(s.get('style', 0) + s.get('font', 0) + s.get('image', 0))} "
            f"| {mb(s.get('all', 0))} |"
        )
    delay = ", ".join(
        f"{name} {median([r['click'] - r['sent'] for r in runs]):,.0f} ms" for name, runs in results.items()
    )
    spread = "; ".join(
        f"{name} " + ", ".join(f"{r['click']:,.0f}" for r in runs) for name, runs in results.items()
    )
    icons = ", ".join(f"{name} {runs[0]['icons']:,}" for name, runs in results.items())
    cmd = "make bench   # = .venv/bin/python bench/map_page.py " + " ".join(sys.argv[1:])
    peers = "; ".join(
        f"{name}: built in {b['build_s']:.1f} s{' (by an earlier run, reused)' if b.get('reused') else ''}, "
        f"{mb(b['bytes'])}"
        for name, b in built.items()
    )
    return f"""## Residents' map with 50,000 assets around Norwich, against folium (issue: map benchmark)

Command: `{cmd.strip()}`
Machine: {machine()}; load average {args.load_at_start} before the run ({load()} at its end, counting its own processes)
Data: `patchmap_bench_map` = Norfolk demo + {info["count"]:,} sample assets (source `{info["source"]}`, seed {info["seed"]})
within 10 km of Norwich by LSOA population; {n_markers:,} markers in all. Headless Chromium
({CHROMIUM}, {VIEWPORT["width"]}×{VIEWPORT["height"]}), fresh context per load, tiles and every other
non-local request aborted. Medians of {args.rounds} loads per page ({args.slow_rounds} of the one-marker-per-asset
page, which is not warmed up), pages interleaved, after one warm-up each.

| page | map `load` | markers drawn | interactive (click handled) | interactive vs ours | loaded before first view drawn | of which page | scripts | data | styles, fonts, images | all by the click |
|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Interactive = the map has fired `load`, at least one marker or cluster icon is in its marker pane and
that frame is painted, and then a real mouse click on the map (sent by Playwright as soon as it sees the
page report drawn, polling every {POLL_MS} ms) has reached Leaflet's `preclick` handler; all times from
navigation start. Bytes are encoded body sizes as served (Resource Timing): the app gzips its responses
over 1 kB, the peers' static server sends them as they are; "gzip" is what gzip -6 makes of the same
responses, to compare like with like. The click reached Leaflet this long after Playwright sent it
(median): {delay}; the rest of the gap between drawn and interactive is the harness seeing "drawn" and
finding the map on the page.
Each run's interactive times (ms): {spread}. Icons drawn at first view: {icons}.
Peers: {peers} (folium {folium.__version__}; CDN files served locally from npm packages, see bench/map_page.py).
Goals for ours: interactive ≤ 1.5 s and ≤ 1 MB loaded before the first view is drawn.
"""


def main() -> None:
    """Run the map page benchmark and write BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=50_000, help="sample assets around Norwich")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--slow-rounds", type=int, default=3, help="loads of the one-marker-per-asset page")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    ap.add_argument("--reuse-peers", action="store_true", help="keep peer pages built for the same data")
    ap.add_argument("--no-write", action="store_true", help="print the section; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    args.load_at_start = load()
    if not Path(CHROMIUM).exists():
        sys.exit("bench/map_page.py needs Debian's chromium: apt-get install chromium")
    if not shutil.which("npm"):
        sys.exit(
            "bench/map_page.py needs npm (apt-get install npm) to fetch folium's files from the npm registry"
        )
    base = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    url, info = sample_assets.ensure(base, norwich=True, count=args.count)
    console.print(f"map database ready ({'generated' if info['generated'] else 'already there'})")
    prepare_vendor()
    assets = map_assets(url)
    console.print(f"building the folium peers for {len(assets):,} markers")
    built = build_peers(assets, args.reuse_peers)
    app_port, peer_port = free_port(), free_port()
    env = dict(os.environ, DATABASE_URL=url, PATCHMAP_POOL_MIN="2", PATCHMAP_POOL_MAX="8")
    app_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:create_app",
        "--factory",
        "--port",
        str(app_port),
        "--workers",
        str(args.workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    peer_cmd = [
        sys.executable,
        "-m",
        "http.server",
        str(peer_port),
        "--bind",
        "127.0.0.1",
        "--directory",
        str(PEERS),
    ]
    with serve(app_cmd, app_port, env) as app, serve(peer_cmd, peer_port) as peer:
        pages = {
            "ours": f"{app}/",
            "markers": f"{peer}/markers.html",
            "fastcluster": f"{peer}/fastcluster.html",
        }
        rounds = {"ours": args.rounds, "markers": args.slow_rounds, "fastcluster": args.rounds}
        results = run_pages(pages, rounds, warm={"ours", "fastcluster"})
        gz = {name: gzip_first(runs[0]) for name, runs in results.items()}
    body = report(args, info, len(assets), built, results, gz)
    if not args.no_write:
        write_section("map", body)
    console.print(body)


if __name__ == "__main__":
    main()
