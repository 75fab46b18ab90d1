"""OGC API – Features (Part 1 Core, Part 2 CRS) over the public views of schema ``ogc`` (migration
0021_public_views): which collections there are and what they hold (``collections``), the query parameters a
request may carry and their checks (``params``), the reads that build GeoJSON in PostGIS (``features``) and
the JSON documents with their links (``documents``). Knows nothing of HTTP frameworks: ``api/routes/
ogc_features.py`` hands in the parameters and the base address and sends what comes back.
"""
