"""Import the English Indices of Deprivation 2019 per LSOA, and roll the values up to wards and districts.

The importer reads MHCLG's IoD2019 files (CSV, ``.csv.gz`` or the published ``.xlsx``, through
``layers.importers.tabular`` like every importer) and recognises each from its columns,
not its name, so renamed files and headers with or without the long ``(where 1 is most deprived ...)``
suffixes are accepted:

- File 1: IMD rank and decile.
- File 2: the IMD and the seven domains (income, employment, education, health, crime, housing,
  living environment), rank and decile of each.
- File 6: population, mid-2015 (total, 0-15, 16-59, 60+, working age).

These files carry **no IMD score**, only ranks (1 = most deprived of England's 32,844 LSOAs) and
deciles (1 = the most deprived 10%). Scores are in IoD2019 File 5, which is not read here.

Values go into ``indicators`` with short keys (``imd_rank``, ``income_decile``, ``population_total``...),
period ``2019`` (ranks, deciles) or ``mid-2015`` (population), ``derived = false``.

Roll-up to wards and districts (``rollup_indicators``)
    LSOAs (2011) do not nest in 2013 wards, so each LSOA *l* is apportioned among the wards *w* it
    overlaps by area: ``s(l, w) = area(l ∩ w) / Σ_w' area(l ∩ w')``, areas in m² in EPSG:27700
    (British National Grid). Pieces under 1 m² are dropped first: they are slivers where two generalised
    boundaries disagree. The shares are kept in ``area_shares``; an LSOA's shares sum to 1. A ward's
    population (total and each age band) is ``Σ_l pop(l) · s(l, w)``, which assumes people are spread
    evenly over each LSOA. Every rank and decile becomes a population-weighted mean,
    ``Σ_l pop(l) s(l, w) v(l) / Σ_l pop(l) s(l, w)``, weighted by the mid-2015 total population; an LSOA
    without a value is left out of that value's sums.
    LSOAs nest in districts, so districts use each LSOA's ``parent_code`` with ``s = 1``. Areas with no
    population get no values. Results are stored with ``derived = true``; a stored value the roll-up did
    not make is never overwritten. A mean rank or decile (e.g. 3.4) summarises an area's LSOAs: it is not
    an official ward rank, which MHCLG does not publish. The sums run in ``numeric``, so a re-run
    reproduces every value exactly and reports it unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from layers.errors import ImportFailed
from layers.importers.report import ImportReport, NoProgress, Progress, fail
from layers.importers.tabular import is_spreadsheet, read_frame, sheet_names
from layers.sql import sql
from layers.taxonomy import FILE_KINDS, MEAN_KEYS, SUM_KEYS, FileKind

WHAT = "IoD2019 indicators"
LSOA_CODE = re.compile(r"^E01\d{6}$")
LSOA_COUNT = 32_844  # LSOAs in England (2011): ranks run from 1 to this
NO_SCORE_NOTE = (
    "IoD2019 Files 1, 2 and 6 carry no IMD score, only ranks (1 = most deprived of 32,844 LSOAs) and "
    "deciles (1 = most deprived 10%); scores are in File 5, which is not imported"
)
ROLLUP_SOURCE = "derived from LSOAs: population-weighted, area-apportioned"
WEIGHT_KEY, WEIGHT_PERIOD = "population_total", "mid-2015"
MIN_PIECE_M2 = 1.0  # smaller pieces of LSOA ∩ ward are slivers where generalised boundaries disagree
THOUSANDS = r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


CODE_PATTERN = r"lsoa (?:code\b.*|11cd)|lsoa11cd"


@dataclass
class _Parsed:
    """The valid values of one file, long format: one row per LSOA and measure."""

    kind: FileKind
    values: pd.DataFrame  # columns area_code, key, value


def _normalise(header: str) -> str:
    """Lower case, no BOM, no '(where 1 is most deprived ...)' suffix, single spaces."""
    h = re.sub(r"\(where [^)]*\)", " ", header.replace("\ufeff", "").lower())
    return re.sub(r"\s+", " ", h).strip()


def _detect(headers: list[str], name: str) -> tuple[FileKind, str, dict[str, str]]:
    """Which IoD2019 file these headers belong to; its LSOA code column and {key: header}."""
    norm = {h: _normalise(h) for h in headers}
    code = next((h for h, n in norm.items() if re.fullmatch(CODE_PATTERN, n)), None)

    def found(kind: FileKind) -> dict[str, str]:
        return {m.key: h for m in kind.measures for h, n in norm.items() if re.fullmatch(m.pattern, n)}

    matched = [(len(found(k)), len(found(k)) == len(k.measures), k) for k in FILE_KINDS]
    count, complete, kind = max(matched, key=lambda t: (t[0], t[1]))
    listing = f"Columns found: {', '.join(repr(h) for h in headers) or 'none'}."
    if count == 0:
        expected = "; ".join(f"{k.name}: {', '.join(m.label for m in k.measures)}" for k in FILE_KINDS)
        raise fail(
            WHAT,
            name,
            "the columns are not those of IoD2019 File 1, 2 or 6",
            f"{listing} Expected 'LSOA code (2011)' and the columns of {expected}.",
        )
    if not complete:
        missing = [m.label for m in kind.measures if m.key not in found(kind)]
        raise fail(
            WHAT,
            name,
            f"the file looks like IoD2019 {kind.name} but lacks {len(missing)} column(s)",
            f"Missing: {', '.join(missing)}. {listing}",
        )
    if code is None:
        raise fail(WHAT, name, "no LSOA code column", f"Expected 'LSOA code (2011)'. {listing}")
    return kind, code, found(kind)


def _read(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The file as text columns and notes on how it was read (``layers.importers.tabular``: any encoding or
    separator, gzipped, or the first sheet of an .xlsx whose columns are an IoD2019 file's); or ImportFailed."""
    if not path.is_file():
        raise fail(
            WHAT,
            str(path),
            "file not found",
            "Check the path. IoD2019 files are CSV (or .csv.gz) exported from MHCLG's spreadsheets.",
        )
    if not is_spreadsheet(path):
        table = read_frame(path, WHAT)
        return table.frame, table.notes
    sheets = sheet_names(path, WHAT)
    first: ImportFailed | None = None
    for sheet in sheets:  # MHCLG's workbooks open on a sheet of notes
        table = read_frame(path, WHAT, sheet=sheet)
        try:
            _detect([str(c) for c in table.frame.columns], path.name)
        except ImportFailed as exc:
            first = first or exc
            continue
        notes = [f"read sheet {sheet!r}"] if len(sheets) > 1 else []
        return table.frame, notes
    assert first is not None
    raise first


def _parse(
    df: pd.DataFrame, kind: FileKind, code_col: str, columns: dict[str, str], report: ImportReport, label: str
) -> pd.DataFrame:
    """Check every row (vectorised); record rejected rows in ``report``; return the valid values, long."""
    n = len(df)
    reasons: dict[int, list[str]] = {}

    def flag(
        mask: np.ndarray[Any, np.dtype[np.bool_]], why: str, shown: np.ndarray[Any, Any] | None = None
    ) -> None:
        """Give each row in ``mask`` the reason ``why``, its ``{}`` filled from ``shown`` (bad rows only)."""
        for i in np.flatnonzero(mask):
            reasons.setdefault(int(i), []).append(why.format(shown[i]) if shown is not None else why)

    codes = df[code_col].astype(str).str.strip()
    code_arr = codes.to_numpy(dtype=object)
    bad_code = ~codes.str.fullmatch(LSOA_CODE.pattern).to_numpy(dtype=bool)
    flag(bad_code, "LSOA code {!r} is not an English LSOA code (E01 and six digits)", code_arr)
    first = codes.map(pd.Series(np.arange(1, n + 1), index=codes).groupby(level=0).min()).to_numpy()
    dup = codes.duplicated(keep="first").to_numpy(dtype=bool) & ~bad_code
    flag(dup, "duplicate LSOA code (first at row {})", first)

    values = np.empty((n, len(kind.measures)), dtype=float)
    for j, m in enumerate(kind.measures):
        raw = df[columns[m.key]].astype(str).str.strip()
        num = np.array(pd.to_numeric(raw, errors="coerce"), dtype=float)  # a writable copy
        retry = np.isnan(num)  # only these may hold thousands separators ("1,296"): regexes are slow
        if retry.any():
            sub = raw[retry]
            sub = sub.where(~sub.str.fullmatch(THOUSANDS), sub.str.replace(",", "", regex=False))
            num[retry] = pd.to_numeric(sub, errors="coerce").to_numpy(dtype=float)
        finite = np.isfinite(num)
        flag(~finite, f"{m.label} is not a number: {{!r}}", raw.to_numpy(dtype=object))
        with np.errstate(invalid="ignore"):
            if m.check in ("rank", "decile"):
                top = 10 if m.check == "decile" else LSOA_COUNT
                whole = finite & (num == np.round(num))
                flag(finite & ~whole, f"{m.label} {{:g}} is not a whole number", num)
                flag(whole & ((num < 1) | (num > top)), f"{m.label} {{:g}} is outside 1 to {top:,}", num)
            else:
                flag(finite & (num < 0), f"{m.label} {{:g}} is negative", num)
        values[:, j] = num

    for i in sorted(reasons):
        report.reject(i + 1, "; ".join(reasons[i]), codes.iloc[i] + label)
    good = np.ones(n, dtype=bool)
    good[list(reasons)] = False
    k = len(kind.measures)
    return pd.DataFrame(
        {
            "area_code": np.repeat(codes.to_numpy(dtype=object)[good], k),
            "key": np.tile(np.array([m.key for m in kind.measures], dtype=object), int(good.sum())),
            "value": values[good].reshape(-1),
        }
    )


def import_iod(
    conn: Connection, paths: list[Path], *, allow_rejects: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Load IoD2019 Files 1, 2 and/or 6 into ``indicators`` (upserting) in one savepoint; return a report."""
    progress = progress or NoProgress()
    report = ImportReport(what=WHAT, source=", ".join(p.name for p in paths) or "no files")
    if not paths:
        raise fail(
            WHAT, "no files", "no files were given", "Pass IoD2019 File 1, 2 and/or 6 (CSV or .csv.gz)."
        )
    progress.start(f"Reading {len(paths)} IoD2019 file(s)", len(paths))
    parsed: list[_Parsed] = []
    for path in paths:
        df, notes = _read(path)
        report.notes.extend(f"{path.name}: {n}" if len(paths) > 1 else n for n in notes)
        kind, code_col, columns = _detect([str(c) for c in df.columns], path.name)
        if any(p.kind is kind for p in parsed):
            raise fail(WHAT, path.name, f"two files are IoD2019 {kind.name}", "Pass each file once.")
        report.rows += len(df)
        label = f" in {path.name}" if len(paths) > 1 else ""
        parsed.append(_Parsed(kind, _parse(df, kind, code_col, columns, report, label)))
        progress.advance()
    report.fail_if_rejected(allow_rejects)

    # File 1 and File 2 both hold the IMD rank and decile: File 1 (the IMD's own file) wins.
    parsed.sort(key=lambda p: FILE_KINDS.index(p.kind))
    frames = [p.values.assign(period=p.kind.period, source=p.kind.source) for p in parsed]
    values = pd.concat(frames, ignore_index=True)
    dup = values.duplicated(["area_code", "key", "period"], keep=False)
    if dup.any():
        spread = values[dup].groupby(["area_code", "key", "period"])["value"].nunique()
        differ = int((spread > 1).sum())
        report.notes.append(
            "File 1 and File 2 both give the IMD rank and decile; File 1's were kept"
            + (f" ({differ} values differ between them)" if differ else " (they agree)")
        )
        values = values.drop_duplicates(["area_code", "key", "period"], keep="first")
    progress.start(f"Writing {len(values):,} indicator values", len(values))
    # One statement per 100,000 values, not layers.importers.upsert: a multi-row VALUES statement costs
    # ~0.3 ms a value to build in SQLAlchemy (minutes for the national files). The same statement as the
    # officers' own indicators (upsert_indicators.sql, five arrays): comma-joined text split by
    # PostgreSQL was 1.3x faster (0.8 s against 1.2 s per 100,000 values), not worth a second copy.
    step = 100_000
    with conn.begin_nested():
        for start in range(0, len(values), step):
            chunk = values.iloc[start : start + step]
            done = conn.execute(
                text(sql("upsert_indicators.sql")),
                {
                    "area_codes": chunk["area_code"].tolist(),
                    "keys": chunk["key"].tolist(),
                    "values": chunk["value"].to_numpy(dtype=float).tolist(),
                    "periods": chunk["period"].tolist(),
                    "sources": chunk["source"].tolist(),
                },
            ).one()
            report.loaded += done.inserted
            report.updated += done.updated
            report.unchanged += len(chunk) - done.inserted - done.updated
            progress.advance(len(chunk))
    report.notes.append(
        "loaded, updated and unchanged count indicator values (one per LSOA, measure, period)"
    )
    report.notes.append(NO_SCORE_NOTE)
    codes = values["area_code"].unique().tolist()
    unmapped = conn.execute(
        text(
            "SELECT count(*) FROM unnest(string_to_array(CAST(:codes AS text), ',')) c "
            "WHERE NOT EXISTS (SELECT 1 FROM areas a WHERE a.code = c AND a.kind = 'lsoa')"
        ),
        {"codes": ",".join(codes)},
    ).scalar_one()
    if unmapped:
        report.notes.append(
            f"{unmapped} of {len(codes)} LSOAs have no boundary in the database: "
            "their values are stored but are not mapped or rolled up"
        )
    return report


def has_lsoa_indicators(conn: Connection) -> bool:
    """Whether any LSOA values are stored that a roll-up would carry to wards and districts."""
    return bool(
        conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM indicators i JOIN areas a ON a.code = i.area_code "
                "WHERE a.kind = 'lsoa' AND NOT i.derived)"
            )
        ).scalar()
    )


def rollup_indicators(
    conn: Connection, *, metric_srid: int = 27700, progress: Progress | None = None
) -> ImportReport:
    """Apportion LSOAs to wards by area, then store ward and district values derived from LSOA values."""
    progress = progress or NoProgress()
    report = ImportReport(what="ward and district indicators (roll-up)", source="LSOA indicators")
    with conn.begin_nested():
        progress.start(f"Apportioning LSOAs to wards (areas in EPSG:{metric_srid})", None)
        # Fresh statistics: the roll-up usually follows bulk imports in the same transaction, before
        # autovacuum has looked at the tables, and without them the planner picks nested loops that
        # make the Norfolk roll-up 30 times slower (0.3 s against 9 s).
        conn.execute(text("ANALYZE areas, indicators"))
        conn.execute(
            text("DELETE FROM area_shares WHERE lsoa_code IN (SELECT code FROM areas WHERE kind = 'lsoa')")
        )
        conn.execute(text(sql("area_shares.sql")), {"srid": metric_srid, "min_piece_m2": MIN_PIECE_M2})
        conn.execute(text("ANALYZE area_shares"))
        shares = conn.execute(text(sql("area_shares_summary.sql"))).one()
        progress.advance()
        progress.start("Rolling up LSOA indicators to wards and districts", None)
        done = conn.execute(
            text(sql("rollup_indicators.sql")),
            {
                "keys": [*SUM_KEYS, *MEAN_KEYS],
                "sum_keys": list(SUM_KEYS),
                "weight_key": WEIGHT_KEY,
                "weight_period": WEIGHT_PERIOD,
                "source": ROLLUP_SOURCE,
            },
        ).one()
        progress.advance()
    report.rows = done.total
    report.loaded, report.updated = done.inserted, done.updated
    report.skipped = done.kept
    report.skipped_reason = "a value not made by the roll-up is already stored for that area, key and period"
    report.unchanged = done.total - done.kept - done.inserted - done.updated
    report.notes.append(
        f"{shares.lsoas} LSOAs apportioned to {shares.wards} wards in EPSG:{metric_srid}: "
        f"{shares.pairs} shares; {shares.straddling} LSOAs have over 1% of their area outside their main ward"
        + (f"; {shares.outside} LSOAs overlap no ward and count towards no ward" if shares.outside else "")
    )
    report.notes.append(
        f"values for {done.wards} wards and {done.districts} districts "
        "(rows, loaded, updated and unchanged count values)"
    )
    if done.unknown:
        report.notes.append(
            f"{len(done.unknown)} LSOA parent codes name no area in the database, so their values are stored "
            f"under codes no map shows: {', '.join(done.unknown)}. Are the LSOA and ward files of one vintage?"
        )
    if done.deleted:
        report.notes.append(f"{done.deleted} derived values removed (their area now has no population)")
    return report
