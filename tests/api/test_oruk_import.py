"""``patchmap import oruk``: another directory's ORUK feed, served over HTTP, into groups and hubs.

A feed made from the profile's own examples is served by a plain http.server thread; Patchmap's own feed by
the app itself (uvicorn). Each is imported into an empty database (with the boundaries the groups serve, as a
directory has its own), and Patchmap's is exported again from there: the same services, ids and all. A second
import changes nothing; a file that cannot be read leaves the database as it was.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb
from sqlalchemy import Connection
from typer.testing import CliRunner

from api.cli import app
from layers.settings import DatabaseSettings, Settings
from tests.live_app import demo_database, served
from tests.oruk_profile import HERE

EXAMPLES = HERE / "examples"
NORWICH_LOCATION = "0c7c5d2b-9c39-4f1f-9b8a-2f7c2d7e6a01"


def _example_feed() -> dict[str, Any]:
    """The profile's example service, and a second made from it placed in Norwich with Patchmap's terms."""
    first = json.loads((EXAMPLES / "service_full.json").read_text(encoding="utf-8"))
    second = copy.deepcopy(first)
    second |= {
        "id": "5b0f0a3e-7c1e-4c55-a3b2-6f0b8f2f6c11",
        "name": "Norwich Counselling",
        "status": "inactive",
    }
    location = second["service_at_locations"][0]["location"]
    location |= {"id": NORWICH_LOCATION, "latitude": 52.6291, "longitude": 1.2931}
    location["addresses"][0] |= {"postal_code": "NR2 1NY", "address_1": "Chapelfield Gardens"}
    second["attributes"][0]["taxonomy_term"] |= {"term": "health-wellbeing"}
    return {s["id"]: s for s in (first, second)}


class _Feed(BaseHTTPRequestHandler):
    """An ORUK API of two pages, one service each, with each service in full at /oruk/services/{id}."""

    services: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        ids = list(self.services)
        if url.path == "/oruk/services":
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            listed = json.loads((EXAMPLES / "service_list.json").read_text(encoding="utf-8"))
            item = {k: v for k, v in self.services[ids[page - 1]].items() if not isinstance(v, list)}
            body = listed | {"total_items": 2, "total_pages": 2, "page_number": page, "first_page": page == 1,
                             "last_page": page == 2, "contents": [item]}  # fmt: skip
        elif (found := re.fullmatch(r"/oruk/services/([0-9a-f-]+)", url.path)) and found[1] in self.services:
            body = self.services[found[1]]
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def example_feed() -> Iterator[str]:
    """The example feed served on a free local port; its API's address."""
    _Feed.services = _example_feed()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/oruk"
    server.shutdown()
    thread.join(timeout=10)


def _import(source: str, *more: str) -> Any:
    result = CliRunner().invoke(app, ["import", "oruk", source, *more])
    assert result.exit_code == 0, result.output
    return result


def _snapshot(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        groups = conn.execute(
            "SELECT source_id, name, description, website, email, status, cost, age_min, age_max, meets, categories, "
            "location_precision, hub_id, ST_AsText(geom), updated_at FROM groups ORDER BY source_id"
        ).fetchall()
        hubs = conn.execute(
            "SELECT id, source_id, name, address, postcode, ST_AsText(geom) FROM hubs"
        ).fetchall()
        areas = conn.execute("SELECT * FROM group_areas ORDER BY 1, 2").fetchall()
    return [*groups, *hubs, *areas]


def test_the_profiles_examples_over_http(empty_database: str, example_feed: str) -> None:
    """Both pages are followed; what cannot be kept is reported; a second import changes nothing."""
    first = _import(example_feed)
    assert "2 rows read; 2 loaded, 0 updated, 0 unchanged" in first.stdout
    assert "coordinates out of range" in first.stdout and "is not a Patchmap category" in first.stdout
    assert "places (hubs): 1 new" in first.stdout
    with psycopg.connect(empty_database) as conn:
        rows = conn.execute(
            "SELECT g.name, g.status, g.cost, g.age_min, g.age_max, g.meets, g.categories, g.location_precision, "
            "h.name, h.postcode, h.source_id, g.updated_at::text FROM groups g LEFT JOIN hubs h ON h.id = g.hub_id "
            "ORDER BY g.name"
        ).fetchall()
    meets = [{"days": ["th", "fr"], "start": "10:00", "end": "18:00", "frequency": "weekly"}]
    assert rows == [
        ("Community Counselling", "active", "paid", 12, 100, meets, [], "area", None, None, None,
         "2023-03-15 10:30:45.123+00"),
        ("Norwich Counselling", "dormant", "paid", 12, 100, meets, ["health-wellbeing"], "hub",
         "MyCity Civic Center", "NR2 1NY", NORWICH_LOCATION, "2023-03-15 10:30:45.123+00"),
    ]  # fmt: skip
    before = _snapshot(empty_database)
    again = _import(example_feed)
    assert "2 rows read; 0 loaded, 0 updated, 2 unchanged" in again.stdout
    assert _snapshot(empty_database) == before


def test_a_bad_feed_changes_nothing(empty_database: str, example_feed: str, tmp_path: Path) -> None:
    """A service without a UUID is rejected (nothing written, every row in the report); a page that is not
    there fails the import; a file with a list of services is read like a page."""
    services = list(_example_feed().values())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([*services, {"id": "12", "name": "No UUID"}]), encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "oruk", str(bad), "--report", str(tmp_path / "r.csv")])
    assert result.exit_code == 1 and "is not a UUID" in result.output
    assert "No UUID" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert _snapshot(empty_database) == []
    missing = CliRunner().invoke(app, ["import", "oruk", example_feed + "/nothing"])
    assert missing.exit_code == 1 and "answered 404" in missing.output
    assert _snapshot(empty_database) == []
    fine = _import(str(bad), "--allow-rejects")
    assert "3 rows read; 2 loaded" in fine.stdout


RICH = """
INSERT INTO groups (name, description, location_precision, hub_id, geom, categories, meets, cost, age_min, age_max,
                    email, website, private_contact, status)
SELECT 'Knit and natter', 'Knitting & chat', 'hub', h.id, h.geom, ARRAY['arts-culture', 'older-people'],
       %(meets)s, 'low-cost', 16, 99, 'knit@example.org', 'https://knit.example.org/',
       '{"email": "hidden.person@example.org"}', 'dormant'
FROM hubs h ORDER BY h.id LIMIT 1
"""
MEETS = [{"days": ["mo", "we"], "start": "14:00", "end": "16:00", "frequency": "weekly"},
         {"days": ["sa"], "start": "10:00", "end": "12:30", "frequency": "fortnightly"},
         {"days": ["th"], "start": "19:00", "end": "21:00", "frequency": "monthly"},
         {"days": ["fr"], "start": "09:00", "end": "10:00", "frequency": "occasional"}]  # fmt: skip


def _rich(conn: Connection) -> None:
    """Groups with what the demo lacks: meeting times, a cost, categories, ages, a public email."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute(RICH, {"meets": Jsonb(MEETS)})


def _copy_areas(source: str, target: str) -> int:
    """The districts, wards and localities of ``source`` into ``target`` (the boundaries a directory has)."""
    with psycopg.connect(source) as src, psycopg.connect(target) as dst:
        rows = src.execute(
            "SELECT code, name, kind, parent_code, ST_AsEWKB(geom) FROM areas WHERE kind <> 'lsoa'"
        ).fetchall()
        with dst.cursor() as cur:
            cur.executemany(
                "INSERT INTO areas (code, name, kind, parent_code, geom) VALUES (%s, %s, %s, %s, %s::geometry)",
                rows,
            )
    return len(rows)


def _all_services(base: str) -> list[dict[str, Any]]:
    """Every service of a feed, in full, by following its pages."""
    with httpx.Client(timeout=30) as http:
        ids, page = [], 1
        while True:
            body = http.get(f"{base}/oruk/services", params={"page": page, "per_page": 25}).json()
            ids += [c["id"] for c in body["contents"]]
            if body["last_page"]:
                break
            page += 1
        return sorted((http.get(f"{base}/oruk/services/{i}").json() for i in ids), key=lambda s: s["id"])


def test_round_trip(server_url: str, empty_database: str) -> None:
    """Patchmap's feed imported into an empty database and exported again gives the same services; importing
    it again changes nothing."""
    with demo_database(server_url, prefix="patchmap_oruk", setup=_rich) as source, served(source) as url:
        exported = _all_services(url)
        assert _copy_areas(source.database.url, empty_database) > 0
        first = _import(url + "/oruk/")
        assert f"{len(exported)} rows read; {len(exported)} loaded, 0 updated" in first.stdout
        before = _snapshot(empty_database)
        again = _import(url + "/oruk")
        assert f"0 loaded, 0 updated, {len(exported)} unchanged" in again.stdout
        assert _snapshot(empty_database) == before
    with served(Settings(database=DatabaseSettings(url=empty_database))) as copy_url:
        reexported = _all_services(copy_url)
    assert [s["name"] for s in reexported] == [s["name"] for s in exported]
    assert reexported == exported
    knit = next(s for s in exported if s["name"] == "Knit and natter")
    assert len(knit["schedules"]) == 4 and knit["status"] == "inactive" and knit["cost_options"]
    assert "hidden.person" not in json.dumps(reexported)
    located = sum(1 for s in exported if s.get("service_at_locations"))
    assert located > 60 and sum(1 for s in exported if s.get("service_areas")) > 60


def test_schedules_at_the_kept_location_are_meeting_times_and_others_are_reported(
    empty_database: str, tmp_path: Path
) -> None:
    """A schedule of the service_at_location kept becomes a meeting time beside the service's own; a second
    location is left out with its schedule, and the report says so."""
    service = _example_feed()["5b0f0a3e-7c1e-4c55-a3b2-6f0b8f2f6c11"]
    service["id"] = "0c2d6a55-8f3a-4e0b-9b1e-2a6f7c9d4e21"
    kept = service["service_at_locations"][0]
    kept["schedules"] = [{"id": "4f0c3b8e-1d2a-4b6c-8e9f-0a1b2c3d4e5f", "byday": "MO", "freq": "WEEKLY",
                          "opens_at": "09:30", "closes_at": "11:00"}]  # fmt: skip
    other = copy.deepcopy(kept)
    other["id"] = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    other["location"] |= {
        "id": "8b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
        "name": "Second Hall",
        "latitude": 52.63,
    }
    other["schedules"] = [{"id": "9c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f", "byday": "WE", "freq": "WEEKLY",
                           "opens_at": "14:00", "closes_at": "16:00"}]  # fmt: skip
    service["service_at_locations"].append(other)
    feed = tmp_path / "one.json"
    feed.write_text(json.dumps(service), encoding="utf-8")
    result = _import(str(feed))
    assert "'Second Hall', with its 1 schedule, left out: a Patchmap group keeps one place" in result.stdout
    with psycopg.connect(empty_database) as conn:
        [(meets,)] = conn.execute("SELECT meets FROM groups WHERE source_id = %s", [service["id"]]).fetchall()
    assert meets == [
        {"days": ["th", "fr"], "start": "10:00", "end": "18:00", "frequency": "weekly"},
        {"days": ["mo"], "start": "09:30", "end": "11:00", "frequency": "weekly"},
    ]
