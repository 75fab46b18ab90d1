"""Driving the residents' map in headless Chromium: what leaves the machine, errors, axe, searching.

Shared by the browser tests (tests/mapping/, tests/api/test_moderation_flow.py); no fixtures here (they
live in the test modules).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Locator, Page, Route

from layers.settings import Settings
from tests.waiting import until

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.10.2" / "axe.min.js"
POSTCODE = "NR2 1AW"
HOSTILE = "<img src=x onerror=alert(1)>"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Watch:
    """Every request (local, tile, elsewhere: only local ones go through) and every error or dialog."""

    def __init__(self, live_url: str, tile_url: str) -> None:
        self.local_host = urlparse(live_url).netloc
        self.tile_host = urlparse(tile_url).netloc if tile_url else None
        self.local: list[str] = []
        self.tiles: list[str] = []
        self.elsewhere: list[str] = []
        self.problems: list[str] = []

    def route(self, route: Route) -> None:
        """Let local requests through; abort tiles (as offline) and anything else (a fault)."""
        url = route.request.url
        host = urlparse(url).netloc
        if host == self.local_host:
            self.local.append(url)
            route.continue_()
            return
        (self.tiles if host == self.tile_host else self.elsewhere).append(url)
        route.abort()

    def console(self, msg: ConsoleMessage) -> None:
        """A console error is a problem unless it is a blocked tile or an answer the page handles (4xx)."""
        url = msg.location.get("url", "")
        handled = "status of 4" in msg.text  # e.g. the 422 or 429 a form test asks for
        if "Content Security Policy" in msg.text:  # a CSP violation is always a fault, whatever its level
            self.problems.append(f"CSP violation: {msg.text} at {url}")
        elif (
            msg.type == "error"
            and not (self.tile_host and urlparse(url).netloc == self.tile_host)
            and not handled
        ):
            self.problems.append(f"console: {msg.text} at {url}")

    def dialog(self, dialog: Dialog) -> None:
        """No page should ever open a dialog (alert() from injected script above all)."""
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def check(self) -> None:
        """Nothing left the machine, and nothing went wrong."""
        assert self.elsewhere == [], f"requests left this machine: {self.elsewhere}"
        assert self.problems == []


def wait_for(page: Page, expression: str, arg: Any = None, timeout: float = 30_000) -> Any:
    """Wait until ``expression`` (a JavaScript expression, or a function given ``arg``) is truthy in the page;
    its value. Polled through the DevTools protocol, which the pages' Content-Security-Policy does not
    govern: Playwright's own wait_for_function evaluates its predicate with eval, which the CSP (rightly)
    refuses. A condition wait: the poll interval is only how often the condition is looked at."""
    return until(
        lambda: page.evaluate(expression, arg), f"the page to make true: {expression}", timeout / 1000
    )


def open_page(
    browser: Browser, live_url: str, settings: Settings, **context: Any
) -> tuple[BrowserContext, Page, Watch]:
    """A fresh context and page on `/`, watched, with the map's first markers loaded."""
    ctx = browser.new_context(viewport=context.pop("viewport", DESKTOP), **context)
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.on("dialog", watch.dialog)
    page.goto(live_url + "/")
    wait_for_load(page, 0)
    return ctx, page, watch


def wait_for_load(page: Page, after: int) -> None:
    wait_for(
        page,
        "n => window.Patchmap && Patchmap.current && Patchmap.current.loads > n "
        "&& document.body.dataset.mapState === 'ready'",
        arg=after,
        timeout=20_000,
    )


def search(page: Page, where: str, *, samples: bool = False) -> None:
    """Type a postcode or place and press Search; wait for the results.

    With ``samples``, wait too until the page has marked the sample places among them. The search's answer does
    not say which places are sample data, so after the results the page asks the marker layer for the search's
    area (``cluster_over=5000``) and then badges the entries and retitles the markers ("... (sample)").
    """
    loads = page.evaluate("Patchmap.current.loads")
    page.get_by_label("Postcode or place").fill(where)
    button = page.get_by_role("button", name="Search", exact=True)
    if not samples:
        button.click()
        wait_for_load(page, loads)
        return
    with page.expect_response(
        lambda r: "/map/markers.geojson" in r.url and "cluster_over=5000" in r.url
    ) as asked:
        button.click()
        wait_for_load(page, loads)
    features = asked.value.json()["features"]
    keys = [
        f"{f['properties']['kind']}/{f['properties']['id']}"
        for f in features
        if f["properties"].get("sample")
    ]
    wait_for(page, "keys => keys.every(k => Patchmap.text.sampleKeys[k])", arg=keys)


def wait_for_details(page: Page, key: str) -> None:
    """Wait until the residents' map has fetched the full public record of a selected place (``key``: "group/12")
    and redrawn its details with it; until then the details show what the list knew."""
    wait_for(
        page,
        "key => { const m = Patchmap.current; return !m.config.detailUrls[key.split('/')[0]] || !!m.details[key]; }",
        arg=key,
    )


# Nothing moves: no map animating (zoom, pan, clusters) and no CSS transition running (markers and popups fade).
# document.getAnimations() brings styles up to date first, so a transition just asked for is counted too.
STILL = (
    "!document.querySelector('.leaflet-cluster-anim, .leaflet-zoom-anim, .leaflet-pan-anim') "
    "&& !document.getAnimations().some(a => a.playState === 'running')"
)


def wait_until_still(page: Page) -> None:
    """Wait until nothing on the page is moving (see STILL).

    Leaflet starts an animated zoom in the next animation frame: wait for that frame first (its callbacks run in
    the order asked for, so the zoom's has run by the time this one does), then for the page to be still.
    """
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => done(null)))")
    wait_for(page, STILL)


def wait_for_view_markers(page: Page, app: str) -> None:
    """On the officers' or the patch map (``app``: "Patchmap.officer", "Patchmap.patch"), wait until the map has
    stopped moving and shows the groups, hubs and spaces of its view, with no reload of them still to come.

    These maps reload their markers 300 ms after the map stops moving. Rather than guess when that has happened,
    this cancels the pending reload, asks for the view's markers at once and waits until they are drawn; the map
    is still, so nothing asks again.
    """
    wait_until_still(page)
    loads = page.evaluate(
        f"() => {{ const a = {app}.assetLayers; window.clearTimeout(a.timer); const n = a.loads; a.load(); return n; }}"
    )
    wait_for(page, f"n => {app}.assetLayers.loads > n", arg=loads)


def axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    # Markers fade in and clusters animate: check the page once it is still.
    wait_until_still(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Through the DevTools protocol, which a page's CSP does not govern (a <script> tag would be
        # refused, rightly: the pages allow no inline script without their nonce).
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def counts_that_disagree(page: Page) -> dict[str, list[int]]:
    """Every count (``.pm-count[data-count-of]``) on the page as it is now, after any in-page action, whose
    number differs from the length of the list it names: list id -> [shown, listed]. Empty when all agree."""
    return dict(
        page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('.pm-count[data-count-of]')]
                .map(c => [c.dataset.countOf, [parseInt(c.textContent, 10),
                           (document.getElementById(c.dataset.countOf) || {children: []}).children.length]])
                .filter(([, v]) => v[0] !== v[1]))"""
        )
    )


def marker_counts(page: Page) -> dict[str, int]:
    return dict(
        page.evaluate(
            """() => ({
                markers: document.querySelectorAll('.leaflet-marker-icon.pm-marker').length,
                clusters: document.querySelectorAll('.leaflet-marker-icon.pm-cluster-icon').length,
                items: document.querySelectorAll('#pm-list > li').length,
                serving: document.querySelectorAll('#pm-serving-list > li').length,
            })"""
        )
    )


FILL: dict[str, dict[str, str]] = {
    "help": {
        "What could you help with?": "Driving to appointments, and gardening",
        "Skills you'd like to use": "driving, gardening",
        "Your postcode": "NR2 1AW",
    },
    "group": {
        "Name of the group": "Tuesday Knitters",
        "What does the group do, and who is it for?": "We knit and chat; everyone is welcome.",
        "Postcode where it meets": "NR2",
    },
    "space": {
        "Name of the space": "St Mark's back room",
        "Tell us about it": "A warm room for 20 with a kitchen.",
        "Postcode of the space": "NR2 1AW",
    },
}
SELECT: dict[str, dict[str, str]] = {
    "group": {"Type of group": "arts-culture"},
    "space": {"What kind of space is it?": "room"},
}


def fill_offer_form(form: Locator, kind: str) -> None:
    """Answer every question of a form, as a resident would."""
    for label, value in FILL[kind].items():
        form.get_by_label(label).fill(value)
    for label, value in SELECT.get(kind, {}).items():
        form.get_by_label(label).select_option(value)
    form.get_by_label("Your name").fill("Sam Resident")
    form.get_by_label("Email address").fill("sam@example.org")
    form.locator('input[name="consent"]').check()
