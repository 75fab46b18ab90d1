"""Vector tiles (OGC API - Tiles, Mapbox Vector Tiles) of the boundaries and the public assets.

``tilesets`` says what there is: the WebMercatorQuad tile matrix set, one tileset per collection (wards,
districts, lsoas, localities; hubs, spaces, groups), the conformance classes, each collection's tile links and
its TileJSON. ``mvt`` makes a tile in PostGIS (``ST_AsMVT``, layers/sql/tiles_*.sql) with the data version it
was made from, which names its ETag, and answers "is this ETag still current?" without making the tile.
``decode`` reads a tile's layers and features back (for tests, the benchmark and anyone checking a tile).
"""
