"""The query plan of nearby search: ordered GiST index scans on geom_bng, filtered or not, never a full scan.

This uses a database of its own (created, migrated, filled with 10,000 hubs, spaces and groups near Norwich,
ANALYZEd, and dropped at the end), so the planner sees realistic table sizes, and the session's database and
its statistics are left alone: ANALYZE writes some statistics outside any transaction, so a rolled-back test
could not undo it. On the demo's 53 hubs a sequential scan would be the right plan, so a plan test there
would prove nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from layers import migrate
from layers.queries.search import numbered_sql
from layers.settings import DatabaseSettings
from tests.live_app import create_database, drop_database

BULK = """
SELECT setseed(0.5);
INSERT INTO hubs (name, kind, geom, opening_hours, step_free, description)
SELECT 'hub ' || i, 'library', ST_SetSRID(ST_MakePoint(1.1 + random() * 0.4, 52.5 + random() * 0.25), 4326),
       (ARRAY['Mo-Fr 09:00-17:00', 'Sa 10:00-16:00', NULL])[1 + i % 3], i % 2 = 0, 'a room and a garden'
FROM generate_series(1, 10000) i;
INSERT INTO spaces (name, kind, geom, price_band, availability, step_free)
SELECT 'space ' || i, 'room', ST_SetSRID(ST_MakePoint(1.1 + random() * 0.4, 52.5 + random() * 0.25), 4326),
       (ARRAY['free', 'low-cost', 'market'])[1 + i % 3], '{"weekdays": true}', i % 2 = 0
FROM generate_series(1, 10000) i;
INSERT INTO groups (name, geom, location_precision, categories, meets, cost, step_free, activities)
SELECT 'group ' || i, ST_SetSRID(ST_MakePoint(1.1 + random() * 0.4, 52.5 + random() * 0.25), 4326), 'venue',
       ARRAY[(ARRAY['food', 'youth', 'arts-culture'])[1 + i % 3]],
       '[{"days": ["mo", "we"], "start": "10:00", "end": "12:00"}]', (ARRAY['free', 'paid'])[1 + i % 2],
       i % 2 = 0, ARRAY['garden']
FROM generate_series(1, 10000) i;
-- bookable: a room in each of the first 5,000 hubs and the first 5,000 spaces (10,000 resources), each
-- with 10 two-hour bookings on successive days from a week ahead (100,000 booking slots), 10:00-12:00 on the
-- Europe/London wall clock whatever the session's time zone (UTC on a default cluster: an hour off in summer)
INSERT INTO rooms (hub_id, name, capacity, step_free)
SELECT id, 'room ' || id, 10 + id % 90, id % 2 = 0 FROM hubs WHERE id <= (SELECT min(id) + 4999 FROM hubs);
INSERT INTO resources (room_id, rate_band, price_per_hour, weekly_hours, buffer_minutes)
SELECT id, (ARRAY['free', 'low-cost', 'market'])[1 + id % 3], (id % 3) * 10, 'Mo-Su 08:00-22:00', 15 FROM rooms;
INSERT INTO resources (space_id, rate_band, price_per_hour, weekly_hours)
SELECT id, 'low-cost', 5, 'Mo-Fr 09:00-17:00' FROM spaces WHERE id <= (SELECT min(id) + 4999 FROM spaces);
INSERT INTO bookings (reference, resource_id, status, purpose, attendees, price_total, token_digest,
                      token_expires_at, client_key, hold_expires_at)
SELECT 'BK-' || r.id || '-' || d, r.id, CASE WHEN d % 4 = 0 THEN 'requested' ELSE 'confirmed' END, 'plan test',
       5, 0, md5(r.id || '/' || d) || md5(d || '/' || r.id), now() + interval '1 year', 'plan',
       CASE WHEN d % 4 = 0 THEN now() + interval '3 days' END
FROM resources r CROSS JOIN generate_series(1, 10) d;
INSERT INTO booking_slots (booking_id, resource_id, during, held, status)
SELECT b.id, b.resource_id, x.during, tstzrange(lower(x.during), upper(x.during) + interval '15 minutes'), b.status
FROM bookings b CROSS JOIN LATERAL (
  SELECT tstzrange((d.day + interval '10 hours') AT TIME ZONE 'Europe/London',
                   (d.day + interval '12 hours') AT TIME ZONE 'Europe/London') AS during
  FROM (SELECT (now() AT TIME ZONE 'Europe/London')::date + split_part(b.reference, '-', 3)::int + 7 AS day) d
) x;
-- half the resources are shut for Christmas week (the next one more than a month away, so never the days the
-- tests search: from 10 to 22 December this year's would hold the searched Tuesday, and with the refit shut
-- three in five), a tenth of them on the day the plan test searches too
INSERT INTO resource_closures (resource_id, dates, reason)
SELECT id, daterange(make_date(y, 12, 24), make_date(y, 12, 31)), 'Christmas'
FROM resources, (SELECT extract(year FROM now() + interval '31 days')::int AS y) christmas WHERE id % 2 = 0;
INSERT INTO resource_closures (resource_id, dates, reason)
SELECT id, daterange(today + 8, today + 16), 'refit'
FROM resources, (SELECT (now() AT TIME ZONE 'Europe/London')::date AS today) t WHERE id % 10 = 1;
ANALYZE hubs; ANALYZE spaces; ANALYZE groups; ANALYZE rooms; ANALYZE resources; ANALYZE bookings;
ANALYZE booking_slots; ANALYZE resource_closures;
"""


@pytest.fixture(scope="module")
def plan_db(server_url: str) -> Iterator[str]:
    """A database of its own: migrated, 10,000 hubs, spaces and groups near Norwich, ANALYZEd."""
    name = f"patchmap_plan_{uuid.uuid4().hex[:8]}"
    url = create_database(server_url, name)
    try:
        migrate.upgrade(DatabaseSettings(url=url))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(BULK)
        yield url
    finally:
        drop_database(server_url, name)


PLAN_BASE = {"lon": 1.3, "lat": 52.62, "radius_m": 2000.0, "k": 21, "offset": 0, "page": 21, "hubs": True,
             "spaces": True, "groups": True, "hub_kind": None, "space_kind": None, "category": None,
             "identity": None, "interest": None, "q": None, "minute": None, "space_flag": None, "costs": None,
             "step_free": False, "volunteers": False}  # fmt: skip
FILTERED = {"q": "garden", "minute": 600, "space_flag": "weekdays", "costs": ["free", "low-cost"],
            "step_free": True}  # fmt: skip


def explain(
    url: str,
    params: dict[str, Any],
    *,
    generic: bool = True,
    analyze: bool = False,
    statement: str = "search_nearby.sql",
) -> str:
    """The plan of a search statement: as the app runs it (prepared, generic plan), or a custom plan."""
    text, names = numbered_sql(statement)  # the very text the app sends
    options = "ANALYZE, TIMING off, " if analyze else ""
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute(f"SET plan_cache_mode = {'force_generic_plan' if generic else 'force_custom_plan'}")
        conn.execute("PREPARE nearby AS " + text)
        cur = psycopg.ClientCursor(conn)
        cur.execute(f"EXPLAIN ({options}COSTS off) EXECUTE nearby({', '.join(['%s'] * len(names))})",
                    [params[n] for n in names])  # fmt: skip
        return "\n".join(r["QUERY PLAN"] for r in cur.fetchall())


@pytest.mark.parametrize("filtered", [False, True], ids=["unfiltered", "filtered"])
def test_plan_uses_the_ordered_gist_index_scans(plan_db: str, filtered: bool) -> None:
    """With 10,000 rows a table, search reads each through its geom_bng GiST index in distance order.

    Checked on the generic plan the app runs (see layers/queries/search.py), with and without filters
    (words, open_at, cost, step_free): the filters are tested on rows the ordered scan yields, and no table
    is read in full. Then run for real, to show the scan stops early.
    """
    params = {**PLAN_BASE, **(FILTERED if filtered else {})}
    plan = explain(plan_db, params)
    for table in ("hubs", "spaces", "groups"):
        assert re.search(rf"Index Scan using idx_{table}_geom_bng\w* on {table}\b", plan), plan
        assert f"Seq Scan on {table} " not in plan and f"Bitmap Heap Scan on {table} " not in plan, plan
    assert plan.count("Order By: (geom_bng <-> ") == 3, plan
    assert "Merge Append" in plan, plan
    ran = explain(plan_db, params, analyze=True)
    read = [int(n) for n in re.findall(r"Index Scan using idx_\w+_geom_bng\w* .*\(actual rows=(\d+)", ran)]
    assert len(read) == 3 and sum(read) <= 3 * 21, ran


def test_category_is_tested_in_the_groups_index(plan_db: str) -> None:
    """A category search tests each group's category keys on its index entry (migration 0008), so the
    ordered scan reads only matching groups: 21 rows for 21 results, with one group in three matching."""
    params = {**PLAN_BASE, "category": "youth", "hubs": False, "spaces": False}
    plan = explain(plan_db, params)
    assert re.search(r"Index Cond: .*category_keys @>", plan), plan
    ran = explain(plan_db, params, analyze=True)
    # the groups' scan node: its own line and its detail lines, up to the next node
    node = re.search(r"Index Scan using idx_groups_geom_bng_category on groups .*\n(?:(?!.*->).*\n?)*", ran)
    assert node, ran
    assert "(actual rows=21 " in node.group(0), ran
    assert "Rows Removed by Filter" not in node.group(0), ran  # every row read was kept


def test_every_category_has_its_own_key(plan_db: str) -> None:
    """The taxonomy's group categories get distinct keys, so no category search reads another's groups
    (a shared key would cost reads, not wrong answers: the search tests categories itself too)."""
    from layers.taxonomy import GROUP_CATEGORIES

    with psycopg.connect(plan_db) as conn:
        keys = conn.execute(
            "SELECT patchmap_category_key(c) FROM unnest(%s::text[]) c", [list(GROUP_CATEGORIES)]
        ).fetchall()
        assert len({k for (k,) in keys}) == len(GROUP_CATEGORIES) > 5
        stored = conn.execute(
            "SELECT count(*) FROM groups WHERE category_keys <> patchmap_category_keys(categories)"
        ).fetchone()
        assert stored == (0,)


def free_params(**changes: Any) -> dict[str, Any]:
    """search_free.sql's parameters as the API gives them, for a Tuesday 13:00-14:00 eight days ahead (after that day's bookings)."""
    from datetime import datetime, timedelta

    from layers.queries.search_free import LONDON, free_window, statement_params

    day = datetime.now(LONDON).date() + timedelta(days=8)  # the local date, as BULK's refit counts days
    day += timedelta(days=(1 - day.weekday()) % 7)
    window = free_window(datetime.combine(day, datetime.min.time()).replace(hour=13), 60)
    base = dict(lon=1.3, lat=52.62, radius_m=2000.0, q=None, step_free=False, capacity=None, max_price=None,
                limit=20, offset=0)  # fmt: skip
    return statement_params(window, ["room", "space"], **(base | changes))


@pytest.mark.parametrize("filtered", [False, True], ids=["unfiltered", "filtered"])
def test_free_search_uses_the_ordered_gist_index_scan(plan_db: str, filtered: bool) -> None:
    """The free-room search reads resources through idx_resources_geom_bng in distance order and probes
    bookings through the exclusion constraint's index: no table read in full, with or without filters.

    Then run for real (a day on which a quarter of the resources' bookings fall): the scan stops early.
    """
    changes = {"q": "room", "step_free": True, "capacity": 20, "max_price": 15.0} if filtered else {}
    params = free_params(**changes)
    plan = explain(plan_db, params, statement="search_free.sql")
    assert re.search(r"Index Scan using idx_resources_geom_bng on resources\b", plan), plan
    assert "Order By: (geom_bng <-> " in plan, plan
    for table in ("resources", "booking_slots", "bookings", "resource_closures", "rooms", "spaces", "hubs"):
        assert f"Seq Scan on {table} " not in plan and f"Bitmap Heap Scan on {table} " not in plan, plan
    assert re.search(r"Index Scan using no_double_booking on booking_slots", plan), plan
    ran = explain(plan_db, params, statement="search_free.sql", analyze=True)
    read = re.search(r"Index Scan using idx_resources_geom_bng on resources .*\(actual rows=(\d+)", ran)
    assert read and int(read.group(1)) <= (300 if filtered else 40), (
        ran
    )  # 21 wanted; a tenth are shut that day


def test_free_search_skips_booked_resources(plan_db: str) -> None:
    """On a day every resource is booked 10:00-12:00 (the first booked day), 10:00 finds nothing free and
    13:00 finds 20; a sanity check that the plan test's data hold bookings where the search looks."""
    from datetime import datetime

    from layers.queries.search_free import LONDON, free_window, statement_params

    with psycopg.connect(plan_db) as conn:
        row = conn.execute("SELECT min(lower(during)) FROM booking_slots").fetchone()
    assert row is not None
    first: datetime = row[0].astimezone(LONDON)
    results = []
    for hour in (10, 13):
        window = free_window(first.replace(hour=hour, tzinfo=None), 60)
        params = statement_params(window, ["room"], lon=1.3, lat=52.62, radius_m=50_000.0, q=None,
                                  step_free=False, capacity=None, max_price=None, limit=20, offset=0)  # fmt: skip
        text, names = numbered_sql("search_free.sql")
        with psycopg.connect(plan_db) as conn:
            body = psycopg.RawCursor(conn).execute(text, [params[n] for n in names]).fetchone()
        assert body is not None
        results.append(json.loads(body[0]))
    assert results[0] == [] and len(results[1]) == 20
