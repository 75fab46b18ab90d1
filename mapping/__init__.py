"""Leaflet maps built with folium: page builders, styles, escaping and the app's own front-end assets.

This package is handed data; it never opens a database session.
"""
