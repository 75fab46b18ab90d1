"""How far an area's rank moves across the reasonable choices an officer could have made (rank ranges).

Small areas swing with one group, so each scored area's priority is recomputed for every combination of:

- need: the IMD or one of its seven domains (population-weighted mean LSOA rank; lower is more need), and the
  officer's own indicator when that is the chosen measure;
- provision: assets per 1,000 residents, 2SFCA at the chosen catchment, or coverage within 400, 800 or
  1,600 m of an asset.

``rank_low`` and ``rank_high`` are the best and worst priority (1 = largest gap) over those choices, among the
same areas scored; a rank is *stable* when it moves by at most ``max(2, 10% of the areas scored)`` places.
Ranking is the rule of ``layers.analysis.gaps.score_gaps`` (gap, then need, then code), done with numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from layers.analysis.inputs import OverlayInputs
from layers.analysis.overlay import (
    RADII_M,
    OverlayOptions,
    area_key,
    chosen,
    coverage_column,
    covered,
    weighted_by_population,
)
from layers.taxonomy import DOMAINS

#: Built-in need measures: the overlay's population-weighted mean LSOA rank columns (lower = more need).
NEEDS = tuple(f"{key}_rank" for key, _, _ in DOMAINS)


def priorities(
    need: np.ndarray,
    provision: np.ndarray,
    codes: np.ndarray,
    *,
    higher_is_more_need: bool,
    percentiles: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Priority (1 = largest gap) of each row with both values, NaN otherwise, as score_gaps ranks them.
    ``percentiles(values, has)`` may give the percentiles of values among the rows of ``has`` (kept ones)."""
    has = ~(np.isnan(need) | np.isnan(provision))
    out = np.full(len(need), np.nan)
    if not has.any():
        return out
    of = percentiles or _percentiles
    n = of(need if higher_is_more_need else -need, has)
    p = of(provision, has)
    gap = n - p
    # sort by gap descending, then need percentile descending, then code ascending
    order = np.lexsort((codes[has], -n, -gap))
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    out[has] = ranks
    return out


def _percentiles(values: np.ndarray, has: np.ndarray) -> np.ndarray:
    # scipy's average ranks over the count: pandas' rank(pct=True, method="average"), several times faster
    return np.asarray(rankdata(values[has], method="average") / int(has.sum()))


class _KeptPercentiles:
    """``_percentiles`` kept for each (values, rows) asked: 40 choices rank 8 needs and 5 provisions, not 80."""

    def __init__(self) -> None:
        self._kept: dict[tuple[int, bytes], np.ndarray] = {}
        self._held: list[np.ndarray] = []  # the arrays asked about, held so that their ids stay theirs

    def __call__(self, values: np.ndarray, has: np.ndarray) -> np.ndarray:
        key = (id(values), has.tobytes())
        if key not in self._kept:
            self._held.append(values)
            self._kept[key] = _percentiles(values, has)
        return self._kept[key]


def coverage_at(inputs: OverlayInputs, options: OverlayOptions, radius_m: float) -> pd.Series:
    """Coverage per reported area (index: area code) within ``radius_m`` of the counted assets."""
    per_lsoa = pd.DataFrame({"coverage": covered(inputs.lsoas, chosen(inputs.assets, options), radius_m)})
    key = area_key(inputs.areas)
    areas = inputs.areas.set_index(key)
    links = inputs.links[inputs.links["area_key"].isin(areas.index)].reset_index(drop=True)
    rolled = weighted_by_population(inputs.lsoas, links, per_lsoa)["coverage"]
    return rolled.set_axis(areas["code"].reindex(rolled.index).to_numpy())


def rank_ranges(
    table: pd.DataFrame,
    inputs: OverlayInputs,
    options: OverlayOptions,
    scorable: pd.Series,
    own_need: tuple[str, bool] | None = None,
) -> tuple[pd.DataFrame, int]:
    """rank_low, rank_high, rank_stable and choices (how many combinations) per scored row; and the number of
    places a stable rank may move."""
    ok = (
        scorable.reindex(table.index).fillna(False).to_numpy(bool)
        & (table["population_total"] > 0).to_numpy()
    )
    # the codes' order as integers (lexsort on strings is slow at England's scale; the order is the same)
    codes = pd.factorize(table.index.to_numpy().astype(str), sort=True)[0]
    needs = [(table[c].to_numpy(float), False) for c in NEEDS if c in table.columns]
    if own_need is not None:
        needs.append((table[own_need[0]].to_numpy(float), own_need[1]))
    provisions = [table["assets_per_1000"].to_numpy(float), table["access_2sfca"].to_numpy(float)]
    for radius in RADII_M:
        within = coverage_column(radius)  # kept by lsoa_measures(radii_m=RADII_M) or a what-if, else computed
        if radius == options.radius_m:
            column = table["coverage"]
        else:
            column = table[within] if within in table.columns else coverage_at(inputs, options, radius)
        provisions.append(column.reindex(table.index).to_numpy(float))
    # each need turned so that higher is more need, the rows not scored left out: then the 8 needs' and 5
    # provisions' percentiles are computed once each (kept), not once per choice
    turned = [np.where(ok, need if higher else -need, np.nan) for need, higher in needs]
    provisions = [np.where(ok, provision, np.nan) for provision in provisions]
    kept = _KeptPercentiles()
    ranks = [
        priorities(need, provision, codes, higher_is_more_need=True, percentiles=kept)
        for need in turned
        for provision in provisions
    ]
    stack = np.vstack(ranks) if ranks else np.full((1, len(table)), np.nan)
    scored_count = int(ok.sum())
    allowed = max(2, math.ceil(0.1 * scored_count))
    with np.errstate(all="ignore"):
        low = np.where(ok, np.nanmin(np.where(np.isnan(stack), np.inf, stack), axis=0), np.nan)
        high = np.where(ok, np.nanmax(np.where(np.isnan(stack), -np.inf, stack), axis=0), np.nan)
    low = np.where(np.isfinite(low), low, np.nan)
    high = np.where(np.isfinite(high), high, np.nan)
    out = pd.DataFrame(
        {
            "rank_low": low,
            "rank_high": high,
            "rank_stable": np.where(ok & np.isfinite(low), (high - low) <= allowed, False),
            "rank_choices": len(ranks),
        },
        index=table.index,
    )
    return out, allowed
