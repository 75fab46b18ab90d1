"""Patchmap's data and domain layer: settings, database, models, importers, queries and analysis.

This package knows nothing of HTTP (FastAPI) or of maps (folium); `tests/test_layering.py` checks it.
"""
