"""Idempotent upserts: insert new rows, update changed ones, leave identical ones alone."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, literal_column, or_, text
from sqlalchemy.dialects.postgresql import insert

from layers.importers.report import Progress


@dataclass
class UpsertCounts:
    """How many rows were inserted, updated and found unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[Any] | None = None


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    *,
    returning: str | None = None,
    batch: int = 500,
    progress: Progress | None = None,
) -> UpsertCounts:
    """Insert ``rows`` into ``table``, updating rows whose ``key`` exists and whose values differ.

    A row is counted as unchanged when every column equals what is stored (so a re-import is a no-op).
    ``returning`` names a column whose values (of inserted and updated rows) are collected in ``ids``;
    ``progress`` advances by each batch written.
    """
    counts = UpsertCounts(ids=[] if returning else None)
    if not rows:
        return counts
    cols = [c for c in rows[0] if c not in key]
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        stmt = insert(table).values(list(chunk))
        changed = [table.c[c].is_distinct_from(stmt.excluded[c]) for c in cols]
        if cols:
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c[k] for k in key],
                set_={c: stmt.excluded[c] for c in cols}
                | ({"updated_at": func.now()} if "updated_at" in table.c else {}),
                where=or_(*changed),
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=[table.c[k] for k in key])
        # xmax = 0 only for a freshly inserted row version: the standard PostgreSQL idiom.
        ret: list[Any] = [literal_column("(xmax = 0)").label("inserted")]
        if returning:
            ret.append(table.c[returning])
        result = conn.execute(stmt.returning(*ret)).all()
        ins = sum(1 for r in result if r[0])
        counts.inserted += ins
        counts.updated += len(result) - ins
        counts.unchanged += len(chunk) - len(result)
        if progress is not None:
            progress.advance(len(chunk))
        if counts.ids is not None:
            counts.ids.extend(r[1] for r in result)
    return counts


def slug(name: str) -> str:
    """A stable id made from a name: ``Age UK Norwich`` → ``age-uk-norwich``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’]", "", ascii_name.lower())).strip("-")


def outside_every_ward(conn: Connection, table: str, keys: list[tuple[str, str]]) -> list[str]:
    """Names of the rows of ``table`` (hubs, spaces or groups) keyed by (source, source_id) in ``keys`` that have
    a point in no loaded ward (their ward code, kept by a trigger, is empty), for an import's warning."""
    if table not in ("hubs", "spaces", "groups") or not keys:
        return []
    return list(
        conn.execute(
            text(
                f"SELECT name FROM {table} WHERE geom IS NOT NULL AND ward_code IS NULL "
                "AND (source, source_id) IN (SELECT * FROM unnest(CAST(:s AS text[]), CAST(:i AS text[]))) "
                "ORDER BY name"
            ),
            {"s": [k[0] for k in keys], "i": [k[1] for k in keys]},
        ).scalars()
    )


def outside_words(what: str, names: list[str]) -> str:
    """The note an import gives for rows outside every ward."""
    shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    one = len(names) == 1
    return (
        f"{len(names)} {what[:-1] if one else what} {'lies' if one else 'lie'} outside every ward loaded ({shown}): "
        f"check {'its place' if one else 'their places'}, or import the boundaries of where "
        f"{'it is' if one else 'they are'}"
    )


def place_key(name: str, postcode: str | None, lon: float, lat: float) -> str:
    """A stable id for a record with no id of its own: its name's slug with its postcode, else with its point
    to 4 decimal places (about 10 m): ``our-hall@nr21aw``, ``our-library@1.2800,52.6400``."""
    where = postcode.replace(" ", "").lower() if postcode else f"{lon:.4f},{lat:.4f}"
    return f"{slug(name)}@{where}"[:200]
