"""The hand-written PostGIS statements (``layers/sql/*.sql``) and their one loader.

Every module that runs a statement from a file gets its text here, so there is one place that knows
where the files live (package data, read with importlib.resources) and caches them.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def sql(name: str) -> str:
    """The text of ``layers/sql/<name>``."""
    return (files("layers.sql") / name).read_text(encoding="utf-8")
