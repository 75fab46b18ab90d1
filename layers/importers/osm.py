"""PLACEHOLDER: being written (OSM importer)."""
from __future__ import annotations
from pathlib import Path
from sqlalchemy import Connection
from layers.importers.report import ImportReport, Progress


def import_osm(conn: Connection, paths: list[Path], *, allow_rejects: bool = False, progress: Progress | None = None) -> ImportReport:
    return ImportReport("OSM (placeholder)", "-")
