"""A 2xx means it is kept, and a missing database is a quick 503 that mends itself.

On a cluster of the tests' own (``Cluster``), with the demo loaded and the app served by uvicorn:

- **Crash**: in each of 20 rounds, clients from distinct loopback addresses send offers of help while the
  postmaster is killed with SIGKILL and started again. Each offer carries its own Idempotency-Key and is
  retried with it until it is acknowledged (2xx). Then every acknowledged offer must be stored exactly
  once (its marker in one row, under the reference the client was given) and no offer stored twice.
  The same for bookings (10 rounds): each client books free hours of the demo's rooms, each with its own
  key; every acknowledged booking is stored once, under its reference, with its slot live.
- **Outage**: in each of 5 cycles, the database is stopped; requests to endpoints that need it must be
  answered 503 with Retry-After and the API's error body; when it is started again, the API must be whole
  again without a restart.

How long the 503s and the recovery took is measured and written to ``tests/artifacts/reliability.json``
(RELIABILITY.md quotes it); the tests wait for conditions and assert no timing.
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from layers.settings import BookingSettings, Settings, SubmissionSettings
from tests.conftest import ARTIFACTS
from tests.live_app import demo_database, served
from tests.reliability.cluster import Cluster
from tests.waiting import until

pytestmark = pytest.mark.reliability

ROUNDS = 20
CYCLES = 5
CLIENTS = 6
REPORT = ARTIFACTS / "reliability.json"
OFFER = {
    "skills": ["driving"],
    "categories": ["mutual-aid"],
    "postcode": "NR2 1AW",
    "contact": {"name": "Crash Test", "email": "crash.test@example.org"},
    "consent": True,
}


@dataclass
class Live:
    """The app on its crashable cluster."""

    cluster: Cluster
    url: str
    settings: Settings


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    """A cluster of the module's own, the demo in it, and the app served on it (rate limits lifted)."""
    cluster = Cluster()
    cluster.start()
    try:
        parts = {
            "submissions": SubmissionSettings(submission_limit=1_000_000),
            "booking": BookingSettings(booking_limit=1_000_000),
        }
        with (
            demo_database(cluster.url(), prefix="patchmap_crash", **parts) as settings,
            served(settings) as url,
        ):
            yield Live(cluster, url, settings)
    finally:
        cluster.remove()


def _record(name: str, figures: dict[str, Any]) -> None:
    """Add this test's figures to tests/artifacts/reliability.json."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    known[name] = figures
    REPORT.write_text(json.dumps(known, indent=2))


@dataclass
class Sender:
    """One client (its own loopback address): sends offers, each retried with its key until acknowledged."""

    url: str
    address: str
    stop: threading.Event
    acknowledged: dict[str, str] = field(default_factory=dict)  # marker -> reference
    retries: int = 0
    refusals: dict[int, int] = field(default_factory=dict)

    def run(self) -> None:
        transport = httpx.HTTPTransport(local_address=self.address)
        with httpx.Client(base_url=self.url, transport=transport, timeout=10) as client:
            while not self.stop.is_set():
                marker = uuid.uuid4().hex
                self._until_acknowledged(client, marker)

    def _until_acknowledged(self, client: httpx.Client, marker: str) -> None:
        body = {**OFFER, "offer": f"Shopping for a neighbour, crash test {marker}"}

        def acknowledged() -> bool:
            try:
                answer = client.post("/submissions/help", json=body, headers={"Idempotency-Key": marker})
            except httpx.TransportError:
                self.retries += 1
                return False
            if answer.status_code == 201:
                self.acknowledged[marker] = answer.json()["reference"]
                return True
            assert answer.status_code == 503, answer.text  # the only refusal a crash may cause
            assert answer.headers.get("retry-after"), "a 503 says when to try again"
            self.refusals[answer.status_code] = self.refusals.get(answer.status_code, 0) + 1
            self.retries += 1
            return False

        until(acknowledged, f"offer {marker} to be acknowledged")


def _stored(live: Live) -> dict[str, list[str]]:
    """Every crash-test marker in the submissions table, with the references it is stored under."""
    with psycopg.connect(live.settings.database.url) as conn:
        rows = conn.execute(
            "SELECT substring(details->>'offer' from 'crash test ([0-9a-f]{32})'), reference FROM submissions "
            "WHERE details->>'offer' LIKE '%crash test %'"
        ).fetchall()
    found: dict[str, list[str]] = {}
    for marker, reference in rows:
        found.setdefault(marker, []).append(reference)
    return found


def test_every_acknowledged_offer_survives_a_crash_once(live: Live) -> None:
    """20 rounds of kill -9 during a burst of offers: every 2xx stored exactly once, nothing twice."""
    senders: list[Sender] = []
    restarts = []
    for round_ in range(ROUNDS):
        stop = threading.Event()
        batch = [Sender(live.url, f"127.0.0.{10 + i}", stop) for i in range(CLIENTS)]
        threads = [threading.Thread(target=s.run, daemon=True) for s in batch]
        for t in threads:
            t.start()
        _wait_for(lambda: sum(len(s.acknowledged) for s in batch) >= 5 * CLIENTS, "offers before the crash")
        live.cluster.kill()
        restarts.append(live.cluster.start())
        stop.set()  # each client finishes the offer it has in hand, retrying it until acknowledged
        for t in threads:
            t.join(timeout=180)
            assert not t.is_alive(), f"a client was still waiting in round {round_ + 1}"
        senders += batch
    acknowledged = {m: ref for s in senders for m, ref in s.acknowledged.items()}
    stored = _stored(live)
    lost = [m for m in acknowledged if m not in stored]
    twice = {m: refs for m, refs in stored.items() if len(refs) > 1}
    wrong = [m for m, ref in acknowledged.items() if m in stored and stored[m] != [ref]]
    _record(
        "crash",
        {
            "rounds": ROUNDS,
            "clients": CLIENTS,
            "acknowledged": len(acknowledged),
            "stored": sum(len(refs) for m, refs in stored.items() if m in acknowledged),
            "stored_not_acknowledged": len([m for m in stored if m not in acknowledged]),
            "lost": len(lost),
            "duplicated": len(twice),
            "retries": sum(s.retries for s in senders),
            "restart_s_median": round(statistics.median(restarts), 2),
        },
    )
    assert not lost, f"{len(lost)} acknowledged offers were lost"
    assert not twice, f"{len(twice)} offers were stored more than once"
    assert not wrong, f"{len(wrong)} offers are stored under another reference than the one acknowledged"


BOOKING_ROUNDS = 10


def _free_hours(live: Live) -> list[dict[str, Any]]:
    """Bookings of free hours of the demo's rooms over the next four weeks (from their availability), apart."""
    with psycopg.connect(live.settings.database.url) as conn:
        rooms = [
            r for (r,) in conn.execute("SELECT room_id FROM resources WHERE room_id IS NOT NULL ORDER BY id")
        ]
    start = (datetime.now(UTC) + timedelta(days=3)).date()
    hours: list[dict[str, Any]] = []
    with httpx.Client(base_url=live.url, timeout=30) as client:
        for room in rooms:
            answer = client.get(
                f"/rooms/{room}/availability",
                params={"from": str(start), "to": str(start + timedelta(days=28))},
            )
            assert answer.status_code == 200, answer.text
            for free in answer.json()["free"]:
                at, end = datetime.fromisoformat(free["start"]), datetime.fromisoformat(free["end"])
                if at.minute or at.second:  # the next whole hour, which is on every room's slot grid
                    at = at.replace(minute=0, second=0) + timedelta(hours=1)
                while at + timedelta(hours=1) <= end:
                    hours.append({"kind": "room", "id": room, "start": at.isoformat(), "minutes": 60})
                    at += timedelta(hours=2)  # an hour apart: clear of any turnaround buffer (at most 30 min)
    return hours


@dataclass
class Booker:
    """One client booking free hours from a shared list, each retried with its key until acknowledged."""

    url: str
    address: str
    stop: threading.Event
    hours: list[dict[str, Any]]
    lock: threading.Lock
    acknowledged: dict[str, str] = field(default_factory=dict)  # marker -> reference
    retries: int = 0

    def run(self) -> None:
        transport = httpx.HTTPTransport(local_address=self.address)
        with httpx.Client(base_url=self.url, transport=transport, timeout=10) as client:
            while not self.stop.is_set():
                with self.lock:
                    if not self.hours:
                        return
                    hour = self.hours.pop()
                self._until_acknowledged(client, hour, uuid.uuid4().hex)

    def _until_acknowledged(self, client: httpx.Client, hour: dict[str, Any], marker: str) -> None:
        body = {
            **hour,
            "name": "Crash Test",
            "email": "crash.test@example.org",
            "purpose": f"Crash test {marker}",
            "attendees": 1,
            "consent": True,
        }

        def acknowledged() -> bool:
            try:
                answer = client.post("/bookings", json=body, headers={"Idempotency-Key": marker})
            except httpx.TransportError:
                self.retries += 1
                return False
            if answer.status_code == 201:
                self.acknowledged[marker] = answer.json()["reference"]
                return True
            assert answer.status_code == 503, answer.text  # no clash: each hour is booked by one client once
            self.retries += 1
            return False

        until(acknowledged, f"booking {marker} to be acknowledged")


def test_every_acknowledged_booking_survives_a_crash_once(live: Live) -> None:
    """10 rounds of kill -9 during a burst of bookings: every 2xx stored once, its slot live, nothing twice."""
    hours = _free_hours(live)
    random.Random(13).shuffle(hours)
    lock = threading.Lock()
    bookers: list[Booker] = []
    for round_ in range(BOOKING_ROUNDS):
        stop = threading.Event()
        batch = [Booker(live.url, f"127.0.1.{10 + i}", stop, hours, lock) for i in range(CLIENTS)]
        threads = [threading.Thread(target=b.run, daemon=True) for b in batch]
        for t in threads:
            t.start()
        _wait_for(lambda: sum(len(b.acknowledged) for b in batch) >= 3 * CLIENTS, "bookings before the crash")
        live.cluster.kill()
        live.cluster.start()
        stop.set()
        for t in threads:
            t.join(timeout=180)
            assert not t.is_alive(), f"a booker was still waiting in round {round_ + 1}"
        bookers += batch
    acknowledged = {m: ref for b in bookers for m, ref in b.acknowledged.items()}
    with psycopg.connect(live.settings.database.url) as conn:
        rows = conn.execute(
            "SELECT substring(b.purpose from 'Crash test ([0-9a-f]{32})'), b.reference, "
            "count(s.*) FILTER (WHERE s.status IN ('requested', 'confirmed')) "
            "FROM bookings b LEFT JOIN booking_slots s ON s.booking_id = b.id "
            "WHERE b.purpose LIKE 'Crash test %' GROUP BY b.id"
        ).fetchall()
    stored: dict[str, list[str]] = {}
    live_slots: dict[str, int] = {}
    for marker, reference, slots in rows:
        stored.setdefault(marker, []).append(reference)
        live_slots[marker] = slots
    lost = [m for m in acknowledged if m not in stored]
    twice = {m: refs for m, refs in stored.items() if len(refs) > 1}
    wrong = [m for m, ref in acknowledged.items() if m in stored and stored[m] != [ref]]
    not_live = [m for m in acknowledged if live_slots.get(m) != 1]
    _record(
        "crash_bookings",
        {
            "rounds": BOOKING_ROUNDS,
            "clients": CLIENTS,
            "acknowledged": len(acknowledged),
            "stored": sum(len(refs) for m, refs in stored.items() if m in acknowledged),
            "stored_not_acknowledged": len([m for m in stored if m not in acknowledged]),
            "lost": len(lost),
            "duplicated": len(twice),
            "retries": sum(b.retries for b in bookers),
        },
    )
    assert not lost, f"{len(lost)} acknowledged bookings were lost"
    assert not twice, f"{len(twice)} bookings were stored more than once"
    assert not wrong, f"{len(wrong)} bookings are stored under another reference than the one acknowledged"
    assert not not_live, f"{len(not_live)} acknowledged bookings have no live slot"


ENDPOINTS = (
    ("GET", "/health", None),
    ("GET", "/areas/lookup?postcode=NR2%201AW", None),
    ("GET", "/groups/1", None),
    ("GET", "/search/nearby?postcode=NR2%201AW", None),
    ("GET", "/analysis/overlay?level=ward&within=E07000148", None),
    ("POST", "/submissions/help", {**OFFER, "offer": "Outage test"}),
)


def test_a_missing_database_is_a_quick_503_and_the_api_mends_itself(live: Live) -> None:
    """5 stop/start cycles: while the database is away every call gets 503 with Retry-After; it comes back."""
    to_503: list[float] = []
    to_whole: list[float] = []
    with httpx.Client(base_url=live.url, timeout=30) as client:
        # all well while the database is up (the crash tests before this one restarted it moments ago)
        _wait_for(lambda: all(_ok(client, m, p, b) for m, p, b in ENDPOINTS), "the API whole at the start")
        for _ in range(CYCLES):
            live.cluster.stop()
            for method, path, body in ENDPOINTS:
                began = time.monotonic()
                answer = client.request(method, path, json=body)
                to_503.append(time.monotonic() - began)
                assert answer.status_code == 503, (path, answer.status_code, answer.text)
                assert int(answer.headers["retry-after"]) > 0, path
                error = answer.json()
                assert error.get("error") or error.get("status") == "unavailable", path
            live.cluster.start()
            came_back = time.monotonic()
            _wait_for(lambda: all(_ok(client, m, p, b) for m, p, b in ENDPOINTS), "the API whole again")
            to_whole.append(time.monotonic() - came_back)
    ordered = sorted(to_503)
    _record(
        "outage",
        {
            "cycles": CYCLES,
            "requests_while_away": len(to_503),
            "to_503_p50_s": round(statistics.median(ordered), 3),
            "to_503_p95_s": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
            "to_503_max_s": round(ordered[-1], 3),
            "to_recover_s": [round(s, 2) for s in to_whole],
            "to_recover_max_s": round(max(to_whole), 2),
        },
    )


def _ok(client: httpx.Client, method: str, path: str, body: Any) -> bool:
    return client.request(method, path, json=body).status_code < 500


def _wait_for(condition: Any, what: str, timeout: float = 120) -> None:
    """Wait until ``condition()`` holds (a condition, not a time: the test passes on a busy machine)."""
    until(condition, what, timeout)
