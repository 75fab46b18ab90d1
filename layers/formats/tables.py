"""Spreadsheet-safe CSV: text cells that a spreadsheet would run as a formula are written as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(v: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula: one starting with = + - @ tab or CR gets a ' first.

    Numbers are left as numbers (a negative gap stays -0.25): only text can carry a formula.
    """
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows as CSV text (CRLF line ends, a header row), every cell through ``safe_cell``.

    ``columns`` fixes the header and leaves other keys out; without it the first row's keys are the header.
    No rows and no columns give an empty text.
    """
    rows = list(rows)
    fields = list(columns) if columns is not None else list(rows[0]) if rows else []
    buffer = io.StringIO()
    if fields:
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: safe_cell(row.get(k)) for k in fields} for row in rows)
    return buffer.getvalue()
