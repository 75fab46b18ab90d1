"""Rank ranges (layers/analysis/confidence.py): percentiles kept across the 40 choices rank as one at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.analysis.confidence import _KeptPercentiles, priorities
from layers.analysis.gaps import Need, score_gaps


def test_kept_percentiles_give_the_priorities_of_each_choice_alone() -> None:
    rng = np.random.default_rng(11)
    n = 400
    codes = np.arange(n)
    needs = [rng.integers(1, 60, n).astype(float) for _ in range(3)]  # ties, as deciles have
    provisions = [rng.random(n).round(2) for _ in range(4)]
    for values in (*needs, *provisions):
        values[rng.choice(n, 25, replace=False)] = np.nan  # not scored, or no value
    kept = _KeptPercentiles()
    for need in needs:
        for provision in provisions:
            alone = priorities(need, provision, codes, higher_is_more_need=False)
            turned = priorities(-need, provision, codes, higher_is_more_need=True, percentiles=kept)
            assert np.array_equal(alone, turned, equal_nan=True)


def test_priorities_are_score_gaps_ranks() -> None:
    rng = np.random.default_rng(2)
    table = pd.DataFrame(
        {"imd_rank": rng.integers(1, 30, 50).astype(float), "assets_per_1000": rng.random(50).round(1),
         "population_total": 100.0},
        index=[f"E05{n:06d}" for n in rng.permutation(50)],
    )  # fmt: skip
    scored = score_gaps(table, Need("imd_rank", False, "IMD"), "per_1000")
    codes = pd.factorize(table.index.to_numpy().astype(str), sort=True)[0]
    mine = priorities(table["imd_rank"].to_numpy(), table["assets_per_1000"].to_numpy(), codes,
                      higher_is_more_need=False, percentiles=_KeptPercentiles())  # fmt: skip
    assert np.array_equal(mine, scored["priority"].to_numpy(float))
