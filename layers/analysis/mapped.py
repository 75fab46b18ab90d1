"""Where the asset register is complete (the mapped extent), and marking it (sync, SQLAlchemy).

An officer (or an import that covers an area) marks a district or custom locality as mapped for some kinds of
asset: Patchmap holds every group, hub or space of those kinds there. The overlay scores only areas that are
mapped for every kind it counts (``layers.analysis.tables``); the SQL that says which reported areas are
covered is ``layers/sql/analysis_mapped.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict

import pandas as pd
from sqlalchemy import Connection, text

from layers.access import audit
from layers.access.scope import Actor, require_user
from layers.errors import InvalidInput, NotFound
from layers.models.analysis import MAPPED_KINDS
from layers.sql import sql


class Mapped(TypedDict):
    """One mapped district or locality: which kinds, who said so, when and from what."""

    code: str
    name: str
    kind: str
    kinds: list[str]
    mapped_by: str
    source: str | None
    note: str | None
    mapped_at: datetime


def _kinds(kinds: Sequence[str]) -> list[str]:
    wanted = [k.strip() for k in kinds if k.strip()]
    bad = sorted(set(wanted) - set(MAPPED_KINDS))
    if bad or not wanted:
        raise InvalidInput(f"Unknown kinds {bad or '(none)'}", "Give one or more of group, hub, space.")
    return [k for k in MAPPED_KINDS if k in wanted]


def mark_mapped(
    conn: Connection,
    code: str,
    kinds: Sequence[str],
    *,
    mapped_by: str,
    source: str | None = None,
    note: str | None = None,
    merge: bool = False,
) -> Mapped:
    """Mark district or locality ``code`` as mapped for ``kinds``: replacing an earlier mark of it, or (``merge``,
    as imports do) adding the kinds to it."""
    area = conn.execute(text("SELECT id, kind FROM areas WHERE code = :c"), {"c": code}).first()
    if area is None:
        raise NotFound(
            f"No area with code {code!r}", "Give a district code (e.g. E07000148) or a locality's code."
        )
    if area.kind not in ("district", "locality"):
        raise InvalidInput(f"{code} is a {area.kind}", "Mark a district or a custom locality as mapped.")
    if not mapped_by.strip():
        raise InvalidInput("Say who marks it as mapped", "mapped_by is a person's name or the import's name.")
    conn.execute(
        text(
            "INSERT INTO mapped_areas (area_id, kinds, mapped_by, source, note) "
            "VALUES (:a, CAST(:k AS text[]), :by, :src, :note) "
            "ON CONFLICT (area_id) DO UPDATE SET kinds = CASE WHEN :merge THEN ARRAY(SELECT DISTINCT k FROM "
            "unnest(mapped_areas.kinds || EXCLUDED.kinds) k ORDER BY k) ELSE EXCLUDED.kinds END, "
            "mapped_by = EXCLUDED.mapped_by, "
            "source = EXCLUDED.source, note = EXCLUDED.note, mapped_at = now()"
        ),
        {
            "a": area.id,
            "k": _kinds(kinds),
            "by": mapped_by.strip(),
            "src": source,
            "note": note,
            "merge": merge,
        },
    )
    return next(m for m in mapped_areas(conn) if m["code"] == code)


def mark_covered(
    conn: Connection, codes: Sequence[str], kinds: Sequence[str], *, mapped_by: str, source: str | None
) -> list[str]:
    """What an import does with ``--covers``: add ``kinds`` to the mark of each of ``codes``; a note to report."""
    done = [mark_mapped(conn, c, kinds, mapped_by=mapped_by, source=source, merge=True) for c in codes]
    return [
        f"{m['name']} ({m['code']}) marked as mapped for {', '.join(k + 's' for k in m['kinds'])}"
        for m in done
    ]


def unmark_mapped(conn: Connection, code: str) -> bool:
    """Take away the mark of ``code``; whether there was one."""
    gone = conn.execute(
        text("DELETE FROM mapped_areas WHERE area_id = (SELECT id FROM areas WHERE code = :c) RETURNING id"),
        {"c": code},
    ).first()
    return gone is not None


def mapped_areas(conn: Connection) -> list[Mapped]:
    """Every mapped district and locality, by code."""
    rows = conn.execute(
        text(
            "SELECT a.code, a.name, a.kind, x.kinds, x.mapped_by, x.source, x.note, x.mapped_at "
            "FROM mapped_areas x JOIN areas a ON a.id = x.area_id ORDER BY a.code"
        )
    ).mappings()
    return [Mapped(**dict(r)) for r in rows]  # type: ignore[typeddict-item]


def covered_kinds(conn: Connection, *, level: str, within: str | None) -> pd.Series:
    """For each reported area (index: key, areas.id) covered for some kind: the tuple of kinds covered."""
    rows = conn.execute(text(sql("analysis_mapped.sql")), {"level": level, "within": within}).all()
    return pd.Series({r[0]: tuple(r[1]) for r in rows}, dtype=object)


def extent_words(found: list[Mapped]) -> str:
    """The mapped extent in a sentence's words: "Norwich (groups, hubs, spaces; demo import, 5 Dec 2026)"."""
    if not found:
        return "nowhere yet"
    return "; ".join(f"{m['name']} ({', '.join(k + 's' for k in m['kinds'])}: {m['mapped_by']}, "
                     f"{m['mapped_at']:%-d %b %Y})" for m in found)  # fmt: skip


def as_json(m: Mapped) -> dict[str, Any]:
    """A mapped area as JSON-ready data."""
    return {**m, "mapped_at": m["mapped_at"].isoformat()}


def mark_as(
    conn: Connection, actor: Actor, code: str, kinds: Sequence[str], *, source: str | None, note: str | None
) -> Mapped:
    """An officer or admin marks ``code`` as mapped (as themselves); audited."""
    require_user(actor, "officer", "admin")
    m = mark_mapped(conn, code, kinds, mapped_by=actor.name, source=source, note=note)
    audit.record(conn, actor, "mapped-add", object_type="area", object_id=code, detail={"kinds": m["kinds"]})
    return m


def unmark_as(conn: Connection, actor: Actor, code: str) -> None:
    """An officer or admin takes away the mark of ``code``; audited. NotFound when it had none."""
    require_user(actor, "officer", "admin")
    if not unmark_mapped(conn, code):
        raise NotFound(f"{code[:32]} is not marked as mapped", "See GET /analysis/mapped for what is.")
    audit.record(conn, actor, "mapped-remove", object_type="area", object_id=code)
