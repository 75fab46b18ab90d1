"""The officers' map (`/analysis`): the page's HTML, and what an officer sees and can do in headless Chromium.

The browser tests run the app on a free local port against this module's own database (the demo, plus a
locality and a group whose names try to run script). Nothing may leave the machine: base-map tiles are
aborted (as offline) and anything else is a fault. axe-core (tests/vendor) checks accessibility.
Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from api.main import create_app
from api.routes.scenarios import WhatIfForm
from layers.analysis.gaps import LEVELS3, PROVISION
from layers.analysis.inputs import LEVELS
from layers.analysis.overlay import DEFAULT_RADIUS_M
from layers.analysis.tables import DOMAIN_LABELS
from layers.settings import Settings
from mapping import assets, pages, styles
from mapping.pages import OfficerMapData, officer_map_page
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import DESKTOP, HOSTILE, PHONE, Watch, axe, wait_for, wait_for_view_markers

NORWICH = "E07000148"
NORWICH_WARDS = 13
NORWICH_LSOAS = 83  # the 2011 LSOAs of Norwich in the demo's boundaries
MILE_CROSS = "E05005883"
MANCROFT = "E05005882"
HOSTILE_LOCALITY = "SAMPLE-TEST-HOSTILE"
HOSTILE_SOURCE = "sample-test-officer-map"


# ---------------------------------------------------------------- fixtures: a database, the app, a browser


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """This module's own database, migrated and loaded with the demo, with hostile names; dropped at the end."""
    with demo_database(server_url, "patchmap_officer") as settings:
        _add_hostile_names(settings)
        yield settings


def _add_hostile_names(settings: Settings) -> None:
    """A locality (Mancroft's ward) and a group meeting in Mancroft, both named <img src=x onerror=alert(1)>."""
    with psycopg.connect(settings.database.url, autocommit=True) as conn:
        row = conn.execute(
            """INSERT INTO areas (code, name, kind, source, geom)
               SELECT %s, %s, 'locality', %s, geom FROM areas WHERE code = %s
               RETURNING id""",
            (HOSTILE_LOCALITY, HOSTILE, HOSTILE_SOURCE, MANCROFT),
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO locality_members (locality_id, member_id) SELECT %s, id FROM areas WHERE code = %s",
            (row[0], MANCROFT),
        )
        conn.execute(
            """INSERT INTO groups (name, description, categories, location_precision, geom, venue_address,
                                   status, source, source_id)
               VALUES (%s, %s, ARRAY['food'], 'venue', ST_SetSRID(ST_MakePoint(1.2925, 52.6285), 4326),
                       'Mancroft', 'active', %s, 'hostile-officer-1')""",
            (HOSTILE, "<script>window.__pwned = 1</script>", HOSTILE_SOURCE),
        )


@pytest.fixture(scope="module")
def client(app_settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on the app, on this module's database."""
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def live_url(app_settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free local port, on this module's database."""
    with served(app_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with chromium() as b:
        yield b


def open_officer_map(
    browser: Browser, live_url: str, settings: Settings, query: str = "", **context: Any
) -> tuple[BrowserContext, Page, Watch]:
    """A fresh context and page on /analysis, watched, with the first areas drawn."""
    ctx = browser.new_context(viewport=context.pop("viewport", DESKTOP), **context)
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.on("dialog", watch.dialog)
    page.goto(f"{live_url}/analysis{query}")
    wait_for_areas(page, 0)
    return ctx, page, watch


def wait_for_areas(page: Page, after: int) -> None:
    """Wait until more than `after` overlays have loaded and the map is drawn."""
    wait_for(
        page,
        "n => window.Patchmap && Patchmap.officer && Patchmap.officer.loads > n "
        "&& document.body.dataset.mapState === 'ready'",
        arg=after,
        timeout=30_000,
    )


def settle(page: Page) -> None:
    """Wait for the map to stop moving (a fit to the areas animates) and for the markers of the view, drawn
    with none still to come (they would move what is under a point)."""
    wait_for_view_markers(page, "Patchmap.officer")


def wait_for_profile(page: Page, name: str) -> None:
    """Wait until the profile of the named area has loaded."""
    wait_for(
        page,
        "name => document.body.dataset.profileState === 'ready' "
        "&& document.getElementById('pm-profile-title').textContent === name",
        arg=name,
        timeout=30_000,
    )


def field(page: Page, label: str) -> Locator:
    """A control of the settings form, by its label."""
    return page.locator("#pm-settings").get_by_label(label, exact=True)


def update(page: Page, **choices: str) -> None:
    """Choose settings in the form (by label) and press "Update the map"; wait for the new areas."""
    loads = page.evaluate("Patchmap.officer.loads")
    for label, value in choices.items():
        field(page, label).select_option(value)
    page.get_by_role("button", name="Update the map").click()
    wait_for_areas(page, loads)


def area_count(page: Page) -> int:
    """How many areas are drawn (by code: an area drawn from tiles has a path in each tile it meets)."""
    return int(
        page.evaluate(
            "new Set([...document.querySelectorAll('.pm-map path.pm-area[data-code]')].map(p => p.dataset.code)).size"
        )
    )


def point_in(page: Page, code: str) -> tuple[float, float]:
    """A point of an area's shape that nothing (a marker, a control) covers."""
    page.locator(".pm-map").scroll_into_view_if_needed()
    settle(page)
    point = page.evaluate(
        """code => {
            for (const path of document.querySelectorAll(`path.pm-area[data-code="${code}"]`)) {
                const box = path.getBoundingClientRect();
                for (let i = 1; i < 12; i++) for (let j = 1; j < 12; j++) {
                    const x = box.left + box.width * i / 12, y = box.top + box.height * j / 12;
                    if (document.elementFromPoint(x, y) === path) return [x, y];
                }
            }
            return null;
        }""",
        code,
    )
    assert point, f"no uncovered point of {code}"
    return point[0], point[1]


def click_area(page: Page, code: str) -> None:
    """Click an area on the map, as a person would."""
    page.mouse.click(*point_in(page, code))


@pytest.fixture
def desk(browser: Browser, live_url: str, app_settings: Settings) -> Iterator[tuple[Page, Watch]]:
    """The page at desktop size."""
    ctx, page, watch = open_officer_map(browser, live_url, app_settings)
    yield page, watch
    ctx.unroute_all(behavior="ignoreErrors")
    ctx.close()


# ---------------------------------------------------------------- the page's HTML


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea"):
            self.controls.append(a)


def test_page_is_html_from_this_app_only(client: TestClient) -> None:
    """GET /analysis is a small HTML page whose scripts and styles are the app's own; the API still answers."""
    response = client.get("/analysis")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="en">' in html and "<title>Patchmap: need and provision by area</title>" in html
    links = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert links and all(link.startswith(("/", "#", "data:", "?")) for link in links if link), links
    for forbidden in ("cdn.", "jsdelivr", "cdnjs", "unpkg", "jquery", "bootstrap", "fontawesome"):
        assert forbidden not in html.lower()
    assert assets.asset_problems() == []
    for _, asset in (*assets.OFFICER_PAGE_JS, *assets.OFFICER_PAGE_CSS):
        url = asset.url("/static")
        assert url in html
        assert client.get(url).status_code == 200
    assert len(response.content) < 60_000 and "FeatureCollection" not in html  # areas load from the API
    overlay = client.get("/analysis/overlay", params={"within": NORWICH})  # the API's routes are not shadowed
    assert overlay.status_code == 200 and len(overlay.json()["areas"]) == NORWICH_WARDS
    assert client.get(f"/analysis/areas/{MILE_CROSS}").status_code == 200


def test_every_control_has_a_label(client: TestClient) -> None:
    """The settings are a form whose every control has a label, named as the API's parameters."""
    parsed = _Controls()
    parsed.feed(client.get("/analysis").text)
    for control in parsed.controls:
        assert control.get("id") in parsed.label_for, control
    assert len(parsed.ids) == len(set(parsed.ids)), "ids repeat"
    names = {c.get("name") for c in parsed.controls}
    settings = {"level", "within", "need", "provision", "kinds", "category", "radius_m"}
    # the "What if?" form: named as the what-if page's parameters (GET /analysis/what-if, api/routes/scenarios.py)
    whatif = {"action", "kind", "rooms", "postcode", "easting_m", "northing_m", "close_kind", "close_id"}
    assert whatif <= set(WhatIfForm.model_fields)
    assert names == settings | whatif


def test_choices_are_the_analysis_ones() -> None:
    """Levels, measures, thirds and the default distance offered are the ones layers.analysis knows."""
    assert {k for k, _ in pages.OFFICER_LEVELS} == set(LEVELS)
    assert {k for k, _ in pages.NEED_MEASURES} == set(DOMAIN_LABELS)
    assert {k for k, _ in pages.PROVISION_MEASURES} == set(PROVISION)
    assert pages.DEFAULT_COVERAGE_M == DEFAULT_RADIUS_M
    assert styles.THIRDS == LEVELS3
    keys = [c.key for c in styles.BIVARIATE]
    assert sorted(keys) == sorted(f"{n}-{p}" for n in LEVELS3 for p in LEVELS3)
    assert len({c.fill for c in styles.BIVARIATE}) == 9
    assert styles.BIVARIATE[2].label == "High need, high provision"
    assert {k for k, _ in styles.BIVARIATE_NOTES} <= set(keys)


def _page_data(**changes: Any) -> OfficerMapData:
    base: dict[str, Any] = {
        "static_url": "/static",
        "overlay_url": "/analysis/overlay",
        "profile_url": "/analysis/areas/",
        "markers_url": "/map/markers.geojson",
        "areas_url": "/areas",
        "detail_urls": {"group": "/groups/", "hub": "/hubs/", "space": "/spaces/"},
        "tile_url": "https://tiles.example/{z}/{x}/{y}.png",
        "tile_attribution": "Tiles by Example",
        "data_attribution": "Contains OS data",
        "centre_lon": 1.29,
        "centre_lat": 52.63,
        "zoom": 12,
    }
    return OfficerMapData(**{**base, **changes})


def test_page_builder_escapes_and_tiles_are_a_setting() -> None:
    """Settings text is escaped; JSON for the script cannot close it; no tile URL, no tile layer."""
    html = officer_map_page(
        _page_data(
            data_attribution="<script>alert(1)</script> & co",
            overlay_url="/x</script><b>",
            district_name="<b>Norwich</b>",
        )
    )
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    )
    assert "/x</script><b>" not in html and "<b>Norwich</b>" not in html
    assert "L.tileLayer" in html and "tiles.example" in html
    bare = officer_map_page(_page_data(tile_url=""))
    assert "L.tileLayer" not in bare and "tiles.example" not in bare


# ---------------------------------------------------------------- in the browser


@pytest.mark.browser
def test_the_map_keeps_its_height_under_the_key_and_the_list_beside_it(desk: tuple[Page, Watch]) -> None:
    """On a wide screen the map heads its column, in the first screenful, with a useful height and the key
    under it, all above the "What if?" section (the map once ran under it); the list of areas beside it is
    as tall as the row, and scrolls."""
    page, _ = desk
    box = page.locator(".pm-map-wrap").bounding_box()
    results = page.locator("#pm-results").bounding_box()
    key = page.locator("#pm-key").bounding_box()
    whatif = page.locator("#pm-whatif-title").bounding_box()
    assert box and results and key and whatif
    assert box["height"] >= 380 and box["y"] + box["height"] <= DESKTOP["height"], box
    assert box["y"] + box["height"] <= key["y"]  # the key under the map, not over it
    assert box["y"] + box["height"] <= whatif["y"], (box, whatif)
    assert results["y"] + results["height"] <= whatif["y"], (results, whatif)
    # nothing in the list (its visually hidden words) reaches below it: the page ends with its footer
    assert page.evaluate(
        "document.documentElement.scrollHeight <= Math.ceil(document.querySelector('.pm-footer')"
        ".getBoundingClientRect().bottom + scrollY) + 1"
    )
    column = page.locator(".pm-map-column").bounding_box()
    assert column and abs((results["y"] + results["height"]) - (column["y"] + column["height"])) <= 2


@pytest.mark.browser
def test_first_view_draws_norwich_wards_with_a_key(desk: tuple[Page, Watch], artifacts: Path) -> None:
    """Norwich's 13 wards, coloured by class, a key naming the 9 classes, a ranked list; all from here."""
    page, watch = desk
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title() == "Patchmap: need and provision by area"
    assert page.get_by_role("heading", level=1).inner_text() == "Need and provision by area"
    assert page.get_by_role("region", name="Map of need and provision by area").is_visible()
    assert field(page, "District").input_value() == NORWICH
    assert area_count(page) == NORWICH_WARDS
    fills = page.evaluate("[...document.querySelectorAll('path.pm-area')].map(p => p.getAttribute('fill'))")
    assert set(fills) <= {c.fill for c in styles.BIVARIATE} and len(set(fills)) >= 4

    key = page.locator("#pm-key td[data-class]")
    assert key.count() == 9
    cells = {c.get_attribute("data-class"): c.inner_text() for c in key.all()}
    for c in styles.BIVARIATE:
        assert f"{c.label}:" in page.locator(f'#pm-key td[data-class="{c.key}"]').text_content()  # type: ignore[operator]
    assert sum(int(re.sub(r"\D", "", text)) for text in cells.values()) == NORWICH_WARDS
    assert page.get_by_role("table").get_by_role("rowheader").all_inner_texts() == ["High", "Medium", "Low"]
    assert "look here first" in page.locator("#pm-key-notes").inner_text()
    # every one of the nine classes is described in words under the key
    notes = page.locator("#pm-key-notes li")
    described = [n.get_attribute("class") for n in notes.all()]
    for c in styles.BIVARIATE:
        assert page.locator(f"#pm-key-notes .pm-bv--{c.key}").count() == 1, c.key
    assert len(described) >= 9

    status = page.locator("#pm-status")
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    assert status.inner_text().startswith("13 wards in Norwich shown, largest gap first.")
    entries = page.locator("#pm-areas > li")
    assert entries.count() == NORWICH_WARDS
    first = entries.first
    assert first.locator(".pm-rank").inner_text().endswith("1")
    assert re.search(
        r"IMD decile [\d.]+ \(population-weighted mean LSOA rank [\d,]+.*per 1,000 against a median of",
        first.inner_text(),
    )
    assert re.search(r"(High|Medium|Low) need, (high|medium|low) provision", first.inner_text())
    # the sentence above the list names the #1 row with the same class words as its entry
    first_class = first.locator(".pm-class").inner_text().strip()
    first_name = first.locator(".pm-item-name").inner_text().strip()
    assert f"#1 is {first_name}: {first_class}." in status.inner_text(), (status.inner_text(), first_class)

    # seven districts, and all of them (the list loads after the page)
    expect(page.locator("#pm-within option")).to_have_count(8)
    csv = page.locator("#pm-csv").get_attribute("href") or ""
    assert "f=csv" in csv and f"within={NORWICH}" in csv and "level=ward" in csv
    assert "f=geojson" in (page.locator("#pm-geojson").get_attribute("href") or "")
    # the rows as JSON, the wards' boundaries from the OGC API's vector tiles
    assert any("/analysis/overlay?" in u and "f=json" in u for u in watch.local)
    assert any("/ogc/collections/wards/tiles/WebMercatorQuad/" in u for u in watch.local)
    assert page.evaluate("Patchmap.officer.tiled()")
    settle(page)
    assert any("/map/markers.geojson" in u for u in watch.local)
    assert page.locator(".leaflet-marker-icon.pm-marker").count() > 10
    layers = page.locator(".leaflet-control-layers")
    for name in ("Groups", "Community hubs", "Spaces to use"):
        assert layers.get_by_role("checkbox", name=name, exact=True).is_checked()
    if watch.tile_host:
        expect(page.locator("#pm-tiles-note")).to_be_visible()  # after a tile's request has been aborted
        assert watch.tiles

    page.screenshot(path=str(artifacts / "officer_map_desktop.png"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "pm-skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "pm-results"
    assert axe(page) == []
    watch.check()


@pytest.mark.browser
def test_asset_layers_toggle(desk: tuple[Page, Watch]) -> None:
    """Unticking "Community hubs" in the map's layer control takes the hubs off the map, and back."""
    page, watch = desk
    settle(page)  # the markers of the fitted view: none reloaded while the layers are toggled
    hubs = page.locator(".leaflet-marker-icon.pm-kind--hub")
    shown = hubs.count()
    assert shown > 0
    control = page.locator(".leaflet-control-layers").get_by_role("checkbox", name="Community hubs")
    control.uncheck()
    expect(hubs).to_have_count(0)
    assert page.locator(".leaflet-marker-icon.pm-kind--space").count() > 0
    control.check()
    expect(hubs).to_have_count(shown)
    watch.check()


@pytest.mark.browser
def test_lsoas_are_drawn_from_vector_tiles(desk: tuple[Page, Watch], artifacts: Path) -> None:
    """LSOAs come from the OGC API's vector tiles (Leaflet.VectorGrid, served by the app), coloured by their class
    from the overlay; pointing names one, a click opens its profile with its outline; axe finds nothing."""
    page, watch = desk
    before = len(watch.local)
    update(page, Areas="lsoa")
    tile_urls = [u for u in watch.local[before:] if "/ogc/collections/lsoas/tiles/WebMercatorQuad/" in u]
    assert tile_urls, "no tile was asked for"
    assert not any("/analysis/overlay" in u and "f=geojson" in u for u in watch.local[before:])
    assert page.evaluate("Patchmap.officer.tiled() && Patchmap.officer.tileRequests > 0")
    assert area_count(page) == NORWICH_LSOAS
    classes = page.evaluate("Object.values(Patchmap.officer.byCode).map(r => r.bivariate_class)")
    want = {styles.officer_js_styles()["classes"][c]["fill"].lower() for c in classes if c}
    fills = page.evaluate("[...document.querySelectorAll('path.pm-area')].map(p => p.getAttribute('fill'))")
    assert want and {f.lower() for f in fills if f} <= want | {styles.UNSCORED.fill_color.lower()}
    code = page.evaluate("Object.keys(Patchmap.officer.byCode)[0]")
    x, y = point_in(page, code)
    page.mouse.move(x, y)
    expect(page.locator(".pm-tip strong")).to_have_text(
        page.evaluate(f"Patchmap.officer.byCode['{code}'].name")
    )
    page.mouse.click(x, y)
    wait_for_profile(page, page.evaluate(f"Patchmap.officer.byCode['{code}'].name"))
    expect(page.locator("path.pm-area-selected")).to_have_count(1)
    page.screenshot(path=str(artifacts / "officer-map-lsoa-tiles.png"))
    assert axe(page) == []
    before = len(watch.local)
    update(page, Areas="ward")  # the wards' tiles in place of the LSOAs'
    assert page.evaluate("Patchmap.officer.tiled()") and area_count(page) == NORWICH_WARDS
    assert any("/ogc/collections/wards/tiles/" in u for u in watch.local[before:])
    assert not page.locator('path.pm-area[data-code^="E01"]').count()
    watch.check()


@pytest.mark.browser
def test_lsoas_and_other_measures_redraw(desk: tuple[Page, Watch]) -> None:
    """Choosing LSOAs redraws Norwich's 83; other measures change the sentences; the address keeps them."""
    page, watch = desk
    update(page, Areas="lsoa")
    assert area_count(page) == NORWICH_LSOAS
    assert page.locator("#pm-areas > li").count() == NORWICH_LSOAS
    assert page.locator("#pm-status").inner_text().startswith("83 neighbourhoods (LSOAs) in Norwich shown")
    assert "level=lsoa" in page.url

    update(page, Need="income", Provision="coverage")
    text = page.locator("#pm-areas > li").first.inner_text()
    assert "Income decile" in text and "of residents within 800 m of an asset against a median of" in text
    assert "provision=coverage" in (page.locator("#pm-csv").get_attribute("href") or "")

    field(page, "Coverage distance").select_option("400")
    field(page, "Groups").uncheck()
    field(page, "Spaces").uncheck()
    update(page)
    assert "within 400 m of a hub" in page.locator("#pm-areas > li").first.inner_text()

    page.goto(page.url)  # a shared link opens with the same settings
    wait_for_areas(page, 0)
    assert field(page, "Areas").input_value() == "lsoa"
    assert not field(page, "Groups").is_checked()
    assert area_count(page) == NORWICH_LSOAS

    update(page, Areas="district")
    assert field(page, "District").is_disabled() and area_count(page) == 7
    watch.check()


@pytest.mark.browser
def test_no_kinds_is_explained(desk: tuple[Page, Watch]) -> None:
    """With nothing to count, the form says what to do and asks the API nothing."""
    page, watch = desk
    asked = len(watch.local)
    for name in ("Groups", "Community hubs", "Spaces"):
        field(page, name).uncheck()
    page.get_by_role("button", name="Update the map").click()
    error = page.locator("#pm-kinds-error")
    # The page checks the form before it would ask the API: once it says so, it has asked nothing.
    expect(error).to_contain_text("Choose at least one")
    assert error.is_visible()
    assert page.evaluate("document.activeElement.id") == "pm-kind-group"
    assert not [u for u in watch.local[asked:] if "/analysis/overlay" in u]
    watch.check()


@pytest.mark.browser
def test_selecting_an_area_shows_its_profile(desk: tuple[Page, Watch], artifacts: Path) -> None:
    """Clicking a ward opens its profile; Back returns to the list; Enter on an entry opens another."""
    page, watch = desk
    click_area(page, MILE_CROSS)
    wait_for_profile(page, "Mile Cross")
    profile = page.locator("#pm-profile")
    assert profile.is_visible() and page.locator("#pm-areas").is_hidden()
    assert page.evaluate("document.activeElement.id") == "pm-profile-title"
    text = profile.inner_text()
    assert "Ward in Norwich" in text and MILE_CROSS in text
    assert re.search(
        r"IMD decile [\d.]+ \(population-weighted mean LSOA rank [\d,]+.*per 1,000 against a median of [\d.]+ across the 13 wards of Norwich",
        text,
    )
    for term in ("Priority", "Residents", "IMD decile", "Counted", "Per 1,000 residents", "Coverage", "Gap"):
        assert profile.locator("dt", has_text=term).count() >= 1, term
    assert re.search(r"\d+ of 13 wards in Norwich", text)
    assert profile.locator(".pm-assets a").count() >= 1
    assert (
        profile.locator(".pm-assets a")
        .first.get_attribute("href")
        .startswith(("/groups/", "/hubs/", "/spaces/"))
    )  # type: ignore[union-attr]
    assert profile.locator(".pm-neighbours button").count() >= 2
    assert page.locator("path.pm-area-selected").count() == 1
    assert f"area={MILE_CROSS}" in page.url
    page.screenshot(path=str(artifacts / "officer_map_profile_desktop.png"))
    assert axe(page) == []

    page.get_by_role("button", name="Back to all areas").click()
    assert page.locator("#pm-areas").is_visible() and profile.is_hidden()
    focused = page.evaluate(
        "document.activeElement.closest('li') && document.activeElement.closest('li').dataset.code"
    )
    assert focused == MILE_CROSS
    assert page.locator("path.pm-area-selected").count() == 0

    entry = page.locator("#pm-areas > li").nth(2)
    name = entry.locator(".pm-item-name").inner_text()
    entry.locator("button").focus()
    page.keyboard.press("Enter")
    wait_for_profile(page, name)
    assert page.locator(".pm-explanation").inner_text()
    page.keyboard.press("Escape")  # Escape closes the profile too, back to the entry
    assert profile.is_hidden() and page.evaluate("document.activeElement.closest('li').dataset.code") == (
        entry.get_attribute("data-code")
    )
    page.keyboard.press("Enter")
    wait_for_profile(page, name)
    neighbour = profile.locator(".pm-neighbours button").first
    other = neighbour.inner_text()
    neighbour.click()
    wait_for_profile(page, other)
    watch.check()


@pytest.mark.browser
def test_hostile_names_are_text_and_no_script_runs(desk: tuple[Page, Watch]) -> None:
    """A locality and a group named <img src=x onerror=alert(1)> show as text in the list, tooltip,
    profile and marker; nothing runs."""
    page, watch = desk
    update(page, Areas="locality")
    entry = page.locator("#pm-areas > li", has_text=HOSTILE)
    assert entry.count() == 1
    assert entry.locator(".pm-item-name").inner_text() == HOSTILE
    page.mouse.move(*point_in(page, HOSTILE_LOCALITY))
    tip = page.locator(".leaflet-tooltip")
    tip.wait_for(state="visible")
    assert tip.locator("strong").inner_text() == HOSTILE
    entry.locator("button").focus()
    page.keyboard.press("Enter")
    wait_for_profile(page, HOSTILE)
    assert page.locator("#pm-profile-title").inner_text() == HOSTILE
    assert page.locator(".pm-assets a", has_text=HOSTILE).count() == 1

    settle(page)  # the profile's area was fitted to the map: its markers, with none still to come
    marker = page.locator(f'.leaflet-marker-icon.pm-marker[title="{HOSTILE} (sample)"]')
    assert marker.count() == 1
    marker.dispatch_event("click")
    expect(page.locator(".leaflet-popup-content .pm-popup-name")).to_have_text(HOSTILE)

    assert page.locator("main img:not(.leaflet-tile):not(.leaflet-marker-icon), main script").count() == 0
    assert page.evaluate("[window.__pwned, typeof window.alert]") == [None, "function"]
    watch.check()


@pytest.mark.browser
def test_phone_layout(browser: Browser, live_url: str, app_settings: Settings, artifacts: Path) -> None:
    """At 390x844 the page fits the width, the map comes before the list, targets are 24px or more."""
    ctx, page, watch = open_officer_map(
        browser, live_url, app_settings, viewport=PHONE, is_mobile=True, has_touch=True
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert area_count(page) == NORWICH_WARDS
    settle(page)
    map_box = page.locator(".pm-map-wrap").bounding_box()
    list_box = page.locator("#pm-results").bounding_box()
    assert map_box and list_box and map_box["y"] + map_box["height"] <= list_box["y"]
    page.evaluate("document.querySelector('.pm-map-column').scrollIntoView()")
    page.screenshot(path=str(artifacts / "officer_map_phone.png"))
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, a, input, select, summary, .leaflet-marker-icon')]
            .filter(n => n.offsetParent !== null && !n.closest('.leaflet-control-attribution'))
            .map(n => [n.getBoundingClientRect(), n.textContent.trim().slice(0, 30) || n.id || n.className])
            .filter(([r]) => r.width < 24 || r.height < 24).map(([, label]) => label)"""
    )
    assert small == [], small
    assert axe(page) == []
    page.locator("#pm-areas > li button").first.click()
    wait_for_profile(page, page.locator("#pm-areas > li .pm-item-name").first.inner_text())
    page.screenshot(path=str(artifacts / "officer_map_profile_phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    watch.check()
    ctx.unroute_all(behavior="ignoreErrors")
    ctx.close()
