"""PLACEHOLDER: being written (postcodes)."""
from __future__ import annotations
from pathlib import Path
from sqlalchemy import Connection
from layers.importers.report import ImportReport, Progress


def build_approximate_postcodes(conn: Connection, osm_paths: list[Path], *, progress: Progress | None = None) -> ImportReport:
    return ImportReport("postcodes (placeholder)", "-")
