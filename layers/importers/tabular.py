"""One tolerant reader for the tables councils really have: CSV from Excel, semicolon files, spreadsheets.

- **Encoding**: a byte-order mark is honoured (UTF-8, UTF-16); otherwise UTF-8 is tried first, then
  Windows-1252 (what Excel's "CSV" is in the UK), and only for bytes that are neither does
  ``charset-normalizer`` guess (Windows-1252 when it is among its plausible encodings, else its best).
- **Separator**: sniffed among comma, semicolon, tab and bar (``csv.Sniffer`` over the first lines, with the
  header's own count of each as the tie-break), so a file saved by Excel in a comma-decimal locale reads.
- **Spreadsheets**: ``.xlsx`` / ``.xlsm`` through ``openpyxl``, the first sheet unless one is named.
- **Compression**: a gzipped file (``.csv.gz``, as the IoD and ONSPD are published) is read as its contents.
- **Headers**: matched without regard to case, spaces or punctuation (``Post Code`` is ``postcode``), then
  through the importer's aliases (``Group Name`` → ``name``, ``Latitude`` → ``lat``).
- **Easting and northing** (British National Grid, EPSG:27700) become ``lon``/``lat`` through pyproj, when a
  file has them and no longitude/latitude.

Every importer reads its tables here: ``read_table`` (headers mapped to the importer's names: groups, hubs,
spaces, rooms, localities), ``read_frame`` (headers as the file has them: IoD files, boundaries as CSV with
WKT), ``table_text`` (the decoded text and its separator, for an importer that numbers rows itself: custom
indicators) and ``csv_options`` (encoding and separator from the file's head, for a file too big to hold in
memory: the ONS Postcode Directory).

What was guessed or changed is said in ``Table.notes``, which importers copy into their report; a file that
cannot be read fails with a message saying what to do, never a raw decoding error.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
import pandas as pd

from layers.importers.report import Progress, fail

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
    table = read_frame(path, what, sheet=sheet)
    frame, notes = table.frame, table.notes
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


def read_frame(path: Path, what: str, *, sheet: str | None = None) -> Table:
    """Read a CSV (any encoding or separator, gzipped or not) or spreadsheet as strings, its headers as the
    file has them: for importers that match headers their own way (IoD files, WKT boundaries, localities)."""
    notes: list[str] = []
    if is_spreadsheet(path):
        if not path.exists():
            raise fail(what, str(path), "file not found", "Check the path.")
        return Table(_read_spreadsheet(path, what, sheet, notes), notes)
    if path.suffix.lower() in (".xls", ".ods"):
        raise fail(
            what, path.name, f"{path.suffix} files are not read", "Save it as .xlsx or CSV and import that."
        )
    text, sep = table_text(path, what, notes)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise fail(
            what, path.name, "the file could not be read as a table", f"{type(exc).__name__}: {exc}"
        ) from None
    return Table(frame, notes)


def is_spreadsheet(path: Path) -> bool:
    """Whether ``path`` is read as a spreadsheet (``.xlsx``, ``.xlsm``) rather than as text."""
    return path.suffix.lower() in SPREADSHEETS


def sheet_names(path: Path, what: str) -> list[str]:
    """The sheets of a spreadsheet, in order (ImportFailed when it cannot be opened)."""
    return [str(s) for s in _open_book(path, what).sheet_names]


def table_text(path: Path, what: str, notes: list[str]) -> tuple[str, str]:
    """A text table's contents (gunzipped, decoded as ``_decode`` says) and its separator, for importers that
    read rows themselves (with ``csv.reader``); what was guessed goes into ``notes``."""
    raw = _read_bytes(path, what)
    if raw.startswith(b"PK\x03\x04"):
        raise fail(
            what,
            path.name,
            "this is a zip or spreadsheet file, not CSV",
            "Give it the .xlsx name, or save as CSV.",
        )
    text = _decode(raw, path, what, notes)
    if "\x00" in text:  # a binary file; PostgreSQL refuses NUL in text
        raise fail(
            what,
            path.name,
            "the file is not CSV text (it holds NUL bytes: UTF-16 without a byte-order mark, or a binary file?)",
            "Save it from Excel as 'CSV UTF-8 (Comma delimited)', or as .xlsx, and import that.",
        )
    if not text.strip():
        raise fail(
            what, path.name, "the file is empty", "Give a file with a header row and one row per record."
        )
    sep = _separator(text)
    if sep != ",":
        notes.append(f"columns separated by {SEPARATORS[sep]}")
    return text, sep


def _read_bytes(path: Path, what: str) -> bytes:
    """The file's bytes, gunzipped when it is gzip (by its first bytes or a .gz name)."""
    if not path.is_file():
        raise fail(what, str(path), "file not found", "Check the path.")
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b" or path.suffix.lower() == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise fail(what, path.name, "the file could not be read", f"{type(exc).__name__}: {exc}") from None
    return raw


def _open_book(path: Path, what: str) -> pd.ExcelFile:
    try:
        return pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:
        raise fail(
            what,
            path.name,
            "not a readable spreadsheet",
            f"{type(exc).__name__}: save it again as .xlsx or CSV.",
        ) from None


def _read_spreadsheet(path: Path, what: str, sheet: str | None, notes: list[str]) -> pd.DataFrame:
    book = _open_book(path, what)
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
    encoding, bad = _encoding(raw)
    if encoding not in ("utf-8-sig", "utf-16"):
        raw = raw.removeprefix(b"\xef\xbb\xbf")
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
    _note_encoding(encoding, notes)
    return text.removeprefix("\ufeff")


def _encoding(raw: bytes, *, cut: bool = False) -> tuple[str, int]:
    """The encoding to read ``raw`` in, and where UTF-8 failed (0 when it did not). ``cut``: ``raw`` is the
    head of a longer file, so a character cut at its end is not a fault."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", 0
    try:
        raw.decode("utf-8")
        return ("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"), 0
    except UnicodeDecodeError as exc:
        if cut and exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            return "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8", 0
        bad = exc.start
    # Windows-1252 is what Excel writes for "CSV" in the UK: it wins whenever the bytes read in it (all but
    # five do). charset-normalizer is asked only otherwise: on a short English text it guesses among a dozen
    # single-byte encodings (mac_latin2, cp1250...) and often not the right one.
    try:
        raw.decode("cp1252")
        return "cp1252", bad
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(raw.removeprefix(b"\xef\xbb\xbf"))
    plausible = [m.encoding for m in matches]
    best = matches.best()
    return ("cp1252" if "cp1252" in plausible or best is None else best.encoding), bad


def _note_encoding(encoding: str, notes: list[str]) -> None:
    if encoding == "utf-16":
        notes.append("read as UTF-16 (it starts with a byte-order mark)")
    elif encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"read as {ENCODING_WORDS.get(encoding, encoding)}, not UTF-8: check accented letters")


@dataclass(frozen=True)
class CsvOptions:
    """How to read a large CSV in chunks with pandas: its encoding, separator and compression."""

    encoding: str
    sep: str
    compression: Literal["gzip"] | None


class _Counted(io.RawIOBase):
    """A file read for a progress bar: each read advances the progress by the whole kB read so far."""

    def __init__(self, raw: BinaryIO, progress: Progress) -> None:
        self._raw = raw
        self._progress = progress
        self._bytes = 0
        self._shown_kb = 0

    def readable(self) -> bool:
        """Always: it is read, never written."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into ``buffer`` and advance the progress."""
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._bytes += n or 0
        kb = self._bytes >> 10
        if kb > self._shown_kb:
            self._progress.advance(kb - self._shown_kb)
            self._shown_kb = kb
        return int(n or 0)

    def close(self) -> None:
        """Close the file underneath too."""
        self._raw.close()
        super().close()


def counted_file(path: Path, progress: Progress, step: str = "") -> io.BufferedReader:
    """``path`` opened for reading with its progress shown in kB of the file on disk (so a gzipped file's bar
    also ends at its size): the step (``Reading <file>`` unless named) starts here, the file's size its total."""
    progress.start(f"{step or f'Reading {path.name}'} (kB read)", max(path.stat().st_size >> 10, 1))
    return io.BufferedReader(_Counted(path.open("rb"), progress), buffer_size=1 << 20)


def csv_options(path: Path, what: str, notes: list[str], head: int = 1 << 20) -> CsvOptions:
    """The encoding and separator of a CSV too big to hold in memory, judged (as ``table_text`` judges a whole
    file) from its first ``head`` bytes; a later byte that is not in that encoding fails the read there."""
    if not path.is_file():
        raise fail(what, str(path), "file not found", "Check the path.")
    with path.open("rb") as f:
        gz = f.read(2) == b"\x1f\x8b" or path.suffix.lower() == ".gz"
    try:
        with gzip.open(path, "rb") if gz else path.open("rb") as f:
            raw = f.read(head)
    except (OSError, EOFError) as exc:
        raise fail(what, path.name, "the file could not be read", f"{type(exc).__name__}: {exc}") from None
    if raw.startswith(b"PK\x03\x04"):
        raise fail(what, path.name, "this is a zip or spreadsheet file, not CSV", "Save it as CSV.")
    encoding, _ = _encoding(raw, cut=True)
    text = raw.decode(encoding, errors="ignore")
    if not text.strip("\ufeff \r\n\t"):
        raise fail(
            what, path.name, "the file could not be read: it is empty", "Give the CSV with its header row."
        )
    _note_encoding(encoding, notes)
    sep = _separator(text)
    if sep != ",":
        notes.append(f"columns separated by {SEPARATORS[sep]}")
    return CsvOptions(encoding, sep, "gzip" if gz else None)


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
