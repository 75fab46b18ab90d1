"""How the spreadsheet importers (groups, hubs and spaces, rooms) read a row's cells the same way: the field
types the forms use (``layers.fields``), where a person's contact goes (never a public column), yes or no,
numbers and semicolon lists. A cell that cannot be read raises ``Reject`` with the reason the report gives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from layers.fields import Email, Name, Phone, Text, Url, checked

#: Columns checked by the same rules as the forms and edits (``layers.fields``).
FIELD_TYPES: Final[dict[str, Any]] = {
    "name": Name,
    "description": Text,
    "website": Url,
    "email": Email,
    "phone": Phone,
}
#: A person's contact columns and their keys in ``private_contact`` (never public).
PRIVATE: Final[dict[str, str]] = {
    "contact_name": "name",
    "contact_email": "email",
    "contact_phone": "phone",
}
TRUE: Final = frozenset({"yes", "y", "true", "1"})
FALSE: Final = frozenset({"no", "n", "false", "0"})


class Reject(Exception):
    """A row is rejected, for this reason."""


def check_fields(row: dict[str, Any]) -> None:
    """Check (and tidy) the row's FIELD_TYPES columns in place, as a form would; Reject saying which and why."""
    for col, field_type in FIELD_TYPES.items():
        if row.get(col) is not None:
            try:
                row[col] = checked(field_type, row[col])
            except ValueError as exc:
                raise Reject(f"{col}: {exc}") from None


def private_contact(rec: Mapping[str, str], columns: Mapping[str, str] = PRIVATE) -> dict[str, str] | None:
    """The row's private contact (``columns``: file column → key) when the file has any of those columns."""
    if not any(col in rec for col in columns):
        return None
    return {key: rec[col].strip() for col, key in columns.items() if (rec.get(col) or "").strip()}


def yes_no(value: str, col: str) -> bool | None:
    """``yes``/``no`` (``y``, ``true``, ``1``, ...) as a bool; blank as None (not known)."""
    v = value.strip().lower()
    if not v:
        return None
    if v in TRUE or v in FALSE:
        return v in TRUE
    raise Reject(f"{col} {value!r} is not yes or no")


#: The largest capacity (people) and floor area (square metres) a row may give, as the forms allow.
MOST: Final = {"capacity": 1_000_000, "floor_area_m2": 1_000_000}
#: Commas grouping thousands, as UK spreadsheets write them: ``1,250`` or ``12,500.5``.
THOUSANDS: Final = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def number_text(cell: str) -> str:
    """The cell as Python would read a number: commas grouping thousands dropped (``1,250`` → ``1250``); any
    other comma is left, so the number does not read (``85,5`` may be a decimal comma or a typo: the row is
    rejected saying so, as the indicators importer does, rather than read as 855)."""
    raw = cell.strip()
    return raw.replace(",", "") if THOUSANDS.fullmatch(raw) else raw


def positive(rec: Mapping[str, str], col: str, *, whole: bool) -> int | float | None:
    """The cell ``col`` as a number above 0 and at most ``MOST`` (thousands commas allowed: ``number_text``),
    None when blank."""
    raw = number_text(rec.get(col) or "")
    try:
        number = (int(raw) if whole else float(raw)) if raw else None
    except ValueError:
        comma = " (write decimals with a point, as 85.5)" if "," in raw else ""
        raise Reject(f"{col} {rec[col]!r} is not a {'whole ' if whole else ''}number{comma}") from None
    if number is not None and not 0 < number <= MOST.get(col, 1_000_000):  # also refuses nan and inf
        raise Reject(f"{col} {rec[col]!r} must be more than 0 and at most {MOST.get(col, 1_000_000):,}")
    return number


def words(value: str | None) -> list[str]:
    """A semicolon list of facilities as stored: ``Kitchen; Hearing loop`` → ``["kitchen", "hearing_loop"]``."""
    return [f.strip().lower().replace(" ", "_") for f in (value or "").split(";") if f.strip()]
