"""Import an officer's own indicators per area from CSV (loneliness, food-bank referrals...).

The file (CSV in any encoding or separator, ``.csv.gz`` or ``.xlsx``, read by ``layers.importers.tabular``
as every importer's files are) has a header row naming four columns, in any order and any case; the names
in brackets are accepted too:

- ``area_code`` (``code``, ``area``, ``area code``, ``gss_code``): the code of an area already in the
  database (a ward, LSOA, district, county or custom locality); its boundaries are imported first.
- ``indicator`` (``key``, ``measure``, ``indicator_name``): the indicator's name. It is stored as a key
  of 2 to 64 lower-case letters, digits and underscores: "Food bank referrals" becomes
  ``food_bank_referrals``. Names of the built-in IoD2019 indicators (``imd_rank``, ``population_total``,
  and any name starting ``imd_`` or ``population_`` or ending ``_rank`` or ``_decile``) are refused.
- ``value``: a number. ``1,296`` is read as 1296 and ``12.5%`` as 12.5 (percent points).
- ``period`` (``year``, ``time_period``): what the value is for, e.g. ``2024``, ``2024-25``, ``2024-Q1``.
- ``source`` (optional): where the value comes from. A blank or missing source becomes the ``source``
  argument, or else "imported from <file name>".

Other columns (an area name, say) are ignored. Rows are numbered as in a spreadsheet (the header is row
1), which is the file's line number unless a quoted field holds a line break. Values are upserted into
``indicators`` with ``derived = false``, so a re-import of the same file changes nothing.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, text

from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.tabular import is_spreadsheet, read_frame, table_text
from layers.sql import sql
from layers.taxonomy import BUILTIN_KEYS

WHAT = "custom indicators"
#: Header names accepted for each column (after lower-casing and turning spaces and hyphens into "_"),
#: best first: when a file has two of them (e.g. ``code`` and ``area``), the first is used.
ALIASES: dict[str, tuple[str, ...]] = {
    "area_code": ("area_code", "areacode", "code", "area", "gss_code", "geography_code"),
    "indicator": ("indicator", "key", "measure", "indicator_key", "indicator_name", "metric"),
    "value": ("value", "indicator_value", "val"),
    "period": ("period", "year", "time_period"),
    "source": ("source", "data_source"),
}
REQUIRED = ("area_code", "indicator", "value", "period")
KEY = re.compile(r"[a-z0-9_]{2,64}")
MAX_KEY, MAX_PERIOD = 64, 32
RESERVED_PREFIXES, RESERVED_SUFFIXES = ("imd_", "population_"), ("_rank", "_decile")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
WRITE_BATCH = 50_000


def indicator_key(name: str) -> str:
    """The key an indicator name is stored under: lower case, accents dropped, other runs of symbols "_"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def builtin_reason(key: str) -> str | None:
    """Why ``key`` may not name an officer's own indicator (it is, or looks like, an IoD2019 one), or None."""
    if key in BUILTIN_KEYS:
        return f"{key} is a built-in IoD2019 indicator; give your own a different name"
    if key.startswith(RESERVED_PREFIXES) or key.endswith(RESERVED_SUFFIXES):
        return (
            f"{key} looks like a built-in IoD2019 indicator (names starting imd_ or population_, or ending "
            "_rank or _decile, are kept for those); give your own a different name"
        )
    return None


def parse_value(raw: str) -> tuple[float | None, str, bool]:
    """A cell as (number, "", has a % sign), or (None, why it is not a finite number, False)."""
    s = raw.strip()
    if not s:
        return None, "no value (the value is blank): leave out rows that have no value", False
    percent = s.endswith("%")
    body = s[:-1].rstrip() if percent else s
    if THOUSANDS.fullmatch(body):
        body = body.replace(",", "")
    if body.lower() in NOT_FINITE:
        return None, f"value {raw.strip()!r} is not a finite number", False
    if not NUMBER.fullmatch(body):
        return None, f"value {raw.strip()!r} is not a number", False
    number = float(body)
    if not math.isfinite(number):
        return None, f"value {raw.strip()!r} is too large to store", False
    return number, "", percent


@dataclass(frozen=True)
class _Row:
    """One data row: its spreadsheet row number and its fields."""

    line: int
    fields: list[str]


def _read(path: Path, report: ImportReport) -> tuple[list[str], list[_Row]]:
    """The header and the data rows (blank lines left out), each with its spreadsheet row number. The file
    is read by ``layers.importers.tabular``: any encoding or separator, gzipped, or an .xlsx sheet."""
    if is_spreadsheet(path):
        table = read_frame(path, WHAT)
        report.notes.extend(table.notes)
        header = [str(c) for c in table.frame.columns]
        cells = cast(list[list[str]], table.frame.to_numpy(dtype=str).tolist())
        rows = [
            _Row(number, fields)
            for number, fields in enumerate(cells, start=2)
            if any(f.strip() for f in fields)
        ]
        if not any(h.strip() for h in header):
            raise fail(
                WHAT, path.name, "the sheet is empty", f"Expected a header row: {', '.join(REQUIRED)}."
            )
        return header, rows
    text, sep = table_text(path, WHAT, report.notes)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    found: list[str] | None = None
    rows = []
    try:
        for number, fields in enumerate(reader, start=1):
            if found is None:
                found = fields
            elif any(f.strip() for f in fields):
                rows.append(_Row(number, fields))
    except csv.Error as exc:
        raise fail(
            WHAT, path.name, "the file is not valid CSV", f"{exc} (near line {reader.line_num})."
        ) from exc
    if not found or not any(h.strip() for h in found):
        raise fail(WHAT, path.name, "the file is empty", f"Expected a header row: {', '.join(REQUIRED)}.")
    return found, rows


def _columns(header: list[str], name: str, report: ImportReport) -> dict[str, int]:
    """{column role: index} from the header; ImportFailed when a required column is missing."""
    norm = [re.sub(r"[\s\-]+", "_", h.replace("\ufeff", "").strip().lower()) for h in header]
    found: dict[str, int] = {}
    for role, names in ALIASES.items():
        index = next((norm.index(n) for n in names if n in norm), None)
        if index is not None:
            found[role] = index
    missing = [r for r in REQUIRED if r not in found]
    if missing:
        listing = ", ".join(repr(h) for h in header)
        also = "; ".join(f"{r}: " + ", ".join(ALIASES[r][1:]) for r in REQUIRED)
        raise fail(
            WHAT,
            name,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            f"The header row must name the columns {', '.join(REQUIRED)} (source is optional); "
            f"also accepted: {also}. "
            f"Columns found: {listing}.",
        )
    ignored = [h for i, h in enumerate(header) if i not in found.values() and h.strip()]
    if ignored:
        report.notes.append(f"columns ignored: {', '.join(repr(h) for h in ignored)}")
    return found


def _known_codes(conn: Connection, codes: set[str]) -> dict[str, list[str]]:
    """{upper-cased code: the area codes spelt that way in any case} for the codes given."""
    found: dict[str, list[str]] = {}
    rows = conn.execute(
        text("SELECT code FROM areas WHERE upper(code) = ANY(CAST(:codes AS text[])) ORDER BY code"),
        {"codes": sorted({c.upper() for c in codes})},
    ).scalars()
    for code in rows:
        found.setdefault(code.upper(), []).append(code)
    return found


def _check(
    conn: Connection,
    header: list[str],
    rows: list[_Row],
    cols: dict[str, int],
    default_source: str,
    report: ImportReport,
    progress: Progress,
) -> list[dict[str, Any]]:
    """Check every row; record rejects and repairs in ``report``; return the rows to write."""
    width = len(header)

    def cell(row: _Row, role: str) -> str:
        i = cols.get(role)
        return row.fields[i].strip() if i is not None and i < len(row.fields) else ""

    known = _known_codes(conn, {cell(r, "area_code") for r in rows if cell(r, "area_code")})
    renamed: dict[tuple[str, str], list[int]] = {}  # (what was written, what it became): rows
    kept: dict[tuple[str, str, str], int] = {}
    keys: dict[str, str] = {}  # indicator name: key (a file holds few names in many rows)
    percent = 0
    good: list[dict[str, Any]] = []
    for row in rows:
        progress.advance()
        raw_code, raw_key, period = cell(row, "area_code"), cell(row, "indicator"), cell(row, "period")
        reasons: list[str] = []
        if len(row.fields) > width and any(f.strip() for f in row.fields[width:]):
            reasons.append(
                f"{len(row.fields)} fields but the header has {width}: is there an unquoted comma "
                '(write 1,296 as "1,296" or 1296)?'
            )
        spellings = known.get(raw_code.upper(), [])
        code = raw_code if raw_code in spellings else spellings[0] if len(spellings) == 1 else None
        if not raw_code:
            reasons.append("no area code")
        elif code is None:
            reasons.append(f"no area with code {raw_code}: import its boundaries first")
        elif code != raw_code:
            renamed.setdefault((raw_code, code), []).append(row.line)
        key = keys[raw_key] if raw_key in keys else keys.setdefault(raw_key, indicator_key(raw_key))
        if not raw_key:
            reasons.append("no indicator name")
        elif len(key) > MAX_KEY:
            reasons.append(
                f"indicator name {raw_key!r} is too long ({len(key)} characters; at most {MAX_KEY})"
            )
        elif not KEY.fullmatch(key):
            reasons.append(
                f"indicator name {raw_key!r} gives no usable key: use 2 to {MAX_KEY} letters, digits or underscores"
            )
        elif builtin := builtin_reason(key):
            reasons.append(builtin)
        elif key != raw_key:
            renamed.setdefault((raw_key, key), []).append(row.line)
        value, why, pct = parse_value(cell(row, "value"))
        if value is None:
            reasons.append(why)
        if not period:
            reasons.append("no period: say what the value is for, e.g. 2024, 2024-25 or 2024-Q1")
        elif len(period) > MAX_PERIOD:
            reasons.append(
                f"period {period[:40]!r} is too long ({len(period)} characters; at most {MAX_PERIOD})"
            )
        label = ", ".join(s for s in (raw_code, raw_key) if s)
        if not reasons and code is not None:
            first = kept.setdefault((code, key, period), row.line)
            if first != row.line:
                reasons.append(
                    f"the same area, indicator and period as row {first}, which was kept (a value per area, "
                    "indicator and period)"
                )
        if reasons:
            report.reject(row.line, "; ".join(reasons), label)
            continue
        percent += pct
        good.append(
            {
                "area_code": code,
                "key": key,
                "value": value,
                "period": period,
                "source": cell(row, "source") or default_source,
            }
        )
    for (before, after), lines in renamed.items():
        more = f" and {len(lines) - 1} more rows" if len(lines) > 1 else ""
        report.repair(lines[0], f"{before!r} read as {after}{more}", before)
    if percent:
        had = "1 value had" if percent == 1 else f"{percent} values had"
        report.notes.append(f"{had} a % sign: stored as percent points (12.5% as 12.5)")
    return good


def import_indicators(
    conn: Connection,
    path: Path,
    *,
    source: str | None = None,
    allow_rejects: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Load an officer's own indicator values (area_code, indicator, value, period) in one savepoint."""
    progress = progress or NoProgress()
    report = ImportReport(what=WHAT, source=path.name)
    header, rows = _read(path, report)
    cols = _columns(header, path.name, report)
    report.rows = len(rows)
    progress.start(f"Checking {len(rows):,} indicator values", len(rows))
    default_source = (source or "").strip() or f"imported from {path.name}"
    good = _check(conn, header, rows, cols, default_source, report, progress)
    if report.rejected or report.repaired:
        report.notes.append("rows are numbered as in a spreadsheet: the header is row 1")
    if not rows:
        report.notes.append("the file has a header but no data rows")
    report.fail_if_rejected(allow_rejects)

    progress.start(f"Writing {len(good):,} indicator values", len(good))
    with conn.begin_nested():
        for start in range(0, len(good), WRITE_BATCH):
            chunk = good[start : start + WRITE_BATCH]
            done = conn.execute(
                text(sql("upsert_indicators.sql")),
                {f"{c}s": [r[c] for r in chunk] for c in ("area_code", "key", "value", "period", "source")},
            ).one()
            report.loaded += done.inserted
            report.updated += done.updated
            report.unchanged += len(chunk) - done.inserted - done.updated
            progress.advance(len(chunk))
    keys = sorted({r["key"] for r in good})
    if keys:
        report.notes.append(f"indicators: {', '.join(keys)}")
    return report
