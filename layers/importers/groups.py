"""PLACEHOLDER: being written (groups)."""
from __future__ import annotations
from pathlib import Path
from sqlalchemy import Connection
from layers.importers.report import ImportReport, Progress


def import_groups(conn: Connection, path: Path, *, serves: list[str] | None = None, source: str | None = None, allow_rejects: bool = False, progress: Progress | None = None) -> ImportReport:
    return ImportReport("groups (placeholder)", "-")
