"""Read another directory's ORUK feed: every service, fully nested, from its API (following the pages of
``/services`` and reading each ``/services/{id}``) or from a JSON file (a page, a list of services, or one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import httpx

from layers.errors import ImportFailed
from layers.importers.report import NoProgress, Progress, fail
from layers.oruk.ids import is_uuid

WHAT: Final = "ORUK services"
PER_PAGE: Final = 100
MAX_PAGES: Final = 10_000
TIMEOUT_S: Final = 30.0


def is_url(source: str) -> bool:
    """Whether ``source`` is the address of a feed (http or https) rather than a file."""
    return source.startswith(("http://", "https://"))


def read_services(
    source: str, *, progress: Progress | None = None, client: httpx.Client | None = None
) -> list[dict[str, Any]]:
    """Every service of the feed at ``source`` (a URL of the API, e.g. https://example.org/oruk, or a file)."""
    progress = progress or NoProgress()
    if not is_url(source):
        return _from_file(Path(source))
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=True)
    try:
        return _from_api(http, _base(source), progress)
    except httpx.HTTPError as exc:
        raise fail(WHAT, source, f"the feed could not be read ({type(exc).__name__}: {exc})",
                   "Check the address (the API's root, e.g. https://example.org/oruk) and that it answers.") from None  # fmt: skip
    finally:
        if own:
            http.close()


def _base(url: str) -> str:
    """The API's root from its address or its /services address."""
    base = url.split("?", 1)[0].rstrip("/")
    return base.removesuffix("/services")


def _get(http: httpx.Client, url: str, params: dict[str, Any] | None = None) -> Any:
    response = http.get(url, params=params, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise fail(WHAT, url, f"the feed answered {response.status_code}",
                   "Check the address: give the API's root, e.g. https://example.org/oruk.")  # fmt: skip
    try:
        return response.json()
    except ValueError:
        raise fail(WHAT, url, "the feed's answer is not JSON", "Give the address of an ORUK API.") from None


def _from_api(http: httpx.Client, base: str, progress: Progress) -> list[dict[str, Any]]:
    """Follow /services page by page, then read each service in full."""
    ids: list[str] = []
    progress.start(f"Reading the pages of {base}/services", None)
    for page in range(1, MAX_PAGES + 1):
        body = _get(http, f"{base}/services", {"page": page, "per_page": PER_PAGE})
        if not isinstance(body, dict) or not isinstance(body.get("contents"), list):
            raise fail(WHAT, base, "a page of /services has no contents list", "Is this an ORUK 3.0 API?")
        ids += [str(item.get("id")) for item in body["contents"] if isinstance(item, dict)]
        progress.advance()
        if body.get("last_page") is True or not body["contents"] or page >= int(body.get("total_pages") or 0):
            break
    services = []
    progress.start(f"Reading {len(ids):,} services", len(ids))
    for id_ in dict.fromkeys(ids):
        if not is_uuid(id_):  # never put a stranger's text into a path; the importer reports it
            services.append({"id": id_})
        else:
            services.append(_get(http, f"{base}/services/{id_}"))
        progress.advance()
    return services


def _from_file(path: Path) -> list[dict[str, Any]]:
    """The services of a JSON file: a page (with contents), a list of services, or one service."""
    try:
        body = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise ImportFailed(
            f"{WHAT}: {path.name} cannot be read as JSON; nothing was imported", str(exc)
        ) from None
    if isinstance(body, dict) and isinstance(body.get("contents"), list):
        body = body["contents"]
    elif isinstance(body, dict) and "id" in body:
        body = [body]
    if not isinstance(body, list):
        raise fail(WHAT, path.name, "the file holds no services",
                   "Give a page of /services, a list of services or one service, as JSON.")  # fmt: skip
    return [item if isinstance(item, dict) else {} for item in body]
