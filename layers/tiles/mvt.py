"""Making a vector tile in PostGIS, and the version of the data it was made from (its ETag).

A tile is made by one statement (layers/sql/tiles_areas.sql or tiles_assets.sql) that also reads the change
counters of its sources (``analysis_changes``, migration 0017: raised by every committed write to the areas,
the indicators, or the groups, hubs and spaces), so the version names exactly the data in the tile. A
conditional request reads only the counters (``current_version``): while they are unchanged the client's copy
is current and no tile is made. Boundaries and indicators are one version (``areas``, ``indicators``); the
assets another (``assets``), so a hub moving does not make clients fetch boundaries again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from layers.sql import sql
from layers.tiles.cache import TileCache
from layers.tiles.tilesets import Tileset, band_of

#: Changes whenever the tiles' content changes for the same data (SQL, simplification, fields): a new ETag.
FORMAT = "t1"
SOURCES = {"areas": ("areas", "indicators"), "assets": ("assets",)}
#: The sources' counters, and whether this transaction has raised one itself (then its tiles hold data not yet
#: committed, which may be rolled back: they are not kept).
VERSION = (
    "SELECT string_agg(source || ':' || changes, '-' ORDER BY source) AS version, "
    "coalesce(bool_or(last_xid = pg_current_xact_id_if_assigned()::text), false) AS mine "
    "FROM analysis_changes WHERE source = ANY(%(sources)s::text[])"
)


@dataclass(frozen=True)
class Version:
    """The ETag a tile would have if made now, and whether a tile made now may be kept."""

    etag: str
    keep: bool


@dataclass(frozen=True)
class Tile:
    """A Mapbox Vector Tile (empty bytes: no feature meets the tile), its strong ETag, and whether it may be
    kept (not when made in a transaction that changed its data)."""

    data: bytes
    etag: str
    keep: bool = True


def etag_of(ts: Tileset, z: int, x: int, y: int, version: str | None) -> str:
    """The strong ETag (quoted) of a tile made from the data at ``version``."""
    digest = hashlib.sha256(f"{FORMAT}/{ts.id}/{z}/{x}/{y}/{version}".encode()).hexdigest()[:32]
    return f'"{digest}"'


async def current_version(conn: AsyncConnection[DictRow], ts: Tileset, z: int, x: int, y: int) -> Version:
    """The ETag the tile would have if made now (reads the change counters only)."""
    cur = await conn.execute(VERSION, {"sources": list(SOURCES[ts.source])})
    row = await cur.fetchone()
    if row is None:  # one row always; typed as optional
        return Version(etag_of(ts, z, x, y, None), False)
    return Version(etag_of(ts, z, x, y, row["version"]), not row["mine"])


async def current_tile(
    conn: AsyncConnection[DictRow], cache: TileCache, ts: Tileset, z: int, x: int, y: int, version: Version
) -> Tile:
    """The tile z/x/y as the data stands at ``version`` (``current_version``): kept, or made now (and kept)."""
    key = (ts.id, z, x, y)
    kept = cache.get(key, version.etag) if version.keep else None
    if kept is not None:
        return Tile(kept, version.etag)
    return await made_tile(conn, cache, ts, z, x, y)


async def answer(
    conn: AsyncConnection[DictRow],
    cache: TileCache,
    ts: Tileset,
    z: int,
    x: int,
    y: int,
    known: Callable[[str], bool] | None,
) -> Tile | str:
    """The tile z/x/y as the data stands now, or only its ETag when ``known(etag)`` says the client holds it.

    The version is read first (one small query) when it can spare work: the client names ETags, or a tile is
    kept (served if still current). Otherwise the tile is made at once (its statement reads the version too)."""
    if known is not None or cache.holds((ts.id, z, x, y)):
        version = await current_version(conn, ts, z, x, y)
        if known is not None and known(version.etag):
            return version.etag
        return await current_tile(conn, cache, ts, z, x, y, version)
    return await made_tile(conn, cache, ts, z, x, y)


async def made_tile(
    conn: AsyncConnection[DictRow], cache: TileCache, ts: Tileset, z: int, x: int, y: int
) -> Tile:
    """The tile made now, and kept under its own ETag (unless this transaction changed its data)."""
    tile = await read_tile(conn, ts, z, x, y)
    if tile.keep:
        cache.put((ts.id, z, x, y), tile.etag, tile.data)
    return tile


async def read_tile(conn: AsyncConnection[DictRow], ts: Tileset, z: int, x: int, y: int) -> Tile:
    """The tile z/x/y of the tileset, made now, with the ETag of the data it was made from."""
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "kind": ts.kind, "layer": ts.id}
    if ts.source == "areas":
        params["band"] = band_of(z)
    cur = await conn.execute(sql(f"tiles_{ts.source}.sql"), params)
    row = await cur.fetchone()
    if row is None:  # one row always; typed as optional
        return Tile(b"", etag_of(ts, z, x, y, None), False)
    return Tile(bytes(row["tile"] or b""), etag_of(ts, z, x, y, row["version"]), not row["mine"])
