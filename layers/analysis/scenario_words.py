"""A what-if's change in words: which areas changed, and one plain-English sentence each
("Mile Cross moves from 1st to 6th: 2SFCA +38%, coverage 40% → 100%")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from layers.analysis.tables import OverlayResult
from layers.analysis.whatif import Change

#: The measures compared, with how each is named in a sentence.
MEASURES = {
    "assets_per_1000": "assets per 1,000",
    "coverage": "coverage",
    "access_2sfca": "2SFCA",
    "access_e2sfca": "E2SFCA",
}
#: Columns whose change makes an area "changed" (besides the measures).
RANKED = ("priority", "bivariate_class", "scored")
#: At most this many sentences about areas (the table has every row).
MAX_SENTENCES = 25


def changed_codes(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Codes of the areas whose measures, counts, rank, class or scoring differ, most moved first, then by code
    (compared over every area, vectorised: an area near a change whose numbers did not change is not listed)."""
    codes = before.index
    differs = np.zeros(len(codes), dtype=bool)
    counts = ("groups", "hubs", "spaces", "assets", "potential", "groups_area_wide")
    for column in (*MEASURES, *counts):
        b, a = before[column].to_numpy(float), after[column].reindex(codes).to_numpy(float)
        differs |= ~np.isclose(b, a, rtol=1e-12, atol=1e-12, equal_nan=True)
    for column in RANKED:
        was, now = before[column], after[column].reindex(codes)
        differs |= ~((was == now) | (was.isna() & now.isna())).to_numpy()
    shift = (after["priority"].reindex(codes) - before["priority"]).abs().fillna(0).to_numpy()
    frame = pd.DataFrame({"shift": shift, "code": codes})[differs]
    return list(frame.sort_values(["shift", "code"], ascending=[False, True])["code"])


def _float(v: Any) -> float:
    return float("nan") if v is None else float(v)


def ordinal(n: Any) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st; 'not ranked' for a missing rank."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "not ranked"
    k = int(n)
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _rank_words(name: str, before: Any, after: Any) -> str:
    b, a = ordinal(before), ordinal(after)
    if b == a:
        return f"{name} stays {b}" if b != "not ranked" else f"{name} is not ranked"
    if b == "not ranked":
        return f"{name} is now ranked {a}"
    if a == "not ranked":
        return f"{name} moves from {b} to not ranked"
    return f"{name} moves from {b} to {a}"


def _measure_words(label: str, column: str, before: float, after: float) -> str | None:
    if math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-12) or math.isnan(before) or math.isnan(after):
        return None
    if column == "coverage":
        return f"{label} {100 * before:.0f}% → {100 * after:.0f}%"
    if before > 0:
        change = 100 * (after - before) / before
        return f"{label} {change:+.0f}%" if abs(change) >= 1 else f"{label} {change:+.1f}%"
    return f"{label} {before:.2f} → {after:.2f}"


def change_words(change: Change) -> str:
    """'Adding a hub (2 rooms) at 622,510 E 310,020 N' or 'Closing Mile Cross Library (hub 12)'."""
    if change.action == "close":
        return f"Closing {change.name} ({change.kind} {change.id})"
    size = f" ({change.rooms} room{'s' if change.rooms != 1 else ''})" if change.kind == "hub" else ""
    return f"Adding {change.name}{size} at {change.x:,.0f} E {change.y:,.0f} N"


def sentences(
    before: OverlayResult, after: OverlayResult, changes: Sequence[Change], changed: Sequence[str]
) -> list[str]:
    """The changes, how many areas they touch, and one sentence per changed area (most moved first)."""
    level = {"lsoa": "LSOAs", "locality": "localities"}.get(before.level, f"{before.level}s")
    said = [change_words(c) + "." for c in changes]
    b, a = before.table, after.table
    moved = int(((b["priority"] != a["priority"]) & (b["priority"].notna() | a["priority"].notna())).sum())
    said.append(f"{len(changed)} {level} change; {moved} move in the ranking.")
    for code in list(changed)[:MAX_SENTENCES]:
        rb, ra = b.loc[code], a.loc[code]
        parts = [
            w
            for column, label in MEASURES.items()
            if (w := _measure_words(label, column, _float(rb[column]), _float(ra[column]))) is not None
        ]
        head = _rank_words(str(rb["name"]), rb["priority"], ra["priority"])
        said.append(f"{head}: {', '.join(parts)}." if parts else f"{head} (other areas changed around it).")
    if len(changed) > MAX_SENTENCES:
        said.append(f"And {len(changed) - MAX_SENTENCES} more {level}: see the table.")
    return said
