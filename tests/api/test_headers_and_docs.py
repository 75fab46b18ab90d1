"""The headers a council's security review asks for, on every answer, and /docs from the app's own files."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from api.middleware import tile_origin
from layers.settings import Settings
from tests.live_app import chromium, served
from tests.resident_browser import Watch

PAGES = ("/", "/analysis", "/sign-in", "/docs", "/health", "/areas?kind=district", "/nope")


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_has_the_security_headers(client: TestClient, path: str) -> None:
    """CSP (scripts from the app or with the answer's nonce, no framing), nosniff, no framing, referrer."""
    answer = client.get(path)
    csp = answer.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert (
        "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in answer.headers  # plain HTTP here: HSTS only over HTTPS


def test_hsts_over_https(client: TestClient) -> None:
    answer = client.get("https://testserver/health")
    assert answer.headers["strict-transport-security"].startswith("max-age=")


def test_inline_scripts_carry_the_answers_nonce(client: TestClient) -> None:
    """Every inline script of a page has the nonce of its own answer, which changes every time."""
    first, second = client.get("/"), client.get("/")
    nonces = []
    for answer in (first, second):
        nonce = answer.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
        nonces.append(nonce)
        inline = [tag for tag in answer.text.split("<script")[1:] if "src=" not in tag.split(">")[0]]
        assert inline and all(f'nonce="{nonce}"' in tag.split(">")[0] for tag in inline)
    assert nonces[0] != nonces[1]


def test_tile_host_is_the_only_other_image_source() -> None:
    assert tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://tile.openstreetmap.org"
    assert tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert tile_origin("") == "" and tile_origin("javascript:alert(1)") == ""


def test_docs_use_the_apps_own_swagger_ui(client: TestClient) -> None:
    """/docs loads Swagger UI from /static (pinned), never a CDN; /redoc sends you there."""
    page = client.get("/docs").text
    assert "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page.split("<body")[0]
    assert client.get("/redoc", follow_redirects=False).headers["location"] == "/docs"


@pytest.fixture(scope="module")
def live_url(settings: Settings) -> Iterator[str]:
    with served(settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def client_tags(live_url: str) -> list[str]:
    """The tags of the live app's operations, in the order Swagger UI lists them."""
    tags: list[str] = []
    for ops in httpx.get(live_url + "/openapi.json").json()["paths"].values():
        for op in ops.values():
            tags += [t for t in op.get("tags", []) if t not in tags]
    return tags


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/docs", "/sign-in"])
def test_pages_work_under_the_csp_in_chromium(
    browser: Browser, live_url: str, settings: Settings, path: str
) -> None:
    """In Chromium, under the real headers: the page works, with no CSP violation and nothing fetched from
    elsewhere (Swagger UI lists the API's operations from /openapi.json)."""
    ctx = browser.new_context()
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.goto(live_url + path)
    if path == "/docs":
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        # Swagger UI adds the operations tag by tag: wait until more than 20 are shown
        # Swagger UI renders a long document's operations as the reader scrolls: scroll until the last tag shows
        last = client_tags(live_url)[-1]
        page.wait_for_function(
            "id => { window.scrollBy(0, 600); return document.getElementById(id) !== null; }",
            arg=f"operations-tag-{last}",
            polling=100,
        )
    else:
        expect(page.locator("form input[type=password]")).to_be_visible()
    watch.check()
    ctx.close()


def test_an_unsupported_method_is_a_405_that_says_which_are_allowed(client: TestClient) -> None:
    answer = client.request("TRACE", "/health")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"
    assert answer.json()["error"] == "Method Not Allowed"
