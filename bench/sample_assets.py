"""Seeded sample assets (groups, hubs, spaces) for the benchmarks, labelled sample everywhere.

Two data sets, both reproducible from a seed:
  - England (default): 100,000 assets in the `patchmap_bench` database (England's wards and LSOAs, loaded
    as bench/lookup.py loads them), source "sample-bench";
  - Norwich (--norwich): 50,000 assets within 10 km of Norwich (52.6309, 1.2930) in a separate database
    `patchmap_bench_map` holding the Norfolk demo (layers.importers.demo.load_demo), source "sample-bench-norwich".

Where: each asset falls in an LSOA drawn with probability proportional to its total population (mid-2015,
IoD2019 File 6), at a point drawn uniformly inside that LSOA's polygon (rejection sampling in EPSG:4326,
which is uniform by area to within the LSOA's tiny change of scale with latitude). For Norwich, each LSOA
is first clipped to the 10 km circle and weighted by population times the share of its area inside.

What: half are groups meeting at a public venue (location_precision "venue", or "hub" for the 20% that
meet at a sample hub, taking the hub's point), 30% hubs and 20% spaces, in shuffled order. Every group has
1 to 3 categories; the benchmark category (`food`) is given to exactly CATEGORY_SHARE_OF_GROUPS of them
and to no other asset, the other categories being drawn from the remaining 17. A group category given to
the search API as `category=` finds groups only and leaves hubs and spaces out
(layers/queries/search_params.py; MATCHING below), so 20% of the groups carry it and the filter matches
10% of all assets. (A hub or space kind as `category=` finds only hubs or spaces of that kind: e.g.
`community_centre` is 30% of the hubs, 9% of the assets.) Other fields are plausible and varied: step_free
(60% yes, 25% no, 15% unknown), cost and price bands, OpenStreetMap opening_hours for hubs,
weekly/fortnightly/monthly `meets` for groups, capacities, prices, availability. No postcodes (fake ones
could be real), no contact details.

Every name starts with "Sample ", every row has source "sample-bench" (or "sample-bench-norwich") and a
source_id; a run deletes the previous rows of its source and inserts the new ones with COPY, in one
transaction, then VACUUM ANALYZEs the three tables. Re-running with the same seed gives the same rows.

    .venv/bin/python bench/sample_assets.py [--count 100000] [--seed 20261123]
    .venv/bin/python bench/sample_assets.py --norwich [--count 50000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import shapely
from rich.console import Console
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import SHARED, bench_url
from layers import migrate
from layers.db import make_engine
from layers.importers import demo
from layers.settings import DatabaseSettings, Settings
from layers.taxonomy import COMMUNITIES_OF_IDENTITY, COMMUNITIES_OF_INTEREST, GROUP_CATEGORIES

console = Console(stderr=True)

SEED = 20261123
ENGLAND_SOURCE = "sample-bench"
NORWICH_SOURCE = "sample-bench-norwich"
MAP_DB = "patchmap_bench_map"
NORWICH_LON, NORWICH_LAT, NORWICH_RADIUS_M = 1.2930, 52.6309, 10_000.0
POPULATION_FILE = SHARED / "imd2019" / "File_6_-_IoD2019_Population_Denominators.csv.gz"

#: Shares of the three kinds of asset.
KIND_SHARES = {"group": 0.5, "hub": 0.3, "space": 0.2}
#: The category the filtered benchmark asks for.
BENCH_CATEGORY = "food"
#: How the search API's category filter treats each kind (layers/queries/search_params.py): a group
#: category applies to groups only, so a search with category=food leaves hubs and spaces out (and says so
#: in its notes); a hub kind or a space kind given as category finds only hubs or spaces of that kind.
MATCHING = "a group category finds groups only"
#: Share of groups carrying BENCH_CATEGORY: with half the assets groups, 20% of groups is 10% of assets.
CATEGORY_SHARE_OF_GROUPS = 0.20
#: Share of groups that meet at one of the sample hubs (hub_id set; the group takes the hub's point).
GROUPS_AT_HUBS = 0.20

HUB_KINDS = {
    "community_centre": 0.30,
    "village_hall": 0.20,
    "place_of_worship": 0.20,
    "school": 0.10,
    "library": 0.10,
    "sports_centre": 0.05,
    "other": 0.05,
}
HUB_NAMES = {
    "community_centre": "Community Centre",
    "village_hall": "Village Hall",
    "place_of_worship": "St Sample's Church Hall",
    "school": "Primary School",
    "library": "Library",
    "sports_centre": "Leisure Centre",
    "other": "Community Building",
}
SPACE_KINDS = {"room": 0.35, "vacant_shop": 0.25, "hall": 0.20, "office": 0.10, "outdoor": 0.10}
SPACE_NAMES = {
    "room": "Meeting Room",
    "vacant_shop": "Empty Shop",
    "hall": "Hall for Hire",
    "office": "Office Space",
    "outdoor": "Community Garden",
}
GROUP_NAMES = {
    "advice-support": "Advice Drop-in",
    "arts-culture": "Craft Circle",
    "children-families": "Stay and Play",
    "community-neighbourhood": "Residents' Association",
    "disability": "Access Forum",
    "carers": "Carers' Cafe",
    "education-skills": "Digital Skills Club",
    "environment": "Litter Pickers",
    "faith": "Faith Fellowship",
    "food": "Lunch Club",
    "health-wellbeing": "Wellbeing Walk",
    "heritage-history": "History Society",
    "housing-homelessness": "Tenants' Forum",
    "mutual-aid": "Mutual Aid Network",
    "older-people": "Friendship Club",
    "sport-activity": "Sports Club",
    "volunteering": "Time Bank",
    "youth": "Youth Club",
}
ACTIVITIES = [
    "coffee morning",
    "cooking",
    "gardening",
    "walking",
    "singing",
    "knitting",
    "bingo",
    "football",
    "homework help",
    "computer help",
    "litter picking",
    "book club",
    "yoga",
    "dance",
    "chess",
]
FACILITIES = ["kitchen", "wifi", "accessible toilet", "hearing loop", "parking", "garden", "projector"]
OPENING_HOURS = [
    "Mo-Fr 09:00-17:00",
    "Mo-Sa 09:00-21:00",
    "Mo-Fr 08:30-18:00; Sa 09:00-13:00",
    "Tu,Th 10:00-16:00; Sa 10:00-13:00",
    "Mo-Su 07:00-22:00",
    "We 18:00-21:00",
]
STREETS = [
    "High Street",
    "Church Lane",
    "Station Road",
    "Mill Road",
    "Park Avenue",
    "Victoria Road",
    "Green Lane",
    "Queen Street",
    "Market Place",
    "School Lane",
]
WEEKDAYS = ["mo", "tu", "we", "th", "fr", "sa", "su"]


@dataclass(frozen=True)
class Sample:
    """Points and kinds of a generated data set (the fields are drawn at insert time from the same seed)."""

    lon: np.ndarray
    lat: np.ndarray
    kind: np.ndarray  # "group" | "hub" | "space"


def population() -> pd.Series:
    """Total population (mid-2015) of every LSOA (2011), by code, from IoD2019 File 6."""
    frame = pd.read_csv(POPULATION_FILE, encoding="utf-8-sig", thousands=",", usecols=[0, 4])
    frame.columns = ["code", "population"]
    return frame.set_index("code")["population"].astype(float)


def lsoa_shapes(url: str, *, clip: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Codes, EPSG:4326 polygons and area shares (1, or the share inside the Norwich circle) of LSOAs."""
    if clip:
        query = (
            "WITH c AS (SELECT ST_Buffer(ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 27700),"
            " %(r)s, 64) AS g) SELECT a.code, ST_AsBinary(ST_Transform(ST_Intersection(ST_Transform(a.geom, 27700),"
            " c.g), 4326)), ST_Area(ST_Intersection(ST_Transform(a.geom, 27700), c.g))"
            " / ST_Area(ST_Transform(a.geom, 27700)) FROM areas a, c WHERE a.kind = 'lsoa'"
            " AND ST_Intersects(ST_Transform(a.geom, 27700), c.g) ORDER BY a.code"
        )
        params = {"lon": NORWICH_LON, "lat": NORWICH_LAT, "r": NORWICH_RADIUS_M}
    else:
        query = "SELECT code, ST_AsBinary(geom), 1.0 FROM areas WHERE kind = 'lsoa' ORDER BY code"
        params = {}
    with psycopg.connect(url) as conn:
        rows = conn.execute(query, params).fetchall()
    if not rows:
        raise SystemExit("no LSOAs in the database: load the boundaries first")
    codes = [r[0] for r in rows]
    shapes = shapely.from_wkb([bytes(r[1]) for r in rows])
    return codes, shapes, np.array([float(r[2]) for r in rows])


def points_in(shape: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points drawn uniformly inside ``shape`` (rejection sampling in its bounding box)."""
    shapely.prepare(shape)
    minx, miny, maxx, maxy = shape.bounds
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        batch = max(16, 3 * (n - have))
        xy = np.column_stack([rng.uniform(minx, maxx, batch), rng.uniform(miny, maxy, batch)])
        inside = xy[shapely.contains_xy(shape, xy[:, 0], xy[:, 1])]
        out.append(inside)
        have += len(inside)
    return np.concatenate(out)[:n]


def generate(url: str, count: int, seed: int, *, norwich: bool) -> Sample:
    """Draw ``count`` asset points by population and give each a kind, from ``seed``."""
    rng = np.random.default_rng(seed)
    codes, shapes, shares = lsoa_shapes(url, clip=norwich)
    pop = population().reindex(codes)
    if pop.isna().any():
        missing = pop[pop.isna()].index[:5].tolist()
        raise SystemExit(f"{int(pop.isna().sum())} LSOAs have no population in File 6, e.g. {missing}")
    weights = pop.to_numpy() * shares
    per_lsoa = rng.multinomial(count, weights / weights.sum())
    xy = np.concatenate([points_in(shapes[i], int(k), rng) for i, k in enumerate(per_lsoa) if k])
    xy = xy[rng.permutation(len(xy))]
    sizes = [round(count * s) for s in KIND_SHARES.values()]
    sizes[0] += count - sum(sizes)
    kinds = rng.permutation(np.repeat(list(KIND_SHARES), sizes))
    return Sample(lon=xy[:, 0], lat=xy[:, 1], kind=kinds)


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    return str(rng.choice(list(weights), p=list(weights.values())))


def _step_free(rng: np.random.Generator) -> bool | None:
    r = rng.random()
    return True if r < 0.60 else (False if r < 0.85 else None)


def _address(rng: np.random.Generator, i: int) -> str:
    return f"{1 + i % 197} {STREETS[int(rng.integers(len(STREETS)))]} (sample address)"


def _meets(rng: np.random.Generator) -> list[dict[str, Any]]:
    start = int(rng.integers(9, 20))
    days = sorted(rng.choice(7, size=int(rng.integers(1, 3)), replace=False).tolist())
    return [
        {
            "days": [WEEKDAYS[d] for d in days],
            "start": f"{start:02d}:00",
            "end": f"{start + 2:02d}:00",
            "frequency": _pick(rng, {"weekly": 0.6, "fortnightly": 0.2, "monthly": 0.2}),
        }
    ]


def _ewkt(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon:.7f} {lat:.7f})"


HUB_COLS = [
    "name",
    "kind",
    "description",
    "address",
    "geom",
    "facilities",
    "opening_hours",
    "operator_type",
    "step_free",
    "website",
    "source",
    "source_id",
]
HUB_TYPES = [
    "text",
    "text",
    "text",
    "text",
    "text",
    "text[]",
    "text",
    "text",
    "bool",
    "text",
    "text",
    "text",
]
SPACE_COLS = [
    "name",
    "kind",
    "description",
    "address",
    "geom",
    "floor_area_m2",
    "capacity",
    "price_amount",
    "price_unit",
    "price_band",
    "availability",
    "terms",
    "status",
    "step_free",
    "source",
    "source_id",
]
SPACE_TYPES = [
    "text",
    "text",
    "text",
    "text",
    "text",
    "float8",
    "int4",
    "float8",
    "text",
    "text",
    "jsonb",
    "text",
    "text",
    "bool",
    "text",
    "text",
]
GROUP_COLS = [
    "name",
    "description",
    "categories",
    "communities_of_identity",
    "communities_of_interest",
    "activities",
    "meets",
    "hub_id",
    "venue_address",
    "geom",
    "location_precision",
    "website",
    "step_free",
    "cost",
    "age_min",
    "age_max",
    "volunteers_wanted",
    "status",
    "source",
    "source_id",
]
GROUP_TYPES = [
    "text",
    "text",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "jsonb",
    "int4",
    "text",
    "text",
    "text",
    "text",
    "bool",
    "text",
    "int4",
    "int4",
    "bool",
    "text",
    "text",
    "text",
]


def hub_rows(sample: Sample, rng: np.random.Generator, source: str) -> list[tuple[Any, ...]]:
    """COPY rows for the hubs of ``sample``."""
    rows = []
    for n, i in enumerate(np.flatnonzero(sample.kind == "hub")):
        kind = _pick(rng, HUB_KINDS)
        facilities = sorted(rng.choice(FACILITIES, size=int(rng.integers(0, 4)), replace=False).tolist())
        # hubs' rooms are rows of their own since migration 0010 (bench/free_rooms.py adds them); the draw
        # stays, so the seed still gives the same hubs as before
        _ = [{"name": "Main hall", "capacity": int(rng.integers(30, 200))}] if rng.random() < 0.7 else []
        rows.append(
            (
                f"Sample {HUB_NAMES[kind]} {n + 1}",
                kind,
                "Sample data for benchmarks: a community building.",
                _address(rng, n),
                _ewkt(sample.lon[i], sample.lat[i]),
                facilities,
                OPENING_HOURS[int(rng.integers(len(OPENING_HOURS)))] if rng.random() < 0.8 else None,
                _pick(
                    rng, {"council": 0.3, "community": 0.4, "partner": 0.15, "private": 0.05, "unknown": 0.1}
                ),
                _step_free(rng),
                f"https://example.org/sample/hub/{n + 1}" if rng.random() < 0.4 else None,
                source,
                f"hub-{n + 1:06d}",
            )
        )
    return rows


def space_rows(sample: Sample, rng: np.random.Generator, source: str) -> list[tuple[Any, ...]]:
    """COPY rows for the spaces of ``sample`` (all available or under offer, so all are shown)."""
    rows = []
    for n, i in enumerate(np.flatnonzero(sample.kind == "space")):
        kind = _pick(rng, SPACE_KINDS)
        band = _pick(rng, {"free": 0.2, "low-cost": 0.4, "market": 0.4})
        unit = "hour" if kind in ("room", "hall") else _pick(rng, {"day": 0.3, "week": 0.3, "month": 0.4})
        base = {"hour": 10.0, "day": 60.0, "week": 250.0, "month": 900.0}[unit]
        price = (
            0.0
            if band == "free"
            else round(base * (rng.uniform(0.3, 0.8) if band == "low-cost" else rng.uniform(1.0, 3.0)), 2)
        )
        rows.append(
            (
                f"Sample {SPACE_NAMES[kind]} {n + 1}",
                kind,
                "Sample data for benchmarks: a space to use.",
                _address(rng, n),
                _ewkt(sample.lon[i], sample.lat[i]),
                round(float(rng.uniform(12, 400)), 1),
                int(rng.integers(4, 150)),
                price,
                unit,
                band,
                (
                    {
                        "weekdays": True,
                        "evenings": bool(rng.random() < 0.5),
                        "weekends": bool(rng.random() < 0.4),
                    }
                ),
                "short-term meanwhile use" if kind == "vacant_shop" else None,
                "available" if rng.random() < 0.85 else "under_offer",
                _step_free(rng),
                source,
                f"space-{n + 1:06d}",
            )
        )
    return rows


def group_rows(
    sample: Sample, rng: np.random.Generator, source: str, hubs: list[tuple[int, float, float]]
) -> list[tuple[Any, ...]]:
    """COPY rows for the groups of ``sample``; ``hubs`` are (id, lon, lat) of the sample hubs."""
    index = np.flatnonzero(sample.kind == "group")
    with_category = np.zeros(len(index), dtype=bool)
    with_category[
        rng.choice(len(index), size=round(CATEGORY_SHARE_OF_GROUPS * len(index)), replace=False)
    ] = True
    others = [c for c in GROUP_CATEGORIES if c != BENCH_CATEGORY]
    identities, interests = list(COMMUNITIES_OF_IDENTITY), list(COMMUNITIES_OF_INTEREST)
    rows = []
    for n, i in enumerate(index):
        how_many = int(rng.integers(1, 4))  # 1 to 3 categories
        if with_category[n]:
            cats = [BENCH_CATEGORY, *rng.choice(others, size=how_many - 1, replace=False).tolist()]
        else:
            cats = rng.choice(others, size=how_many, replace=False).tolist()
        at_hub = bool(hubs) and rng.random() < GROUPS_AT_HUBS
        if at_hub:
            hub_id, lon, lat = hubs[int(rng.integers(len(hubs)))]
        else:
            hub_id, lon, lat = None, float(sample.lon[i]), float(sample.lat[i])
        age_min = int(rng.choice([0, 5, 11, 18, 50, 60])) if rng.random() < 0.3 else None
        rows.append(
            (
                f"Sample {GROUP_NAMES[cats[0]]} {n + 1}",
                "Sample data for benchmarks: a community group.",
                cats,
                sorted(rng.choice(identities, size=int(rng.integers(0, 3)), replace=False).tolist()),
                sorted(rng.choice(interests, size=int(rng.integers(0, 3)), replace=False).tolist()),
                sorted(rng.choice(ACTIVITIES, size=int(rng.integers(1, 4)), replace=False).tolist()),
                _meets(rng),
                hub_id,
                None if at_hub else _address(rng, n),
                _ewkt(lon, lat),
                "hub" if at_hub else "venue",
                f"https://example.org/sample/group/{n + 1}" if rng.random() < 0.3 else None,
                _step_free(rng),
                _pick(rng, {"free": 0.5, "low-cost": 0.35, "paid": 0.15}),
                age_min,
                None if age_min is None or age_min >= 18 else age_min + 10,
                bool(rng.random() < 0.3),
                "active",
                source,
                f"group-{n + 1:06d}",
            )
        )
    return rows


def _copy(
    cur: psycopg.Cursor[Any], table: str, cols: list[str], types: list[str], rows: list[tuple[Any, ...]]
) -> None:
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def insert(url: str, sample: Sample, seed: int, source: str) -> dict[str, int]:
    """Replace the rows of ``source`` by ``sample`` in one transaction (COPY); return counts by table."""
    rng = np.random.default_rng(seed + 1)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table in ("groups", "spaces", "hubs"):
            cur.execute(f"DELETE FROM {table} WHERE source = %s", [source])
        _copy(cur, "hubs", HUB_COLS, HUB_TYPES, hub_rows(sample, rng, source))
        hubs = cur.execute(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM hubs WHERE source = %s ORDER BY source_id", [source]
        ).fetchall()
        _copy(cur, "spaces", SPACE_COLS, SPACE_TYPES, space_rows(sample, rng, source))
        _copy(cur, "groups", GROUP_COLS, GROUP_TYPES, group_rows(sample, rng, source, hubs))
        counts = {
            t: int(cur.execute(f"SELECT count(*) FROM {t} WHERE source = %s", [source]).fetchone()[0])  # type: ignore[index]
            for t in ("groups", "hubs", "spaces")
        }
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE groups, hubs, spaces")
    return counts


def category_share(url: str, source: str) -> float:
    """Share of the sample's assets carrying BENCH_CATEGORY (groups only carry categories)."""
    with psycopg.connect(url) as conn:
        hit, total = conn.execute(
            "SELECT (SELECT count(*) FROM groups WHERE source = %(s)s AND %(c)s = ANY(categories)),"
            " (SELECT count(*) FROM groups WHERE source = %(s)s) + (SELECT count(*) FROM hubs WHERE source = %(s)s)"
            " + (SELECT count(*) FROM spaces WHERE source = %(s)s)",
            {"s": source, "c": BENCH_CATEGORY},
        ).fetchone()  # type: ignore[misc]
    return hit / total if total else 0.0


def existing(url: str, source: str) -> int:
    """How many assets of ``source`` the database holds."""
    with psycopg.connect(url) as conn:
        return int(
            conn.execute(
                "SELECT (SELECT count(*) FROM groups WHERE source = %(s)s) + (SELECT count(*) FROM hubs WHERE source = %(s)s)"
                " + (SELECT count(*) FROM spaces WHERE source = %(s)s)",
                {"s": source},
            ).fetchone()[0]
        )  # type: ignore[index]


def england_url(base_url: str) -> str:
    """The England bench database, migrated, with England's wards and LSOAs loaded (as bench/lookup.py)."""
    from bench.lookup import load_england  # loads wards and LSOAs once; migrates first

    url = bench_url(base_url)
    load_england(url)
    return url


def norwich_url(base_url: str) -> str:
    """The map bench database, migrated, with the Norfolk demo loaded once."""
    url = bench_url(base_url, MAP_DB)
    db = DatabaseSettings(url=url)
    migrate.upgrade(db)
    engine = make_engine(db)
    try:
        with engine.begin() as conn:
            if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM areas)")).scalar_one():
                console.print("loading the Norfolk demo into " + MAP_DB)
                demo.load_demo(conn, Settings(database=db))
    finally:
        engine.dispose()
    return url


def ensure(
    base_url: str, *, norwich: bool, count: int, seed: int = SEED, force: bool = False
) -> tuple[str, dict[str, Any]]:
    """The database URL holding the sample set (generated unless already there with ``count`` rows)."""
    url = norwich_url(base_url) if norwich else england_url(base_url)
    source = NORWICH_SOURCE if norwich else ENGLAND_SOURCE
    info: dict[str, Any] = {"source": source, "count": count, "seed": seed}
    if not force and existing(url, source) == count:
        info["generated"] = False
    else:
        t = time.perf_counter()
        sample = generate(url, count, seed, norwich=norwich)
        info["generate_s"] = time.perf_counter() - t
        t = time.perf_counter()
        info["counts"] = insert(url, sample, seed, source)
        info["insert_s"] = time.perf_counter() - t
        info["generated"] = True
    with psycopg.connect(url, autocommit=True) as conn:  # a migration may have rewritten every row since
        conn.execute("VACUUM ANALYZE groups, hubs, spaces")
    info["category_share"] = category_share(url, source)
    return url, info


def main() -> None:
    """Generate a sample set and insert it into its bench database."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--norwich", action="store_true", help="50,000 assets around Norwich, for the map")
    ap.add_argument("--count", type=int, help="assets (default 100,000; 50,000 with --norwich)")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL (make bench does)")
    count = args.count or (50_000 if args.norwich else 100_000)
    url, info = ensure(base, norwich=args.norwich, count=count, seed=args.seed, force=True)
    console.print(
        f"{url.split('?')[0].rsplit('/', 1)[-1]}: {info['counts']} (source {info['source']!r}); "
        f"generated in {info['generate_s']:.1f} s, inserted in {info['insert_s']:.1f} s; "
        f"category {BENCH_CATEGORY!r} on {info['category_share']:.1%} of the assets"
    )


if __name__ == "__main__":
    main()
