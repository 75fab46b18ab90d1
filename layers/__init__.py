"""Patchmap's data and domain layer. It knows nothing of HTTP (FastAPI) or of maps (folium);
``tests/layers/test_layering.py`` checks it, and that no module here imports another in a cycle.

At the root, the foundations every room uses: ``settings``, ``db`` (engine and pools are built from
settings, never at import), ``errors`` (domain errors; the API maps them to HTTP), ``taxonomy``
(vocabularies and the indicators Patchmap knows), ``fields`` (shared input types), ``migrate``.

The rooms: ``models/`` (SQLAlchemy models), ``sql/`` (the .sql files and their one loader), ``areas/``
(boundaries, postcodes, lookups), ``records/`` (groups, hubs, spaces: versions, freshness, opening
hours), ``offers/`` (residents' submissions and their moderation), ``access/`` (users, sessions, scope,
audit), ``patch/`` (a co-ordinator's district: summary, ward packs, partners), ``queries/`` (hot async
reads: search, map layers, public records), ``analysis/`` (overlay, 2SFCA, gaps), ``importers/`` (one
per source kind, and the demo), ``formats/`` (output formats and their writers). Booking and messages
get rooms of their own (``booking/``, ``messages/``) when they are built.
"""
