"""Making a vector tile in PostGIS, and the version of the data it was made from (its ETag).

A tile is made by one statement (layers/sql/tiles_areas.sql or tiles_assets.sql) that also reads the change
counters of its sources (``analysis_changes``, migration 0017: raised by every committed write to the areas,
the indicators, the groups, hubs and spaces, or the mapped extents), so the version names exactly the data in
the tile. A conditional request, or one for a tile already kept, reads only the counters (``current_version``):
while they are unchanged the client's copy (or the kept tile) is current and no tile is made.

Boundary tiles carry each area's overlay class and priority, stored per level by ``layers.ogc.overlay`` (the
same values the OGC API's area collections carry), so their version is every input of the overlay, and each
read also says whether the level's stored overlay is of that version. When it is not (the data changed since
it was stored), ``answer`` says so (``STALE``); the caller stores it again, without holding its connection,
and asks once more: no tile is kept from an out-of-date overlay. Asset tiles are another version (``assets`` only), so a boundary
change does not make clients fetch the markers again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from layers.ogc import overlay
from layers.sql import sql
from layers.tiles.cache import TileCache
from layers.tiles.tilesets import Tileset, band_of

#: Changes whenever the tiles' content changes for the same data (SQL, simplification, fields): a new ETag.
FORMAT = "t2"
#: The assets' counter, and whether this transaction has raised it itself (then its tiles hold data not yet
#: committed, which may be rolled back: they are not kept). Asset tiles carry no overlay: always current.
ASSETS_VERSION = (
    "SELECT string_agg(source || ':' || changes, '-' ORDER BY source) AS version, "
    "coalesce(bool_or(last_xid = pg_current_xact_id_if_assigned()::text), false) AS mine, true AS current "
    "FROM analysis_changes WHERE source = 'assets'"
)
#: Each source's statements, encoded once (psycopg then finds each one's parsed form by the same bytes): the
#: version alone, and the tile with its version.
VERSION = {"areas": overlay.VERSION_SQL.encode(), "assets": ASSETS_VERSION.encode()}
TILE = {
    "areas": sql("tiles_areas.sql").replace("/* overlay_version.sql */", overlay.VERSION_SQL).encode(),
    "assets": sql("tiles_assets.sql").encode(),
}


@dataclass(frozen=True)
class Version:
    """The ETag a tile would have if made now, whether a tile made now may be kept, and whether the stored
    overlay it would carry is current (always, for asset tiles)."""

    etag: str
    keep: bool
    current: bool = True


@dataclass(frozen=True)
class Tile:
    """A Mapbox Vector Tile (empty bytes: no feature meets the tile), its strong ETag, and whether it may be
    kept (not when made in a transaction that changed its data)."""

    data: bytes
    etag: str
    keep: bool = True
    current: bool = True


def etag_of(ts: Tileset, z: int, x: int, y: int, version: str | None) -> str:
    """The strong ETag (quoted) of a tile made from the data at ``version``."""
    digest = hashlib.sha256(f"{FORMAT}/{ts.id}/{z}/{x}/{y}/{version}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _params(ts: Tileset, z: int, x: int, y: int) -> dict[str, Any]:
    """The parameters of the tileset's statements for tile z/x/y."""
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "kind": ts.kind, "layer": ts.id}
    if ts.source == "areas":
        params["band"] = band_of(z)
    return params


async def current_version(conn: AsyncConnection[DictRow], ts: Tileset, z: int, x: int, y: int) -> Version:
    """The ETag the tile would have if made now (reads the change counters only)."""
    cur = await conn.execute(VERSION[ts.source], _params(ts, z, x, y))
    row = await cur.fetchone()
    if row is None:  # one row always; typed as optional
        return Version(etag_of(ts, z, x, y, None), False)
    current = bool(row["current"])
    return Version(etag_of(ts, z, x, y, row["version"]), current and not row["mine"], current)


class Stale:
    """What ``answer`` gives instead of a tile when the level's stored overlay is out of date and the caller
    may store it again first (``final=False``): the caller does so without holding its connection, then asks
    again with ``final=True``."""


STALE: Final = Stale()


async def answer(
    conn: AsyncConnection[DictRow],
    cache: TileCache,
    ts: Tileset,
    z: int,
    x: int,
    y: int,
    known: Callable[[str], bool] | None,
    *,
    final: bool = True,
) -> Tile | str | Stale:
    """The tile z/x/y as the data stands now, or only its ETag when ``known(etag)`` says the client holds it.

    The version is read first (one small query) when it can spare work: the client names ETags, or a tile is
    kept (served if still current). Otherwise the tile is made at once (its statement reads the version too).
    Either read may find the level's stored overlay out of date: then, unless ``final``, ``STALE`` (store it
    and ask again); when ``final``, the tile is served as it is, and not kept."""
    key = (ts.id, z, x, y)
    if known is not None or cache.holds(key):
        version = await current_version(conn, ts, z, x, y)
        if not version.current and not final:
            return STALE
        if known is not None and known(version.etag):
            return version.etag
        kept = cache.get(key, version.etag) if version.keep else None
        if kept is not None:
            return Tile(kept, version.etag)
    tile = await read_tile(conn, ts, z, x, y)
    if not tile.current and not final:
        return STALE
    if tile.keep:
        cache.put(key, tile.etag, tile.data)
    return tile


async def read_tile(conn: AsyncConnection[DictRow], ts: Tileset, z: int, x: int, y: int) -> Tile:
    """The tile z/x/y of the tileset, made now, with the ETag of the data it was made from."""
    cur = await conn.execute(TILE[ts.source], _params(ts, z, x, y))
    row = await cur.fetchone()
    if row is None:  # one row always; typed as optional
        return Tile(b"", etag_of(ts, z, x, y, None), False)
    current = bool(row["current"])
    return Tile(
        bytes(row["tile"] or b""), etag_of(ts, z, x, y, row["version"]), current and not row["mine"], current
    )
