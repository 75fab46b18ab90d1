"""One tolerant reader for the tables councils really have: CSV from Excel, semicolon files, spreadsheets.

- **Encoding**: a byte-order mark is honoured (UTF-8, UTF-16); otherwise UTF-8 is tried first and, if the
  bytes are not UTF-8, ``charset-normalizer`` names the plausible encodings: Windows-1252 (what Excel's "CSV"
  is in the UK) when it is one of them, else its best guess.
- **Separator**: sniffed among comma, semicolon, tab and bar (``csv.Sniffer`` over the first lines, with the
  header's own count of each as the tie-break), so a file saved by Excel in a comma-decimal locale reads.
- **Spreadsheets**: ``.xlsx`` / ``.xlsm`` through ``openpyxl``, the first sheet unless one is named.
- **Headers**: matched without regard to case, spaces or punctuation (``Post Code`` is ``postcode``), then
  through the importer's aliases (``Group Name`` → ``name``, ``Latitude`` → ``lat``).
- **Easting and northing** (British National Grid, EPSG:27700) become ``lon``/``lat`` through pyproj, when a
  file has them and no longitude/latitude.

What was guessed or changed is said in ``Table.notes``, which importers copy into their report; a file that
cannot be read fails with a message saying what to do, never a raw decoding error.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from layers.importers.report import fail

SPREADSHEETS = (".xlsx", ".xlsm")
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}
ENCODING_WORDS = {"cp1252": "Windows-1252 (Excel's usual CSV)", "utf_16": "UTF-16", "latin_1": "Latin-1"}
#: Aliases every importer understands, after ``header_key``; importers add their own.
COMMON_ALIASES: dict[str, str] = {
    "longitude": "lon",
    "long": "lon",
    "lng": "lon",
    "latitude": "lat",
    "eastings": "easting",
    "x_coordinate": "easting",
    "northings": "northing",
    "y_coordinate": "northing",
    "post_code": "postcode",
    "postal_code": "postcode",
    "email_address": "email",
    "e_mail": "email",
    "telephone": "phone",
    "phone_number": "phone",
    "tel": "phone",
    "web": "website",
    "web_site": "website",
    "url": "website",
    "website_url": "website",
    "reference": "id",
    "ref": "id",
}


@dataclass
class Table:
    """A table of strings (blank cells are ""), its columns renamed to the importer's names, and notes saying
    what was guessed (encoding, separator, sheet) or changed (renamed columns, converted coordinates)."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def header_key(header: object) -> str:
    """A header without case, spaces or punctuation: ``" Post Code "`` → ``post_code``, ``"E-mail"`` → ``e_mail``."""
    return re.sub(r"[^a-z0-9]+", "_", str(header).strip().lower()).strip("_")


def read_table(
    path: Path,
    what: str,
    *,
    aliases: Mapping[str, str] | None = None,
    required: Iterable[str] = (),
    sheet: str | None = None,
) -> Table:
    """Read a CSV or spreadsheet at ``path`` as strings, with headers mapped to the importer's names.

    ``aliases`` (after ``header_key``) add to ``COMMON_ALIASES``; ``required`` columns must be present
    afterwards, else ImportFailed names the columns found and the names accepted.
    """
    if not path.exists():
        raise fail(what, str(path), "file not found", "Check the path.")
    notes: list[str] = []
    if path.suffix.lower() in SPREADSHEETS:
        frame = _read_spreadsheet(path, what, sheet, notes)
    elif path.suffix.lower() in (".xls", ".ods"):
        raise fail(
            what, path.name, f"{path.suffix} files are not read", "Save it as .xlsx or CSV and import that."
        )
    else:
        frame = _read_text(path, what, notes)
    names = {**COMMON_ALIASES, **(aliases or {})}
    frame = _rename(frame, names, notes, path, what)
    if {"easting", "northing"} <= set(frame.columns) and not {"lon", "lat"} & set(frame.columns):
        _grid_to_lonlat(frame, notes)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        accepted = sorted(k for k, v in names.items() if v in missing)
        raise fail(
            what,
            path.name,
            f"no {', '.join(missing)} column",
            f"Found: {', '.join(map(str, frame.columns)) or 'none'}. "
            f"Name a column {' or '.join(repr(m) for m in [*missing, *accepted])}.",
        )
    return Table(frame, notes)


def _read_spreadsheet(path: Path, what: str, sheet: str | None, notes: list[str]) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:
        raise fail(
            what,
            path.name,
            "not a readable spreadsheet",
            f"{type(exc).__name__}: save it again as .xlsx or CSV.",
        ) from None
    sheets = [str(s) for s in book.sheet_names]
    if sheet is not None and sheet not in sheets:
        raise fail(what, path.name, f"no sheet {sheet!r}", f"Its sheets: {', '.join(sheets)}.")
    chosen = sheet or sheets[0]
    if len(sheets) > 1 and sheet is None:
        notes.append(
            f"read sheet {chosen!r}, the first of {len(sheets)} ({', '.join(sheets)}); choose with --sheet"
        )
    frame = pd.read_excel(book, sheet_name=chosen, dtype=object, keep_default_na=False)
    return frame.map(_cell).astype(str)


def _cell(value: object) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0``, dates as ISO dates, blanks as ""."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


def _decode(raw: bytes, path: Path, what: str, notes: list[str]) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        notes.append("read as UTF-16 (it starts with a byte-order mark)")
        return raw.decode("utf-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    from charset_normalizer import from_bytes

    # charset-normalizer lists the encodings the bytes read plausibly in; short English text fits several
    # (cp1250 as well as cp1252), so Windows-1252, what Excel writes for "CSV" in the UK, wins when it fits.
    matches = from_bytes(raw)
    plausible = [m.encoding for m in matches]
    best = matches.best()
    encoding = "cp1252" if "cp1252" in plausible or best is None else best.encoding
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        line = raw[:bad].count(b"\n") + 1
        raise fail(
            what,
            path.name,
            f"the text is not UTF-8 (line {line}) and its encoding could not be recognised",
            "Save it from Excel as 'CSV UTF-8 (Comma delimited)', or as .xlsx, and import that.",
        ) from None
    notes.append(f"read as {ENCODING_WORDS.get(encoding, encoding)}, not UTF-8: check accented letters")
    return text


def _read_text(path: Path, what: str, notes: list[str]) -> pd.DataFrame:
    raw = path.read_bytes()
    if raw.startswith(b"PK\x03\x04"):
        raise fail(
            what,
            path.name,
            "this is a zip or spreadsheet file, not CSV",
            "Give it the .xlsx name, or save as CSV.",
        )
    text = _decode(raw, path, what, notes)
    if not text.strip():
        raise fail(
            what, path.name, "the file is empty", "Give a file with a header row and one row per record."
        )
    sep = _separator(text)
    if sep != ",":
        notes.append(f"columns separated by {SEPARATORS[sep]}")
    try:
        return pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=False
        )
    except Exception as exc:
        raise fail(
            what, path.name, "the file could not be read as a table", f"{type(exc).__name__}: {exc}"
        ) from None


def _separator(text: str) -> str:
    head = text.splitlines()[:20]
    header = head[0] if head else ""
    try:
        sep = csv.Sniffer().sniff("\n".join(head), delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        sep = ","
    counts = {s: header.count(s) for s in SEPARATORS}
    if counts.get(sep, 0) == 0 and max(counts.values()) > 0:
        sep = max(counts, key=lambda s: counts[s])
    return sep


def _rename(
    frame: pd.DataFrame, names: Mapping[str, str], notes: list[str], path: Path, what: str
) -> pd.DataFrame:
    renamed: dict[str, str] = {}
    columns: list[str] = []
    for original in frame.columns:
        key = header_key(original)
        final = names.get(key, key)
        if final != str(original).strip().lower():
            renamed[str(original)] = final
        columns.append(final)
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        raise fail(
            what,
            path.name,
            f"more than one column means {', '.join(repeated)}",
            "Keep one of them (headers are matched ignoring case, spaces and punctuation, and common other names).",
        )
    out = frame.copy()
    out.columns = columns
    shown = [f"{a!r} → {b}" for a, b in renamed.items() if header_key(a) != b]
    if shown:
        notes.append(f"columns read as: {', '.join(shown)}")
    return out


def _grid_to_lonlat(frame: pd.DataFrame, notes: list[str]) -> None:
    from pyproj import Transformer

    east = pd.to_numeric(frame["easting"].str.replace(",", "").str.strip(), errors="coerce")
    north = pd.to_numeric(frame["northing"].str.replace(",", "").str.strip(), errors="coerce")
    ok = east.notna() & north.notna()
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(
        east[ok].to_numpy(), north[ok].to_numpy()
    )
    frame["lon"], frame["lat"] = (
        frame["easting"],
        frame["northing"],
    )  # a bad value stays, to be rejected by name
    frame.loc[ok, "lon"] = [f"{v:.6f}" for v in np.atleast_1d(lon)]
    frame.loc[ok, "lat"] = [f"{v:.6f}" for v in np.atleast_1d(lat)]
    notes.append(
        f"converted easting/northing (British National Grid) to longitude/latitude for {int(ok.sum())} rows"
    )
