"""The latest overlay of each level under the default settings, stored for the area collections' views.

The overlay is computed in memory (``layers.analysis``); the views ``ogc.wards`` ... ``ogc.localities`` join its
latest default-settings answer from ``area_overlay`` (migration 0022_area_overlay). Before an area collection
is read, ``is_current`` compares the level's stored data version with the data's version now (one small
query); when they differ, ``refresh`` computes the level's overlay once (the same kept answer
``GET /analysis/overlay?level=<level>&f=json`` gives, so the two agree) and stores it. So the stored values
follow every change to areas, indicators, assets or mapped extents, and a page never computes the overlay
unless the data changed since the level was last stored.
"""

from __future__ import annotations

from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from sqlalchemy import Connection, text

from layers.analysis.cache import SOURCES, read_counters
from layers.analysis.export import overlay_answer
from layers.analysis.gaps import CLASS_WORDS
from layers.analysis.overlay import DEFAULT_RADIUS_M, OverlayOptions
from layers.errors import NotFound
from layers.sql import sql

#: The area collections and the overlay level of each.
LEVELS: Final = {"wards": "ward", "districts": "district", "lsoas": "lsoa", "localities": "locality"}
#: The settings ``GET /analysis/overlay`` uses when given none (``api.routes.analysis.AnalysisQuery``).
DEFAULT_MEASURES: Final[dict[str, Any]] = {
    "options": OverlayOptions(),
    "need": "imd",
    "need_higher_is_more": True,
    "provision": "per_1000",
}
#: Each stored column and the overlay record's field it holds (``layers.analysis.export.records``).
FIELDS: Final = {
    "assets_per_1000": "assets_per_1000",
    "coverage_800m": "coverage",
    "access_2sfca": "access_2sfca",
    "overlay_priority": "priority",
    "overlay_class": "bivariate_class",
}
assert DEFAULT_RADIUS_M == 800.0, "coverage_800m is named for the default coverage radius"
DELETE = text("DELETE FROM area_overlay WHERE level = :level")
RUN = text(
    "INSERT INTO area_overlay_runs (level, version, computed_at) VALUES (:level, :version, now()) "
    "ON CONFLICT (level) DO UPDATE SET version = excluded.version, computed_at = excluded.computed_at"
)
STORED = text("SELECT version FROM area_overlay_runs WHERE level = :level")
LOCK = text("SELECT pg_advisory_xact_lock(hashtext('patchmap.area_overlay.' || :level))")
assert all(s.isidentifier() for s in SOURCES)
#: The inputs' version now and whether a level's stored overlay is of it (parameter: kind, the level), the
#: inputs in order as a constant array (they are the code's, not a request's). Boundary tiles read it too.
VERSION_SQL: Final = sql("overlay_version.sql").replace(
    "/* sources */", "ARRAY[" + ", ".join(f"'{s}'" for s in SOURCES) + "]::text[]"
)
_CURRENT: Final = VERSION_SQL.encode()


async def is_current(conn: AsyncConnection[Any], level: str) -> bool:
    """Whether the stored overlay of ``level`` was computed from the data as it is now."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(_CURRENT, {"kind": level})
    row = await cur.fetchone()
    return bool(row and row["current"])


def refresh(conn: Connection, level: str) -> str | None:
    """Store the default overlay of ``level`` unless the stored one is of the data's version now; that version
    (None, storing nothing, inside a transaction that has itself written to the overlay's inputs)."""
    version = read_counters(conn).version
    if version is None:
        return None
    conn.execute(LOCK, {"level": level})  # one worker computes; the others wait, then find it stored
    if conn.execute(STORED, {"level": level}).scalar() == version:
        return version
    try:
        answer = overlay_answer(conn, "json", level=level, within=None, crs=4326, **DEFAULT_MEASURES)
    except (
        NotFound
    ):  # no areas of this level: nothing to store, and nothing to compute until the data changes
        answer = {"areas": []}
    assert isinstance(answer, dict)
    areas = answer["areas"]
    columns: dict[str, list[Any]] = {c: [a[f] for a in areas] for c, f in FIELDS.items()}
    columns["overlay_class_label"] = [CLASS_WORDS.get(c) if c else None for c in columns["overlay_class"]]
    conn.execute(DELETE, {"level": level})
    conn.execute(
        text(sql("ogc_overlay_store.sql")),
        {"level": level, "version": version, "codes": [a["code"] for a in areas], **columns},
    )
    conn.execute(RUN, {"level": level, "version": version})
    return version
