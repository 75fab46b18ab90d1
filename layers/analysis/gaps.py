"""Gaps: where need outruns provision, within a comparison set of areas (pure functions over frames).

- need percentile: the area's place (0 to 1, ties averaged) among the set by its need measure, 1 = most need.
  For the IMD or a domain that measure is the population-weighted mean LSOA rank, and a lower rank is more
  deprived; for an officer's own indicator, higher is more need unless they say otherwise.
- provision percentile: likewise by the provision measure (assets per 1,000 residents, coverage, or E2SFCA),
  1 = most provision.
- gap = need percentile − provision percentile, from −1 to 1; the priority list runs from the largest gap.
- class: each percentile in thirds (low ≤ 1/3 < medium ≤ 2/3 < high), giving a 3×3 bivariate class.
Only areas that can be scored are compared (``scorable``: with residents, inside the mapped extent, in a
comparison set holding some assets; ``layers.analysis.tables`` decides); the others get no percentiles, no
class and no rank, and say why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVELS3 = ("low", "medium", "high")
#: Provision measures: overlay column, what it is called in a sentence.
PROVISION = {
    "per_1000": ("assets_per_1000", "per 1,000 residents"),
    "coverage": ("coverage", "share of residents within reach"),
    "access": ("access_e2sfca", "E2SFCA accessibility per 1,000 residents"),
}


#: Every class of the 3×3 key in words, high need first: what an officer may read into it.
CLASS_WORDS: dict[str, str] = {
    "high-low": "High need, low provision: look here first",
    "high-medium": "High need, medium provision: look here next",
    "high-high": "High need, high provision: well served for its need",
    "medium-low": "Medium need, low provision: thin support for its need",
    "medium-medium": "Medium need, medium provision: about the middle on both",
    "medium-high": "Medium need, high provision: well served",
    "low-low": "Low need, low provision: little of either",
    "low-medium": "Low need, medium provision",
    "low-high": "Low need, high provision: more provision than need suggests",
}
#: How the classes are made, in words.
CLASS_RULE = (
    "Need and provision are each split into thirds of the areas scored: low is the third with least, high "
    "the third with most. The class is need, then provision."
)


@dataclass(frozen=True)
class Need:
    """The need measure: a column of the table, whether higher means more need, and how to name it."""

    column: str
    higher_is_more_need: bool
    label: str


def percentile(values: pd.Series, *, higher_is_more: bool = True) -> pd.Series:
    """Each value's percentile rank (0 to 1] among the non-missing values, ties averaged; NaN stays NaN."""
    ranked = values.rank(pct=True, method="average", ascending=higher_is_more)
    return ranked.astype(float)


def third(p: pd.Series) -> pd.Series:
    """low / medium / high for percentiles ≤ 1/3, ≤ 2/3, above; None where missing (vectorised)."""
    v = p.to_numpy(dtype=float)
    labels = np.array(np.select([v <= 1 / 3, v <= 2 / 3, v > 2 / 3], list(LEVELS3), default=""), dtype=object)
    labels[np.isnan(v)] = None
    return pd.Series(labels, index=p.index, dtype="object")


def score_gaps(
    table: pd.DataFrame, need: Need, provision: str, scorable: pd.Series | None = None
) -> pd.DataFrame:
    """The table with need/provision percentiles, gap, classes and priority rank (1 = largest gap), among the
    rows with residents (and ``scorable``, when given)."""
    column = PROVISION[provision][0]
    out = table.copy()
    has_people = out["population_total"] > 0
    if scorable is not None:
        has_people &= scorable.reindex(out.index).fillna(False).astype(bool)
    need_values = out[need.column].where(has_people)
    provision_values = out[column].where(has_people & need_values.notna())
    need_values = need_values.where(provision_values.notna())
    out["need_value"] = need_values
    out["provision_value"] = provision_values
    out["need_percentile"] = percentile(need_values, higher_is_more=need.higher_is_more_need)
    out["provision_percentile"] = percentile(provision_values)
    out["gap"] = out["need_percentile"] - out["provision_percentile"]
    out["need_class"] = third(out["need_percentile"])
    out["provision_class"] = third(out["provision_percentile"])
    both = out["need_class"].notna() & out["provision_class"].notna()
    pair = np.array(out["need_class"].fillna("") + "-" + out["provision_class"].fillna(""), dtype=object)
    pair[~both.to_numpy()] = None
    out["bivariate_class"] = pd.Series(pair, index=out.index, dtype=object)
    # ties in gap: the area in greater need first, then by code (the index), so the order is stable
    ranked = out[out["gap"].notna()]
    ranked = ranked.assign(_code=ranked.index).sort_values(
        ["gap", "need_percentile", "_code"], ascending=[False, False, True]
    )
    out["priority"] = pd.Series(np.arange(1, len(ranked) + 1), index=ranked.index).reindex(out.index)
    return out
