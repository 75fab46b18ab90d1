"""The district co-ordinator's patch (`/patch/{district}`), its summary JSON, ward packs and the sign-in page.

This module has its own database (the demo, plus users, partners, a pending offer, an audit entry and a stale
record, some named to run script), because users must be committed for the app's own connections to see them
and the audit log cannot be cleaned (it is append-only). The browser test signs in through the form on a live
server, with nothing allowed to leave the machine; axe-core (tests/vendor) checks accessibility; screenshots and
the printed ward pack go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from psycopg.types.json import Jsonb
from sqlalchemy import Connection

from api.main import create_app
from api.patch_schemas import PatchSummary
from layers.access import auth
from layers.settings import AccessSettings, Settings
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import AXE, DESKTOP, HOSTILE, PHONE, Watch, axe, wait_for, wait_for_view_markers

NORWICH, BRECKLAND = "E07000148", "E07000143"
NORWICH_WARDS = 13
MILE_CROSS = "E05005883"
PASSWORD = "correct horse battery staple"
USERS = {
    "norwich": ("norwich.coordinator@example.gov.uk", "coordinator", [NORWICH]),
    "breckland": ("breckland.coordinator@example.gov.uk", "coordinator", [BRECKLAND]),
    "officer": ("officer@example.gov.uk", "officer", []),
}
PRIVATE_EMAIL = "resident.private@example.org"
FORMULA = '=HYPERLINK("http://evil.example","x")'
assert AXE.is_file()


# ---------------------------------------------------------------- fixtures: a database, the app, a browser


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """This module's own database with the demo and the rows above; cookies allowed over http for the tests."""

    def users(conn: Connection) -> None:
        for email, role, districts in USERS.values():
            auth.create_user(conn, email=email, name=f"Test {role}", role=role, password=PASSWORD,
                             districts=districts)  # fmt: skip

    with demo_database(
        server_url, "patchmap_patch", setup=users, access=AccessSettings(secure_cookies=False)
    ) as settings:
        _add_patch_rows(settings)
        yield settings


def _add_patch_rows(settings: Settings) -> None:
    """A partner and a hub named to run script, a pending offer with a private email, an audit entry, and
    a hub last confirmed two years ago (stale)."""
    with psycopg.connect(settings.database.url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO partners (district_code, name, role, website) VALUES (%s, %s, %s, %s), (%s, %s, %s, %s)",
            (NORWICH, HOSTILE, "Runs <b>lunch</b> clubs", "javascript:alert(1)",
             NORWICH, "Norwich Good Neighbours", "Befriending", "https://example.org/gn"),
        )  # fmt: skip
        conn.execute(
            """INSERT INTO submissions (reference, kind, status, details, contact, district_code, client_key)
               VALUES ('PM-TESTPEND', 'group', 'pending', %s, %s, %s, 'k'),
                      ('PM-TESTDONE', 'space', 'approved', '{}', '{}', %s, 'k'),
                      ('PM-TESTBREK', 'help', 'pending', '{}', '{}', %s, 'k')""",
            (Jsonb({"name": "Knitters"}), Jsonb({"email": PRIVATE_EMAIL}), NORWICH, NORWICH, BRECKLAND),
        )
        conn.execute(
            """INSERT INTO audit_log (actor_id, actor_role, district_code, action, object_type, object_id)
               VALUES (NULL, 'coordinator', %s, 'approve', 'submission', 'PM-TESTDONE')""",
            (NORWICH,),
        )
        row = conn.execute(
            """UPDATE hubs SET name = %s, last_verified_at = now() - interval '730 days'
               WHERE id = (SELECT h.id FROM hubs h JOIN areas l ON l.code = h.lsoa_code
                           WHERE l.parent_code = %s AND h.ward_code = %s ORDER BY h.id LIMIT 1)
               RETURNING id""",
            (HOSTILE, NORWICH, MILE_CROSS),
        ).fetchone()
        assert row is not None


@pytest.fixture(scope="module")
def web(app_settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on the app (cookies flow over http://testserver)."""
    with TestClient(create_app(app_settings)) as c:
        yield c


def sign_in(web: TestClient, who: str) -> None:
    """Sign in through the form's POST as one of USERS (the cookie stays on the client)."""
    web.cookies.clear()
    r = web.post("/auth/sign-in", data={"email": USERS[who][0], "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text


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


# ---------------------------------------------------------------- who may see a patch


def test_anonymous_visitors_are_sent_to_sign_in(web: TestClient) -> None:
    """Not signed in: the pages redirect (303) to /sign-in; the data answers 401 with the usual error body."""
    web.cookies.clear()
    for path in (f"/patch/{NORWICH}", f"/patch/{NORWICH}/wards/{MILE_CROSS}/pack"):
        r = web.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/sign-in"
    for path in (f"/patch/{NORWICH}/summary", f"/patch/{NORWICH}/wards/{MILE_CROSS}/pack.csv"):
        r = web.get(path)
        assert r.status_code == 401 and set(r.json()) == {"error", "detail"}
    web.cookies.set("patchmap_session", "not-a-session")  # a stale cookie is a visitor too
    assert web.get(f"/patch/{NORWICH}", follow_redirects=False).status_code == 303
    web.cookies.clear()


def test_sign_in_page_and_a_failed_sign_in(web: TestClient) -> None:
    """GET /sign-in is a labelled form; a wrong password from a browser comes back to it, saying so."""
    web.cookies.clear()
    r = web.get("/sign-in")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="en">' in html and 'action="/auth/sign-in"' in html and 'method="post"' in html
    assert '<label for="pm-email">' in html and 'id="pm-email" name="email"' in html
    assert '<label for="pm-password">' in html and 'autocomplete="current-password"' in html
    assert "wrong" not in html
    r = web.post("/auth/sign-in", data={"email": USERS["norwich"][0], "password": "not the password at all"},
                 headers={"Accept": "text/html,application/xhtml+xml"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?failed=1"
    failed = web.get("/sign-in?failed=1").text
    assert 'role="alert"' in failed and "The email address or password is wrong" in failed
    assert "<title>Error: " in failed and 'aria-invalid="true"' in failed
    api = web.post(
        "/auth/sign-in", data={"email": USERS["norwich"][0], "password": "not the password at all"}
    )
    assert api.status_code == 401  # API clients still get the JSON error


def test_breckland_coordinator_cannot_see_norwich(web: TestClient) -> None:
    """Another district's co-ordinator: a 403 page saying why, and 403 from the data; their own works."""
    sign_in(web, "breckland")
    r = web.get(f"/patch/{NORWICH}")
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "outside your districts" in r.text and BRECKLAND in r.text
    assert web.get(f"/patch/{NORWICH}/summary").status_code == 403
    assert web.get(f"/patch/{NORWICH}/wards/{MILE_CROSS}/pack").status_code == 403
    assert web.get(f"/patch/{NORWICH}/wards/{MILE_CROSS}/pack.geojson").status_code == 403
    own = web.get(f"/patch/{BRECKLAND}")
    assert own.status_code == 200 and "Breckland: your patch" in own.text
    web.cookies.clear()


def test_norwich_coordinator_sees_the_patch_with_its_panels(web: TestClient) -> None:
    """The Norwich co-ordinator's page: map, key needs, every panel, escaped names, no private contact."""
    sign_in(web, "norwich")
    r = web.get(f"/patch/{NORWICH}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "no-store" in r.headers["cache-control"]
    html = r.text
    assert "<title>Patchmap: Norwich patch</title>" in html and "Norwich: your patch" in html
    for heading in ("Key needs", "Groups, hubs and spaces", "Offers waiting for a decision", "Needs checking",
                    "Spaces available now", "Recent changes", "Partners"):  # fmt: skip
        assert f">{heading}" in html, heading
    assert len(re.findall(r'<li class="pm-item pm-area-item"', html)) == 5
    assert "Mile Cross" in html and f"/patch/{NORWICH}/wards/{MILE_CROSS}/pack" in html
    assert "PM-TESTPEND" in html and "PM-TESTBREK" not in html and 'pm-ref">PM-TESTDONE' not in html
    assert PRIVATE_EMAIL not in html
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>lunch</b>" not in html and 'href="javascript:' not in html
    assert 'href="https://example.org/gn"' in html
    assert "Approved" in html and "District co-ordinator" in html  # the audit entry
    assert 'name="csrf_token"' in html and 'action="/auth/sign-out"' in html
    links = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    allowed = (
        "/",
        "#",
        "data:",
        "https://example.org",
        "https://www.openstreetmap.org",  # the tiles' credit
        "mailto:",
        "tel:",
    )  # the area's named council contact (public)
    assert [link for link in links if link and not link.startswith(allowed)] == []
    assert "FeatureCollection" not in html  # wards load from the API
    assert (
        'pm-record" id="pm-stale-' in html
        and '</a> <span class="pm-badge pm-badge--sample">sample</span>' in html
    )


def test_officer_sees_any_district(web: TestClient) -> None:
    """An officer covers every district."""
    sign_in(web, "officer")
    for code in (NORWICH, BRECKLAND):
        assert web.get(f"/patch/{code}").status_code == 200
        assert web.get(f"/patch/{code}/summary").status_code == 200
    assert web.get("/patch/E99999999").status_code == 404
    web.cookies.clear()


def test_summary_json_has_every_panel(web: TestClient) -> None:
    """GET /patch/{district}/summary matches its model and holds each panel's data, no private contact."""
    sign_in(web, "norwich")
    r = web.get(f"/patch/{NORWICH}/summary")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    summary = PatchSummary.model_validate(body)
    assert summary.district.name == "Norwich"
    assert summary.key_needs.wards_ranked == NORWICH_WARDS and len(summary.key_needs.wards) == 5
    assert [w.priority for w in summary.key_needs.wards] == [1, 2, 3, 4, 5]
    assert all(w.explanation.startswith(w.name + ": ") for w in summary.key_needs.wards)
    assert sum(summary.key_needs.classes.values()) == NORWICH_WARDS
    kinds = {k.kind: k.count for k in summary.assets.by_kind}
    assert set(kinds) == {"group", "hub", "space"} and all(kinds.values())
    assert summary.assets.total == sum(kinds.values())
    assert sum(c.count for c in summary.assets.by_category if c.kind == "hub") == kinds["hub"]
    # Needs checking: never confirmed (the demo's records), then the hub last confirmed two years ago; all listed.
    stale = summary.stale.records
    assert summary.stale.count == len(stale) > 100 and stale[-1].name == HOSTILE and stale[-1].ever_confirmed
    assert not any(r.ever_confirmed for r in stale[:-1])
    # The demo's made-up venues are labelled sample here as on the map; the real records are not.
    flagged = {r.name for r in stale if r.sample}
    assert flagged and len(flagged) < len(stale) and HOSTILE not in flagged
    assert [p.reference for p in summary.pending.submissions] == ["PM-TESTPEND"]
    assert summary.spaces_available.count == kinds["space"] > 0
    assert [c.action for c in summary.recent_changes][:1] == ["approve"]
    assert {p.name for p in summary.partners} == {HOSTILE, "Norwich Good Neighbours"}
    assert PRIVATE_EMAIL not in r.text and "Knitters" not in r.text
    web.cookies.clear()


def test_ward_pack_html_csv_and_geojson(web: TestClient) -> None:
    """A ward pack: printable HTML with measures and assets, spreadsheet-safe CSV, GeoJSON with the boundary."""
    sign_in(web, "norwich")
    base = f"/patch/{NORWICH}/wards/{MILE_CROSS}/pack"
    page = web.get(base)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<h1>Mile Cross</h1>" in html and "IMD decile" in html and "Priority" in html
    assert f'href="{base}.csv"' in html and f'href="{base}.geojson"' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and HOSTILE not in html
    assert "@media print" in web.get("/static/css/patchmap-patch.css").text

    r = web.get(base + ".csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    sections = {row["section"] for row in rows}
    assert sections == {"ward", "explanation", "measure", "asset"}
    assert any(row["name"] == "IMD decile (1 = most deprived tenth of England)" for row in rows)
    assert any(row["name"] == HOSTILE and row["kind"] == "hub" for row in rows)

    g = web.get(base + ".geojson")
    assert g.status_code == 200 and g.headers["content-type"] == "application/geo+json"
    fc = g.json()
    assert fc["type"] == "FeatureCollection" and fc["ward"]["code"] == MILE_CROSS
    first = fc["features"][0]
    assert first["id"] == MILE_CROSS and first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert first["properties"]["explanation"].startswith("Mile Cross: ")
    points = [f for f in fc["features"][1:] if f["geometry"]]
    assert points and all(f["geometry"]["type"] == "Point" for f in points)
    assert web.get(f"/patch/{NORWICH}/wards/E05005800/pack").status_code == 404  # not a Norwich ward
    web.cookies.clear()


def test_ward_pack_csv_is_spreadsheet_safe(web: TestClient, app_settings: Settings) -> None:
    """A name starting with = is written as text ('=...), never as a formula."""
    with psycopg.connect(app_settings.database.url, autocommit=True) as conn:
        conn.execute(
            "UPDATE hubs SET name = %s WHERE id = (SELECT id FROM hubs WHERE ward_code = %s AND name <> %s "
            "ORDER BY id LIMIT 1)",
            (FORMULA, MILE_CROSS, HOSTILE),
        )
    sign_in(web, "officer")
    text = web.get(f"/patch/{NORWICH}/wards/{MILE_CROSS}/pack.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    names = [row["name"] for row in rows]
    assert "'" + FORMULA in names and FORMULA not in names
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())
    web.cookies.clear()


# ---------------------------------------------------------------- in the browser


@pytest.mark.browser
def test_sign_in_through_the_form_and_see_the_patch(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path
) -> None:
    """The Norwich co-ordinator signs in through the form, lands on the patch: 13 wards, the panels, no axe
    problems; screenshots (desktop and phone) and the ward pack printed to PDF."""
    ctx = browser.new_context(viewport=DESKTOP)
    watch = Watch(live_url, app_settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.on("dialog", watch.dialog)

    page.goto(f"{live_url}/patch/{NORWICH}")
    assert page.url.endswith("/sign-in")
    assert axe(page) == []
    page.get_by_label("Work email address").fill(USERS["norwich"][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/patch/{NORWICH}")
    wait_for(
        page,
        "window.Patchmap && Patchmap.patch && Patchmap.patch.loads > 0 && document.body.dataset.mapState === 'ready'",
        timeout=30_000,
    )
    wait_for(page, "Patchmap.patch.assetLayers.loads > 0 && !document.querySelector('.leaflet-zoom-anim')")
    assert page.get_by_role("heading", level=1).inner_text() == "Norwich: your patch"
    assert page.get_by_role("region", name=re.compile("Map of Norwich")).is_visible()
    # The wards are drawn from the vector tiles (a ward meeting two tiles has a path in each): count codes.
    assert any("/ogc/collections/wards/tiles/WebMercatorQuad/" in u for u in watch.local)
    codes = "new Set([...document.querySelectorAll('.pm-map path.pm-area[data-code]')].map(p => p.dataset.code)).size"
    assert page.evaluate(codes) == NORWICH_WARDS
    expect(page.locator(".pm-map path.pm-district-line")).to_have_count(1)  # the outline loads on its own
    assert page.locator(".leaflet-marker-icon.pm-marker").count() > 5
    for name in ("Key needs", "Offers waiting for a decision", "Needs checking", "Spaces available now",
                 "Recent changes", "Partners"):  # fmt: skip
        assert page.get_by_role("heading", name=re.compile("^" + name)).is_visible(), name
    assert page.get_by_text(HOSTILE).first.is_visible()  # shown as text, never run
    assert page.get_by_role("button", name="Sign out").is_visible()
    wait_for_view_markers(page, "Patchmap.patch")
    # The key (need x provision) sits under the map, as wide as it, and ends inside the map's row: the panels
    # below start after it (the booking calendar's key once shared its class name and shrank it to a swatch
    # that spilled its table over "Offers waiting for a decision").
    boxes = page.evaluate(
        """() => Object.fromEntries(['#pm-key', '.pm-map-wrap', '.pm-layout', '.pm-panels'].map(s => {
             const r = document.querySelector(s).getBoundingClientRect();
             return [s, {top: r.top, bottom: r.bottom, width: r.width}]; }))"""
    )
    key, wrap, layout = boxes["#pm-key"], boxes[".pm-map-wrap"], boxes[".pm-layout"]
    assert key["width"] >= 0.9 * wrap["width"] and key["top"] >= wrap["bottom"], boxes
    assert key["bottom"] <= layout["bottom"] <= boxes[".pm-panels"]["top"], boxes
    page.screenshot(path=str(artifacts / "patch_page_desktop.png"), full_page=True)
    assert axe(page) == []

    # Select the first key need: its profile, with a link to its ward pack.
    page.locator(".pm-show-ward").first.click()
    wait_for(page, "document.body.dataset.profileState === 'ready'", timeout=30_000)
    assert page.get_by_role("link", name="Ward pack (printable, with data)").is_visible()
    wait_for_view_markers(page, "Patchmap.patch")  # the map was fitted to the ward
    page.screenshot(path=str(artifacts / "patch_page_profile_desktop.png"))
    assert axe(page) == []

    # The ward pack, printed to PDF as a browser would.
    page.goto(f"{live_url}/patch/{NORWICH}/wards/{MILE_CROSS}/pack")
    assert page.get_by_role("heading", level=1).inner_text() == "Mile Cross"
    assert axe(page) == []
    page.emulate_media(media="print")
    assert page.locator(".pm-pack-nav").is_hidden()
    page.screenshot(path=str(artifacts / "ward_pack_print.png"), full_page=True)
    page.pdf(path=str(artifacts / "ward_pack.pdf"), format="A4", print_background=True)
    pdf = (artifacts / "ward_pack.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 3, pages  # sections start on new pages
    page.emulate_media(media="screen")
    page.screenshot(path=str(artifacts / "ward_pack_desktop.png"), full_page=True)

    # On a phone.
    phone = ctx.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"{live_url}/patch/{NORWICH}")
    wait_for(phone, "window.Patchmap && Patchmap.patch && Patchmap.patch.loads > 0", timeout=30_000)
    expect(phone.locator(".pm-map path.pm-district-line")).to_have_count(1)
    wait_for_view_markers(phone, "Patchmap.patch")
    phone.screenshot(path=str(artifacts / "patch_page_phone.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Sign out with the button: the patch sends us to sign in again.
    page.goto(f"{live_url}/patch/{NORWICH}")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_url}/")  # signed out, the app sends the browser to the residents' map
    page.goto(f"{live_url}/patch/{NORWICH}")
    assert page.url.endswith("/sign-in")
    watch.check()
    ctx.close()
