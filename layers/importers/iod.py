"""PLACEHOLDER: being written (IoD2019 importer and roll-up)."""
from __future__ import annotations
from pathlib import Path
from typing import Any
from sqlalchemy import Connection
from layers.importers.report import ImportReport, Progress


def import_iod(conn: Connection, paths: list[Path], *, allow_rejects: bool = False, progress: Progress | None = None) -> ImportReport:
    return ImportReport("IoD2019 (placeholder)", "-")


def rollup_indicators(conn: Connection, *, metric_srid: int = 27700, progress: Progress | None = None) -> ImportReport:
    return ImportReport("roll-up (placeholder)", "-")
