"""The query plan of nearby search: ordered GiST index scans on geom_bng, filtered or not, never a full scan.

This uses a database of its own (created, migrated, filled with 10,000 hubs, spaces and groups near Norwich,
ANALYZEd, and dropped at the end), so the planner sees realistic table sizes, and the session's database and
its statistics are left alone: ANALYZE writes some statistics outside any transaction, so a rolled-back test
could not undo it. On the demo's 53 hubs a sequential scan would be the right plan, so a plan test there
would prove nothing.
"""

from __future__ import annotations

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
ANALYZE hubs; ANALYZE spaces; ANALYZE groups;
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


def explain(url: str, params: dict[str, Any], *, generic: bool = True, analyze: bool = False) -> str:
    """The plan of search_nearby.sql: as the app runs it (prepared, generic plan), or a custom plan."""
    text, names = numbered_sql("search_nearby.sql")  # the very text the app sends
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
