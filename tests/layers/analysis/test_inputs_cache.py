"""The overlay's kept inputs stay in step with the data (layers/analysis/cache.py, migration 0017).

This module has its own demo database, because it commits changes (a cache is only ever about committed
data). Two engines stand for two app workers: one reads (and keeps) the inputs, the other writes and commits,
so nothing in the reading process can know of the change except through the database's counters. After each
kind of change the inputs the first engine hands out are compared, frame by frame, with those a fresh engine
reads from scratch, and the overlay answers likewise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.main import create_app
from layers.analysis.cache import read_counters
from layers.analysis.export import overlay_answer
from layers.analysis.inputs import OverlayInputs, overlay_inputs
from layers.db import make_engine
from layers.settings import Settings
from tests.live_app import demo_database

NORWICH = "E07000148"
FRAMES = ("areas", "lsoas", "links", "assets", "served", "members", "ward_districts")
#: Where the reads happen: all England (the demo holds Norfolk) and Norwich with its surroundings.
PLACES = ({"level": "ward"}, {"level": "ward", "within": NORWICH, "reach_m": 2000.0}, {"level": "locality"})


@pytest.fixture(scope="module")
def world(server_url: str) -> Iterator[Settings]:
    """A demo database of this module's own."""
    with demo_database(server_url, prefix="patchmap_cache") as settings:
        yield settings


@pytest.fixture
def worker(world: Settings) -> Iterator[Engine]:
    """One app worker's engine: it keeps inputs between reads."""
    engine = make_engine(world.database)
    yield engine
    engine.dispose()


def fresh(world: Settings, **place: Any) -> OverlayInputs:
    """The inputs read from scratch, by an engine that has kept nothing."""
    engine = make_engine(world.database)
    try:
        with engine.connect() as c:
            return overlay_inputs(c, **place)
    finally:
        engine.dispose()


def read(engine: Engine, **place: Any) -> OverlayInputs:
    """The inputs as a worker reads them (from what it keeps, where still in step)."""
    with engine.connect() as c:
        return overlay_inputs(c, **place)


def commit(world: Settings, statement: str, **params: Any) -> None:
    """A change made and committed by another worker."""
    engine = make_engine(world.database)
    try:
        with engine.begin() as c:
            c.execute(text(statement), params)
    finally:
        engine.dispose()


def assert_same(kept: OverlayInputs, new: OverlayInputs) -> None:
    for name in FRAMES:
        a, b = getattr(kept, name), getattr(new, name)
        if isinstance(a, pd.Series):
            pd.testing.assert_series_equal(a, b, check_exact=True)
        else:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert kept.version == new.version


def answer(engine: Engine, **measures: Any) -> bytes:
    with engine.connect() as c:
        return orjson.dumps(overlay_answer(c, "json", level="ward", within=NORWICH, **measures))


def first_answer(world: Settings, **measures: Any) -> bytes:
    """The answer of an engine that has kept nothing (no inputs, no catchment pairs)."""
    engine = make_engine(world.database)
    try:
        return answer(engine, **measures)
    finally:
        engine.dispose()


# Each kind of data change the inputs depend on: the statement, and a check that the change shows.
CHANGES: dict[str, tuple[str, Callable[[OverlayInputs], bool]]] = {
    "hub added": (
        "INSERT INTO hubs (name, kind, geom, source) VALUES ('Cache test hall', 'village_hall', "
        "ST_SetSRID(ST_MakePoint(1.2935, 52.6300), 4326), 'test-cache')",
        lambda i: "Cache test hall" in set(i.assets["name"]),
    ),
    "hub moved": (
        "UPDATE hubs SET geom = ST_SetSRID(ST_MakePoint(1.2999, 52.6301), 4326) WHERE name = 'Cache test hall'",
        lambda i: bool((i.assets.loc[i.assets["name"] == "Cache test hall", "x"] > 0).all()),
    ),
    "room added": (
        "INSERT INTO rooms (hub_id, name) SELECT id, 'Back room' FROM hubs WHERE name = 'Cache test hall'",
        lambda i: i.assets.loc[i.assets["name"] == "Cache test hall", "rooms"].tolist() == [1],
    ),
    "second room": (
        "INSERT INTO rooms (hub_id, name) SELECT id, 'Front room' FROM hubs WHERE name = 'Cache test hall'",
        lambda i: i.assets.loc[i.assets["name"] == "Cache test hall", "rooms"].tolist() == [2],
    ),
    "room deleted": (
        "DELETE FROM rooms WHERE name = 'Front room'",
        lambda i: i.assets.loc[i.assets["name"] == "Cache test hall", "rooms"].tolist() == [1],
    ),
    "group dormant": (
        "UPDATE groups SET status = 'dormant' WHERE id = (SELECT min(id) FROM groups WHERE geom IS NOT NULL "
        "AND status = 'active' AND ward_code IS NOT NULL)",
        lambda i: True,
    ),
    "space let": (
        "UPDATE spaces SET status = 'let' WHERE id = (SELECT min(id) FROM spaces WHERE status = 'available')",
        lambda i: True,
    ),
    "hub deleted": (
        "DELETE FROM hubs WHERE name = 'Cache test hall'",
        lambda i: "Cache test hall" not in set(i.assets["name"]),
    ),
    "indicator changed": (
        "UPDATE indicators SET value = value + 1000 WHERE key = 'population_total' AND NOT derived "
        "AND area_code = (SELECT min(area_code) FROM indicators WHERE key = 'population_total' AND NOT derived "
        "AND area_code LIKE 'E01%')",
        lambda i: True,
    ),
    "area renamed": (
        "UPDATE areas SET name = name || ' (renamed)' WHERE code = 'E05005883'",
        lambda i: i.level != "ward" or i.within is None or "Mile Cross (renamed)" in set(i.areas["name"]),
    ),
    "area share changed": (
        "UPDATE area_shares SET share = share * 0.5 WHERE ctid = (SELECT min(ctid) FROM area_shares)",
        lambda i: True,
    ),
    "locality member added": (
        "INSERT INTO locality_members (locality_id, member_id) SELECT l.id, w.id FROM areas l, areas w "
        "WHERE l.kind = 'locality' AND w.code = 'E05005883' "
        "AND NOT EXISTS (SELECT 1 FROM locality_members m WHERE m.locality_id = l.id AND m.member_id = w.id) "
        "LIMIT 1",
        lambda i: True,
    ),
}


def test_kept_inputs_follow_every_kind_of_committed_change(world: Settings, worker: Engine) -> None:
    for place in PLACES:
        read(worker, **place)
    for what, (statement, shows) in CHANGES.items():
        before = read(worker, **PLACES[1]).version
        commit(world, statement)
        for place in PLACES:
            kept, new = read(worker, **place), fresh(world, **place)
            assert_same(kept, new)
            assert shows(kept), what
        assert kept.version != before, f"the version did not change after: {what}"


def test_an_edited_asset_shows_in_the_next_overlay_of_another_worker(world: Settings, worker: Engine) -> None:
    first = orjson.loads(answer(worker))
    hubs = sum(a["hubs"] for a in first["areas"])
    commit(
        world,
        "INSERT INTO hubs (name, kind, geom, source) VALUES ('Cache test library', 'library', "
        "ST_SetSRID(ST_MakePoint(1.2935, 52.6300), 4326), 'test-cache')",
    )
    after = answer(worker)
    assert sum(a["hubs"] for a in orjson.loads(after)["areas"]) == hubs + 1
    uncached = make_engine(world.database)
    try:
        assert after == answer(uncached)
        assert answer(worker, provision="access") == answer(uncached, provision="access")
        # Moved: the worker's catchment pairs are patched for it (the others kept), the answers still the same.
        commit(world, "UPDATE hubs SET geom = ST_SetSRID(ST_MakePoint(1.3050, 52.6350), 4326) "
                      "WHERE name = 'Cache test library'")  # fmt: skip
        assert answer(worker, provision="access") == first_answer(world, provision="access")
        assert answer(worker) == first_answer(world)
    finally:
        uncached.dispose()
    commit(world, "DELETE FROM hubs WHERE name = 'Cache test library'")
    assert sum(a["hubs"] for a in orjson.loads(answer(worker))["areas"]) == hubs


def test_marking_a_mapped_area_changes_the_version_and_the_overlay(world: Settings, worker: Engine) -> None:
    before = read(worker, **PLACES[1]).version
    scored = sum(a["scored"] for a in orjson.loads(answer(worker))["areas"])
    commit(
        world, "DELETE FROM mapped_areas WHERE area_id = (SELECT id FROM areas WHERE code = :c)", c=NORWICH
    )
    assert read(worker, **PLACES[1]).version != before
    assert sum(a["scored"] for a in orjson.loads(answer(worker))["areas"]) == 0 < scored
    commit(
        world,
        "INSERT INTO mapped_areas (area_id, kinds, mapped_by) SELECT id, ARRAY['group', 'hub', 'space'], 'test' "
        "FROM areas WHERE code = :c",
        c=NORWICH,
    )
    assert sum(a["scored"] for a in orjson.loads(answer(worker))["areas"]) == scored


def test_the_version_is_the_same_in_every_worker_and_unknown_inside_a_writing_transaction(
    world: Settings, worker: Engine
) -> None:
    other = make_engine(world.database)
    try:
        assert read(worker).version == read(other).version is not None
        with worker.connect() as c:
            tx = c.begin()
            c.execute(text("INSERT INTO hubs (name, kind, geom, source) VALUES ('Uncommitted hall', "
                           "'village_hall', ST_SetSRID(ST_MakePoint(1.29, 52.63), 4326), 'test-cache')"))  # fmt: skip
            mine = overlay_inputs(c, level="ward")
            assert mine.version is None
            assert "Uncommitted hall" in set(mine.assets["name"])
            tx.rollback()
        # Nothing of the rolled-back transaction was kept.
        assert "Uncommitted hall" not in set(read(worker).assets["name"])
        assert_same(read(worker), fresh(world, level="ward"))
    finally:
        other.dispose()


def test_counters_move_once_per_transaction(world: Settings) -> None:
    engine = make_engine(world.database)
    try:
        with engine.connect() as c:
            before = read_counters(c).changes
        with engine.begin() as c:
            for n in range(3):
                c.execute(text("UPDATE hubs SET name = name WHERE id = (SELECT min(id) FROM hubs)"))
                c.execute(
                    text(
                        "UPDATE indicators SET value = value WHERE ctid = (SELECT min(ctid) FROM indicators)"
                    )
                )
            assert read_counters(c).written_here
        with engine.connect() as c:
            after = read_counters(c)
        assert not after.written_here
        assert after.changes["assets"] == before["assets"] + 1
        assert after.changes["indicators"] == before["indicators"] + 1
        assert after.changes["areas"] == before["areas"]
    finally:
        engine.dispose()


def test_the_api_answers_from_kept_inputs_in_step_with_the_data(world: Settings) -> None:
    with TestClient(create_app(world)) as client:
        url = f"/analysis/overlay?within={NORWICH}&kinds=hub"
        first = client.get(url)
        assert first.status_code == 200 and first.headers["content-type"] == "application/json"
        hubs = sum(a["hubs"] for a in first.json()["areas"])
        commit(
            world,
            "INSERT INTO hubs (name, kind, geom, source) VALUES ('Cache test centre', 'community_centre', "
            "ST_SetSRID(ST_MakePoint(1.2935, 52.6300), 4326), 'test-cache')",
        )
        assert sum(a["hubs"] for a in client.get(url).json()["areas"]) == hubs + 1
        commit(world, "DELETE FROM hubs WHERE name = 'Cache test centre'")
        assert client.get(url).json() == first.json()
