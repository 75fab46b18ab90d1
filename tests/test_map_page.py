"""The map page: its HTML, the GeoJSON layers it loads, and what a person sees in headless Chromium."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, Route, sync_playwright
from pydantic import TypeAdapter

from api.main import create_app
from api.routes.map_data import AreaLayer, AssetLayer
from layers.settings import Settings
from mapping import assets, styles
from mapping.pages import MapPageData, assets_map_page

GEOJSON = "application/geo+json"
NORFOLK = "0.1,52.3,1.8,53.0"
NORWICH = "1.20,52.59,1.36,52.67"
LIBRARY = "Norfolk and Norwich Millennium Library"
PUBLIC_FIELDS = {
    "id",
    "kind",
    "subtype",
    "name",
    "address",
    "postcode",
    "opening_hours",
    "website",
    "step_free",
}
HOSTILE = '<img src=x onerror="window.__pwned=1">Hall & "Co"'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _layer(client: TestClient, path: str, model: Any, **params: Any) -> Any:
    """GET a map layer; check status, content type and body against the model; return the body."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == GEOJSON
    body = response.json()
    TypeAdapter(model).validate_python(body, strict=True)
    return body


# ---------------------------------------------------------------- the layers the page loads


def test_area_layer_by_bbox(client: TestClient) -> None:
    """Wards meeting a bbox; simplifying makes the layer smaller; kind=lsoa works too."""
    full = _layer(client, "/map/areas.geojson", AreaLayer, bbox=NORWICH)
    codes = {f["properties"]["code"] for f in full["features"]}
    assert "E05005882" in codes and all(f["properties"]["kind"] == "ward" for f in full["features"])
    assert all(f["id"] == f["properties"]["code"] for f in full["features"])
    coarse = client.get("/map/areas.geojson", params={"bbox": NORWICH, "simplify_m": 50})
    assert coarse.status_code == 200 and all(
        f["geometry"]["type"] == "MultiPolygon" for f in coarse.json()["features"]
    )
    assert len(coarse.content) < 0.8 * len(client.get("/map/areas.geojson", params={"bbox": NORWICH}).content)
    assert len(_layer(client, "/map/areas.geojson", AreaLayer, bbox=NORFOLK)["features"]) == 205
    lsoas = _layer(client, "/map/areas.geojson", AreaLayer, bbox=NORWICH, kind="lsoa")["features"]
    assert lsoas and all(f["properties"]["kind"] == "lsoa" for f in lsoas)
    assert _layer(client, "/map/areas.geojson", AreaLayer, bbox="-1,51,-0.5,51.5")["features"] == []


def test_asset_layer_is_public_only(client: TestClient) -> None:
    """Hubs and spaces in a bbox, each with the public fields and nothing else."""
    body = _layer(client, "/map/assets.geojson", AssetLayer, bbox=NORFOLK)
    props = [f["properties"] for f in body["features"]]
    assert all(set(p) == PUBLIC_FIELDS for p in props)
    assert "private_contact" not in str(body) and "email" not in str(body).lower().replace("e-mail", "")
    libraries = [p for p in props if p["kind"] == "hub" and p["subtype"] == "library"]
    assert len(libraries) == 19
    assert LIBRARY in {p["name"] for p in libraries}
    assert sum(p["kind"] == "space" and p["subtype"] == "vacant_shop" for p in props) == 31
    ids = [f["id"] for f in body["features"]]
    assert len(ids) == len(set(ids))
    small = _layer(client, "/map/assets.geojson", AssetLayer, bbox="1.2905,52.6273,1.2915,52.6282")
    assert LIBRARY in {f["properties"]["name"] for f in small["features"]}


@pytest.mark.parametrize(
    "bbox",
    [
        "",
        "1,2,3",
        "1,2,3,4,5",
        "a,b,c,d",
        "2,52,1,53",
        "1,53,2,52",
        "1,52,1,53",
        "-181,52,1,53",
        "1,52,2,91",
        "nan,52,1,53",
        "1,52,inf,53",
    ],
)
@pytest.mark.parametrize("path", ["/map/areas.geojson", "/map/assets.geojson"])
def test_bad_bbox_is_422(client: TestClient, path: str, bbox: str) -> None:
    """A bbox that is not four numbers in range with min < max is 422 with the standard body."""
    response = client.get(path, params={"bbox": bbox})
    assert response.status_code == 422, response.text
    assert set(response.json()) == {"error", "detail"}


# ---------------------------------------------------------------- the page's HTML


def test_page_html_loads_nothing_from_elsewhere(client: TestClient) -> None:
    """GET / is HTML whose scripts and stylesheets are all the app's own, pinned and present."""
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="en">' in html and "<title>" in html and "<h1>" in html
    links = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert links and all(link.startswith(("/", "#", "data:")) for link in links), links
    for forbidden in ("cdn.", "jsdelivr", "cdnjs", "jquery", "bootstrap", "fontawesome", "awesome-markers"):
        assert forbidden not in html.lower()
    assert assets.asset_problems() == []
    for _, asset in (*assets.MAP_PAGE_JS, *assets.MAP_PAGE_CSS):
        url = asset.url("/static")
        assert url in html
        assert client.get(url).status_code == 200
    assert client.get(f"/static/{assets.LEAFLET_DIR}/images/layers.png").status_code == 200


def _page_data(**changes: Any) -> MapPageData:
    base: dict[str, Any] = {
        "static_url": "/static",
        "areas_url": "/map/areas.geojson",
        "assets_url": "/map/assets.geojson",
        "tile_url": "https://tiles.example/{z}/{x}/{y}.png",
        "tile_attribution": "Tiles by Example",
        "data_attribution": "Contains OS data",
        "centre_lon": 1.29,
        "centre_lat": 52.63,
        "zoom": 12,
    }
    return MapPageData(**{**base, **changes})


def test_page_builder_escapes_text_and_script_data() -> None:
    """Settings text is escaped in the page; JSON handed to the script cannot close the script element."""
    html = assets_map_page(
        _page_data(data_attribution="<script>alert(1)</script> & co", areas_url="/x</script><b>")
    )
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    )
    assert "/x</script><b>" not in html


def test_page_without_a_base_map() -> None:
    """An empty tile URL gives a page with no tile layer at all."""
    html = assets_map_page(_page_data(tile_url=""))
    assert "L.tileLayer" not in html and "tiles.example" not in html


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_colours_have_enough_contrast() -> None:
    """Markers stand out 4.5:1 from white and from the map background; ward lines at least 3:1."""
    for marker in styles.MARKERS:
        assert _contrast(marker.fill, "#ffffff") >= 4.5, marker
        assert _contrast(marker.fill, styles.MAP_BACKGROUND) >= 4.5, marker
    assert _contrast(styles.WARD.color, styles.MAP_BACKGROUND) >= 3


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def live_url(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free local port, in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


class Traffic:
    """Every request the page makes, split into local, base-map tile and anything else (all blocked)."""

    def __init__(self, live_url: str, tile_url: str) -> None:
        self.local_host = urlparse(live_url).netloc
        self.tile_host = urlparse(tile_url).netloc if tile_url else None
        self.local: list[str] = []
        self.tiles: list[str] = []
        self.elsewhere: list[str] = []

    def route(self, route: Route) -> None:
        url = route.request.url
        host = urlparse(url).netloc
        if host == self.local_host:
            self.local.append(url)
            route.continue_()
            return
        # Nothing leaves this machine: tiles fail as they do offline, anything else is a fault.
        (self.tiles if host == self.tile_host else self.elsewhere).append(url)
        route.abort()

    def is_tile(self, url: str) -> bool:
        return bool(self.tile_host) and urlparse(url).netloc == self.tile_host


def _add_hostile_asset(route: Route, request: Request) -> None:
    """Pass the real assets layer on, plus one hub whose name and website try to run script."""
    response = route.fetch()
    body = response.json()
    body["features"].append(
        {
            "type": "Feature",
            "id": "hub/999999",
            "geometry": {"type": "Point", "coordinates": [1.2935, 52.6290]},
            "properties": {
                "id": 999999,
                "kind": "hub",
                "subtype": "village_hall",
                "name": HOSTILE,
                "address": "<b>1 High Street</b>",
                "postcode": None,
                "opening_hours": "<i>always</i>",
                "website": "javascript:window.__pwned=2",
                "step_free": True,
            },
        }
    )
    route.fulfill(response=response, json=body)


def _wait_for_load(page: Page, after: int) -> None:
    page.wait_for_function(
        "n => window.Patchmap && Patchmap.current && Patchmap.current.loads > n "
        "&& document.body.dataset.mapState === 'ready'",
        arg=after,
        timeout=20_000,
    )


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser page, closed before the server stops."""
    p = browser.new_page(viewport={"width": 1280, "height": 800})
    yield p
    p.close()


def _open_popup(page: Page, marker: str) -> Any:
    """Click a marker and return the one popup that opens."""
    page.locator(marker).click()
    page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 1")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    page.wait_for_function("getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    return popup


def test_map_page_in_a_browser(page: Page, live_url: str, settings: Settings, artifacts: Path) -> None:
    """The page shows wards, hubs and spaces with no tiles; popups escape data; nothing else is fetched."""
    traffic = Traffic(live_url, settings.map.tile_url)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not traffic.is_tile(msg.location.get("url", "")):
            problems.append(f"console: {msg.text} at {msg.location}")

    page.on("console", on_console)

    def on_dialog(dialog: Dialog) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.route("**/*", traffic.route)
    page.route("**/map/assets.geojson?*", _add_hostile_asset)

    page.goto(live_url + "/")
    _wait_for_load(page, 0)

    # What a person sees: a titled English page, a heading, a labelled map and a written key.
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title()
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_role("region", name=re.compile("Map of ward boundaries")).is_visible()
    key = page.locator("#pm-key")
    for text in ("Community hub", "Space to use", "Ward boundary"):
        assert key.get_by_text(text).is_visible()
    assert page.get_by_text("Open Government Licence").is_visible()

    counts = page.evaluate(
        """() => ({
            wards: document.querySelectorAll('path.pm-area--ward').length,
            hubs: document.querySelectorAll('.pm-marker--hub').length,
            spaces: document.querySelectorAll('.pm-marker--space').length,
        })"""
    )
    assert counts["wards"] >= 13, counts  # at least Norwich's 13 wards around the centre
    assert counts["hubs"] >= 10 and counts["spaces"] >= 10, counts
    assert re.search(r"Showing \d+ hubs, \d+ spaces and \d+ wards", page.locator("#pm-status").inner_text())
    page.screenshot(path=str(artifacts / "map_page.png"))

    # Zoom to the Millennium Library and open its popup.
    loads = page.evaluate("Patchmap.current.loads")
    page.evaluate("() => { Patchmap.current.map.setView([52.62773, 1.29095], 17, {animate: false}); }")
    _wait_for_load(page, loads)
    popup = _open_popup(page, f'.pm-marker--hub[title="{LIBRARY}"]')
    assert popup.locator("h3").inner_text() == LIBRARY
    assert "Library" in popup.inner_text()
    page.screenshot(path=str(artifacts / "map_page_popup.png"))

    # A hostile name, address and website are shown as text and cannot run script.
    popup = _open_popup(page, ".pm-marker--hub[title^='<img']")
    assert popup.locator("h3").inner_text() == HOSTILE
    assert "<b>1 High Street</b>" in popup.inner_text() and "<i>always</i>" in popup.inner_text()
    assert popup.locator("img, b, i, a").count() == 0
    assert page.evaluate("window.__pwned") is None

    # Markers work from the keyboard too: focus one and press Enter.
    page.locator(f'.pm-marker--hub[title="{LIBRARY}"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 1")
    assert page.locator(".leaflet-popup-content h3").inner_text() == LIBRARY

    if traffic.tile_host:
        assert traffic.tiles, "the page asked for no base-map tiles"
        assert page.locator("#pm-tiles-note").is_visible()
    assert traffic.elsewhere == [], f"requests left this machine: {traffic.elsewhere}"
    assert any("/map/areas.geojson" in u for u in traffic.local)
    assert any("/static/vendor/leaflet-1.9.4/leaflet.js" in u for u in traffic.local)
    assert problems == []
