"""Which indicators are stored, per kind of area: the choices of need measure an analysis can offer.

Sync (SQLAlchemy), like ``layers.analysis.frames``: the analysis and the CLI read with an ``Engine`` or
``Connection``. SQL in ``layers/sql/available_indicators.sql``.
"""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import Connection, text

from layers.errors import InvalidInput
from layers.sql import sql
from layers.taxonomy import AREA_KINDS, BUILTIN_KEYS


class IndicatorSummary(TypedDict):
    """One indicator (key and period) and the areas holding a value of it."""

    key: str
    period: str
    builtin: bool  # an IoD2019 indicator (imported or rolled up), not one an officer imported
    kinds: list[str]  # kinds of area with values, in AREA_KINDS order
    areas: dict[str, int]  # values per kind of area
    count: int  # every value, including those of codes that name no area
    unmapped: int  # values whose area_code names no area in the database
    derived: int  # values rolled up from LSOAs
    sources: list[str]


def available_indicators(conn: Connection, *, kind: str | None = None) -> list[IndicatorSummary]:
    """Stored indicators by key and period (yours first, then IoD2019's); ``kind`` keeps one kind of area."""
    if kind is not None and kind not in AREA_KINDS:
        raise InvalidInput(f"Unknown area kind {kind!r}", f"Use one of {', '.join(AREA_KINDS)}.")
    found: dict[tuple[str, str], IndicatorSummary] = {}
    for row in conn.execute(text(sql("available_indicators.sql")), {"kind": kind}):
        s = found.setdefault(
            (row.key, row.period),
            IndicatorSummary(
                key=row.key,
                period=row.period,
                builtin=row.key in BUILTIN_KEYS,
                kinds=[],
                areas={},
                count=0,
                unmapped=0,
                derived=0,
                sources=[],
            ),
        )
        s["count"] += row.n
        s["derived"] += row.derived
        s["sources"] = sorted({*s["sources"], *row.sources})
        if row.kind is None:
            s["unmapped"] += row.n
        else:
            s["areas"][row.kind] = row.n
    for s in found.values():
        s["kinds"] = sorted(
            s["areas"], key=lambda k: AREA_KINDS.index(k) if k in AREA_KINDS else len(AREA_KINDS)
        )
    return sorted(found.values(), key=lambda s: (s["builtin"], s["key"], s["period"]))


def own_need_choices(conn: Connection) -> tuple[tuple[str, str], ...]:
    """Indicators the council imported, as (key, label) need measures for the officers' map; made-up ones
    (a source starting "SAMPLE") say sample."""
    found = [i for i in available_indicators(conn) if not i["builtin"] and i["areas"]]
    choices: dict[str, str] = {}
    for i in found:
        sample = any(s.upper().startswith("SAMPLE") for s in i["sources"])
        label = f"{i['key'].replace('_', ' ').capitalize()} ({i['period']}; your data{', sample' if sample else ''})"
        choices[i["key"]] = label  # periods come in order: the last is the latest, which the analysis uses
    return tuple(choices.items())
