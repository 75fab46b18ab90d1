"""Tiles already made, kept in the worker's memory by their ETag (so by the data version they were made from).

A request first reads the data version (``mvt.current_version``: one small query); a tile kept under that ETag is
the tile the database would make now, so it is served without being made again. A change to the data changes
the ETag, so kept tiles of the old data are never served: they age out, least recently used first, within a
byte budget (``MapSettings.vector_tile_cache_mb``; 0 keeps none). One per app, made in ``create_app``.
"""

from __future__ import annotations

from collections import OrderedDict

Key = tuple[str, int, int, int]


class TileCache:
    """Tiles by (collection, z, x, y), each with its ETag, within ``max_bytes`` (least recently used go first)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._tiles: OrderedDict[Key, tuple[str, bytes]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key, etag: str) -> bytes | None:
        """The kept tile if it was made with this ETag, else None."""
        kept = self._tiles.get(key)
        if kept is None or kept[0] != etag:
            self.misses += 1
            return None
        self._tiles.move_to_end(key)
        self.hits += 1
        return kept[1]

    def holds(self, key: Key) -> bool:
        """Whether a tile (of any version) is kept under key."""
        return key in self._tiles

    def put(self, key: Key, etag: str, data: bytes) -> None:
        """Keep a tile made with this ETag (in place of any older one of the same tile)."""
        if len(data) > self.max_bytes:
            return
        old = self._tiles.pop(key, None)
        if old is not None:
            self.bytes -= len(old[1])
        self._tiles[key] = (etag, data)
        self.bytes += len(data)
        while self.bytes > self.max_bytes and self._tiles:
            _, (_, dropped) = self._tiles.popitem(last=False)
            self.bytes -= len(dropped)
