"""Typed reads for the API: async functions over a psycopg connection, SQL in ``layers/sql``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def sql(name: str) -> str:
    """The text of ``layers/sql/<name>``."""
    return (files("layers") / "sql" / name).read_text(encoding="utf-8")
