"""Each overlay row's explanation in plain English, built a column at a time.

Every number in a sentence is formatted once per distinct value of its column (most counts are the same few
numbers), and the sentences are put together from those columns: the same words as formatting each row's
numbers one at a time (``_num``, ``_pct``, ``_int`` are the rules), several times faster for England's wards.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection
from typing import Any, Protocol

import numpy as np
import pandas as pd

from layers.analysis.gaps import PROVISION, Need
from layers.analysis.overlay import OverlayOptions


class OverlayResult(Protocol):
    """What an explanation reads of an overlay result (layers.analysis.tables.OverlayResult; a protocol here, so
    tables, which imports this module, is not imported back)."""

    table: pd.DataFrame
    level: str
    within_name: str | None
    options: OverlayOptions
    need: Need
    provision: str


KIND_WORDS = {"group": "groups", "hub": "hubs", "space": "spaces"}
COUNT_NOUNS = (("groups", "group", "groups"), ("hubs", "hub", "hubs"), ("spaces", "space", "spaces"))


def level_words(level: str, n: int) -> str:
    """The level's name for n areas: "ward", "wards", "LSOAs", "localities"."""
    if n == 1:
        return {"lsoa": "LSOA"}.get(level, level)
    return {"lsoa": "LSOAs", "locality": "localities"}.get(level, f"{level}s")


def assets_word(kinds: tuple[str, ...], category: str | None) -> tuple[str, str]:
    """('groups', 'a group') for one kind; ('assets', 'an asset') for several; with the category named."""
    plural = KIND_WORDS[kinds[0]] if len(kinds) == 1 else "assets"
    one = f"a {kinds[0]}" if len(kinds) == 1 else "an asset"
    if category:
        plural, one = f"{category} {plural}", f"{one} ({category})"
    return plural, one


def explanations(result: OverlayResult, codes: Collection[str] | None = None) -> list[str]:
    """One plain-English sentence per row saying why it ranks where it does, with every number it used: the
    need measure, the counts and residents behind the provision measure, the median compared with, both
    percentiles and the gap; or why it is not scored. Only the rows of ``codes``, when given (a what-if)."""
    t, o = result.table, result.options
    _, one = assets_word(o.counted_kinds or o.kinds, o.category)
    column = PROVISION[result.provision][0]
    scored = t["scored"] if "scored" in t.columns else t["population_total"] > 0
    median = t.loc[scored, column].median()
    where = f" of {result.within_name}" if result.within_name else ""
    against = f"across the {int(scored.sum())} {level_words(result.level, 2)}{where} scored"
    rows = t if codes is None else t[t.index.isin(list(codes))]
    is_scored = scored[rows.index].to_numpy(bool).tolist()
    names = [str(v) for v in _values(rows["name"])]
    counts = _counts_words(rows)
    out = [f"{name}: " for name in names]
    if not all(is_scored):
        why = _values(rows["not_scored"]) if "not_scored" in rows.columns else [None] * len(rows)
        for i, s in enumerate(is_scored):
            if not s:
                out[i] += f"not scored ({why[i] or 'no residents in the population data'}); {counts[i]}."
    if not any(is_scored):
        return out
    need = _need_words(result.need, rows)
    within = f" of residents within {o.radius_m:g} m of {one}"
    coverage = _said(rows["coverage"], _pct)
    if result.provision == "per_1000":
        residents = _said(rows["population_total"], _int)
        value = _said(rows[column], _num)
        tail = f" per 1,000 against a median of {_num(median)} {against}"
        provision = [f"{c} for {r} residents: {v}{tail}; {p}{within}" for c, r, v, p in
                     zip(counts, residents, value, coverage, strict=True)]  # fmt: skip
    elif result.provision == "access":
        value = _said(rows[column], _num)
        tail = f" per 1,000 against a median of {_num(median)} {against}"
        provision = [f"{c}; E2SFCA accessibility {v}{tail}; {p}{within}" for c, v, p in
                     zip(counts, value, coverage, strict=True)]  # fmt: skip
    else:
        tail = f" against a median of {_pct(median)} {against}"
        provision = [f"{c}; {p}{within}{tail}" for c, p in zip(counts, coverage, strict=True)]
    need_pct, provision_pct = _said(rows["need_percentile"], _pct), _said(rows["provision_percentile"], _pct)
    gap = _said(rows["gap"], lambda v: f"{v:+.2f}")
    ranked = _ranked_words(rows)
    for i, s in enumerate(is_scored):
        if s:
            out[i] += (
                f"{need[i]}; {provision[i]}; need percentile {need_pct[i]}, provision percentile "
                f"{provision_pct[i]}: gap {gap[i]}{ranked[i]}."
            )
    return out


def _n(value: Any, one: str, many: str, after: str = "") -> str:
    """A count with its noun: "1 hub", "2 hubs", "0.26 groups" (a share is plural, as in speech)."""
    return f"{_num(value)} {one if value == 1 else many}{after}"


def _values(column: pd.Series) -> list[Any]:
    """A column's cells as Python values (floats, ints, bools, text; NaN where missing)."""
    return column.to_numpy(dtype=object if column.dtype.kind not in "fiub" else None).tolist()


def _said(column: pd.Series, say: Callable[[Any], str]) -> list[str]:
    """``say(v)`` for each cell, computed once per distinct value (told apart by their bits: -0.0 from 0.0)."""
    if column.dtype != np.float64:
        return [say(v) for v in _values(column)]
    bits = np.ascontiguousarray(column.to_numpy()).view(np.int64)
    distinct, where = np.unique(bits, return_inverse=True)
    words = [say(v) for v in distinct.view(np.float64).tolist()]
    return [words[k] for k in where.tolist()]


def _counts_words(rows: pd.DataFrame) -> list[str]:
    """ "3.4 groups, 1 hub, 0 spaces counted (1 potential space; 70 groups serving wider areas, shared out)"."""
    words = [_said(rows[k], functools.partial(_n, one=one, many=many)) for k, one, many in COUNT_NOUNS]
    out = [f"{g}, {h}, {s} counted" for g, h, s in zip(*words, strict=True)]
    extras: list[list[str]] = [[] for _ in out]
    for key, one, many, after in (
        ("potential", "potential space", "potential spaces", ""),
        ("groups_area_wide", "group", "groups", " serving wider areas, shared out"),
    ):
        if key in rows.columns:
            said = _said(rows[key], functools.partial(_n, one=one, many=many, after=after))
            for i, v in enumerate(_values(rows[key])):
                if v:
                    extras[i].append(said[i])
    return [w + (f" ({'; '.join(e)})" if e else "") for w, e in zip(out, extras, strict=True)]


def _need_words(need: Need, rows: pd.DataFrame) -> list[str]:
    """The need part of each sentence: the decile and mean rank of an IoD measure, or the officer's value."""
    if need.column.endswith("_rank"):
        decile = rows[need.column.replace("_rank", "_decile")]
        rank = _said(rows[need.column], _int)
        said = _said(decile, _num)
        return [
            f"no {need.label} data" if _nan(d) else f"{need.label} decile {w} (population-weighted mean LSOA "
            f"rank {r} of 32,844 in England; 1 is the most deprived)"
            for d, w, r in zip(_values(decile), said, rank, strict=True)
        ]  # fmt: skip
    value = rows[need.column]
    said = _said(value, _num)
    return [
        f"no {need.label} value" if _nan(v) else f"{need.label} {w}"
        for v, w in zip(_values(value), said, strict=True)
    ]


def _ranked_words(rows: pd.DataFrame) -> list[str]:
    """ "; ranked 3; from 1 to 9 across 40 reasonable choices (not stable)" where a rank range is known."""
    if "rank_low" not in rows.columns:
        return [""] * len(rows)
    low = _values(rows["rank_low"])
    priority, low_words, high = (_said(rows[c], _int) for c in ("priority", "rank_low", "rank_high"))
    choices, stable = _values(rows["rank_choices"]), _values(rows["rank_stable"])
    return [
        "" if _nan(lo) else f"; ranked {p}; from {lw} to {h} across {int(c)} reasonable choices "
        f"({'stable' if s else 'not stable'})"
        for lo, p, lw, h, c, s in zip(low, priority, low_words, high, choices, stable, strict=True)
    ]  # fmt: skip


def _int(v: Any) -> str:
    return "n/a" if _nan(v) else f"{v:,.0f}"


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _num(v: Any) -> str:
    if _nan(v):
        return "n/a"
    x = float(v)
    if round(x, 2).is_integer():
        return f"{x:,.0f}"
    return f"{x:.2f}" if abs(x) < 1 else f"{x:,.1f}"


def _pct(v: Any) -> str:
    return "n/a" if _nan(v) else f"{100 * v:.0f}%"
