"""Each row's explanation (layers/analysis/explain.py), word for word, on a hand-made table."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from layers.analysis.explain import explanations
from layers.analysis.gaps import Need
from layers.analysis.overlay import OverlayOptions
from layers.analysis.tables import OverlayResult

NAN = math.nan


def _result(provision: str = "per_1000", within_name: str | None = "Norwich") -> OverlayResult:
    table = pd.DataFrame(
        {
            "name": ["Mile Cross", "Eaton", "Quiet Fen", "Bowthorpe"],
            "scored": [True, True, False, True],
            "not_scored": [None, None, "no residents in the population data", None],
            "population_total": [6789.4, 12000.0, 0.0, 8500.5],
            "imd_rank": [2345.6, 25000.0, NAN, 9000.0],
            "imd_decile": [1.004, 8.5, NAN, NAN],
            "groups": [3.4, 1.0, 0.0, -0.0],
            "hubs": [1.0, 2.0, 0.0, 0.0],
            "spaces": [0.0, 1.0, 1.0, 0.26],
            "potential": [1.0, 0.0, 2.0, 0.0],
            "groups_area_wide": [70.0, 0.0, 1.0, 0.0],
            "assets_per_1000": [0.648, 0.3333, NAN, 0.0306],
            "access_e2sfca": [1.23456, 0.5, NAN, 12345.678],
            "coverage": [0.404, 1.0, NAN, 0.995],
            "need_percentile": [1.0, 1 / 3, NAN, 2 / 3],
            "provision_percentile": [1 / 3, 1.0, NAN, 2 / 3],
            "gap": [2 / 3, -2 / 3, NAN, -0.0],
            "priority": [1.0, 3.0, NAN, 2.0],
            "rank_low": [1.0, 2.0, NAN, NAN],
            "rank_high": [2.0, 3.0, NAN, NAN],
            "rank_stable": [True, False, False, False],
            "rank_choices": [40, 40, 40, 40],
        },
        index=pd.Index(["E05000001", "E05000002", "E05000003", "E05000004"], name="code"),
    )
    return OverlayResult(
        table, "ward", "E07000148" if within_name else None, within_name, OverlayOptions(),
        Need("imd_rank", False, "IMD"), provision,
    )  # fmt: skip


def test_every_number_in_its_words() -> None:
    words = explanations(_result())
    assert words[0] == (
        "Mile Cross: IMD decile 1 (population-weighted mean LSOA rank 2,346 of 32,844 in England; 1 is the most "
        "deprived); 3.4 groups, 1 hub, 0 spaces counted (1 potential space; 70 groups serving wider areas, shared "
        "out) for 6,789 residents: 0.65 per 1,000 against a median of 0.33 across the 3 wards of Norwich scored; "
        "40% of residents within 800 m of an asset; need percentile 100%, provision percentile 33%: gap +0.67; "
        "ranked 1; from 1 to 2 across 40 reasonable choices (stable)."
    )
    assert words[1].startswith("Eaton: IMD decile 8.5 (population-weighted mean LSOA rank 25,000 ")
    assert "1 group, 2 hubs, 1 space counted for 12,000 residents" in words[1]
    assert words[1].endswith("gap -0.67; ranked 3; from 2 to 3 across 40 reasonable choices (not stable).")
    assert words[2] == (
        "Quiet Fen: not scored (no residents in the population data); 0 groups, 0 hubs, 1 space counted "
        "(2 potential spaces; 1 group serving wider areas, shared out)."
    )
    assert words[3] == (
        "Bowthorpe: no IMD data; -0 groups, 0 hubs, 0.26 spaces counted for 8,500 residents: 0.03 per 1,000 "
        "against a median of 0.33 across the 3 wards of Norwich scored; 100% of residents within 800 m of an "
        "asset; need percentile 67%, provision percentile 67%: gap -0.00."
    )


@pytest.mark.parametrize(
    ("provision", "part"),
    [
        ("access", "counted (1 potential space; 70 groups serving wider areas, shared out); E2SFCA accessibility "
                   "1.2 per 1,000 against a median of 1.2 across the 3 wards scored; 40% of residents"),
        ("coverage", "shared out); 40% of residents within 800 m of an asset against a median of 100% across the "
                     "3 wards scored; need percentile"),
    ],
)  # fmt: skip
def test_each_provision_measure_in_words(provision: str, part: str) -> None:
    words = explanations(_result(provision, within_name=None))
    assert part in words[0]
    assert explanations(_result(provision), ["E05000004", "E05000001"]) == [
        w.replace("3 wards scored", "3 wards of Norwich scored") for w in (words[0], words[3])
    ]
