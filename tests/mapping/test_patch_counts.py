"""Every count on the co-ordinator's patch page equals the length of the list it summarises.

The convention every section follows: a count is ``<span class="pm-count" data-count-of="LIST_ID">N</span>``
and ``LIST_ID`` is the id of the element (``ul``, ``ol``, ``tbody``) whose direct children it counts. The
generic test reads every ``.pm-count`` on the rendered page (so it covers sections added later) and checks
the number against the list; the tests after it check each count against the API's own list of the same
things (``/districts/{d}/stale``, ``/moderation/queue``, ``/bookings?status=requested``, the summary JSON).

The page is the demo's Norwich patch with a pending offer and booking requests present. It uses the booking
pages' module database (the demo, a test hub with two rooms, co-ordinators), made again for this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from layers.settings import Settings
from tests.mapping import test_booking_pages as shared
from tests.mapping.test_booking_pages import NORWICH, book, sign_in, tomorrow

app_settings = shared.app_settings
rooms = shared.rooms
web = shared.web

PATCH = f"/patch/{NORWICH}"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
OFFER = {
    "offer": "Driving people to appointments on Saturdays",
    "skills": "driving",
    "days": ["sa"],
    "postcode": "NR2 1AW",
    "contact": {"name": "Sam Counter", "email": "sam.counter@example.org"},
    "consent": True,
}


@dataclass
class Element:
    """An element of the page: its tag, attributes, direct element children and text."""

    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    text: str = ""


class Tree(HTMLParser):
    """A small DOM: every element by id, and every element in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]
        self.by_id: dict[str, list[Element]] = {}
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        self.all.append(el)
        if "id" in el.attrs:
            self.by_id.setdefault(el.attrs["id"], []).append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for el in self.stack[1:]:
            el.text += data


def parse(html: str) -> Tree:
    """The page as a Tree."""
    tree = Tree()
    tree.feed(html)
    tree.close()
    return tree


def counts_of(html: str) -> dict[str, tuple[int, int]]:
    """Every .pm-count on the page: LIST_ID -> (the number shown, the list's direct children). Fails if a
    count has no data-count-of, names no element or more than one, or is not a number."""
    tree = parse(html)
    found: dict[str, tuple[int, int]] = {}
    for el in tree.all:
        if "pm-count" not in el.attrs.get("class", "").split():
            continue
        target = el.attrs.get("data-count-of")
        assert target, f"a count without data-count-of: {el.attrs} {el.text!r}"
        lists = tree.by_id.get(target, [])
        assert len(lists) == 1, f"data-count-of={target!r} names {len(lists)} elements"
        assert el.text.strip().isdigit(), f"the count of {target} is not a number: {el.text!r}"
        assert target not in found, f"two counts of {target}"
        found[target] = (int(el.text.strip()), len(lists[0].children))
    return found


@pytest.fixture(scope="module")
def busy(web: TestClient, rooms: dict[str, Any]) -> dict[str, Any]:
    """A pending offer of help from a resident, and two booking requests in Norwich."""
    web.cookies.clear()
    offer = web.post("/submissions/help", json=OFFER)
    assert offer.status_code == 201, offer.text
    made = [book(web, rooms["room"], tomorrow(), at) for at in ("09:00", "13:00")]
    return {"offer": offer.json()["reference"], "bookings": [m["reference"] for m in made]}


@pytest.fixture
def page(web: TestClient, busy: dict[str, Any]) -> str:
    """The Norwich patch page, as its co-ordinator sees it."""
    sign_in(web, "norwich")
    r = web.get(PATCH)
    assert r.status_code == 200, r.text
    return r.text


def test_every_count_on_the_patch_page_equals_its_list(page: str) -> None:
    """Every .pm-count names its list with data-count-of, and shows the number of that list's items."""
    counts = counts_of(page)
    wrong = {k: v for k, v in counts.items() if v[0] != v[1]}
    assert not wrong, f"counts that disagree with their lists (shown, listed): {wrong}"
    # The sections there are today; later sections add to these, and are checked by the lines above.
    for list_id in ("pm-mod-list", "pm-stale-list", "pm-spaces-list", "pm-book-requests-list",
                    "pm-book-week-list", "pm-book-free-list", "pm-book-rules-list", "pm-book-messages-list"):  # fmt: skip
        assert list_id in counts, list_id


def test_the_counts_helper_catches_a_count_that_disagrees() -> None:
    """The checker itself: a count of 0 over 132 items, or one that names no list, fails."""
    items = "".join(f"<li>{i}</li>" for i in range(132))
    assert counts_of(f'<h2>Needs checking <span class="pm-count" data-count-of="x">0</span></h2><ul id="x">{items}</ul>') == {"x": (0, 132)}  # fmt: skip
    with pytest.raises(AssertionError):
        counts_of('<span class="pm-count">3</span>')
    with pytest.raises(AssertionError):
        counts_of('<span class="pm-count" data-count-of="nowhere">0</span>')


def _count(page: str, list_id: str) -> int:
    return counts_of(page)[list_id][0]


def _items(page: str, list_id: str) -> list[Element]:
    return parse(page).by_id[list_id][0].children


def test_needs_checking_is_the_stale_list_of_the_api(web: TestClient, page: str) -> None:
    """ "Needs checking N" is the length of GET /districts/{d}/stale (never-confirmed records included), and
    lists the same records in the same order."""
    api = web.get(f"/districts/{NORWICH}/stale")
    assert api.status_code == 200
    stale = api.json()
    assert len(stale) > 100  # the demo's records have never been confirmed
    assert _count(page, "pm-stale-list") == len(stale)
    listed = [li.attrs["id"] for li in _items(page, "pm-stale-list")]
    assert listed == [f"pm-stale-{r['kind']}-{r['id']}" for r in stale]
    summary = web.get(f"{PATCH}/summary").json()["stale"]
    assert summary["count"] == len(summary["records"]) == len(stale)


def test_offers_waiting_is_the_moderation_queue(web: TestClient, page: str, busy: dict[str, Any]) -> None:
    """ "Offers waiting for a decision N" is the length of GET /moderation/queue for the district."""
    queue = web.get("/moderation/queue", params={"district": NORWICH}).json()
    assert busy["offer"] in {q["reference"] for q in queue}
    assert _count(page, "pm-mod-list") == len(queue) >= 1
    assert sorted(li.attrs["data-reference"] for li in _items(page, "pm-mod-list")) == sorted(
        q["reference"] for q in queue
    )


def test_spaces_available_is_every_available_space(
    web: TestClient, page: str, app_settings: Settings
) -> None:
    """ "Spaces available now N" lists every one (no cap): the summary's list, and the spaces of the district
    whose status is available."""
    summary = web.get(f"{PATCH}/summary").json()["spaces_available"]
    assert summary["count"] == len(summary["spaces"]) == _count(page, "pm-spaces-list")
    with psycopg.connect(app_settings.database.url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM spaces s JOIN areas l ON l.code = s.lsoa_code "
            "WHERE l.parent_code = %s AND s.status = 'available'",
            (NORWICH,),
        ).fetchone()
    assert row is not None and row[0] == summary["count"]
    listed = [li.attrs["data-url"] for li in _items(page, "pm-spaces-list")]
    assert listed == [s["url"] for s in summary["spaces"]]


def test_booking_requests_are_the_bookings_waiting(web: TestClient, page: str, busy: dict[str, Any]) -> None:
    """ "Booking requests N" is the length of GET /bookings?district=&status=requested."""
    waiting = web.get("/bookings", params={"district": NORWICH, "status": "requested"}).json()
    assert set(busy["bookings"]) <= {b["reference"] for b in waiting}
    assert _count(page, "pm-book-requests-list") == len(waiting)
    week = _items(page, "pm-book-week-list")
    assert _count(page, "pm-book-week-list") == len(week) >= 2
