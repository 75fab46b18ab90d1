"""Asset-versus-needs measures per area: pure functions over the frames of ``layers.queries.analysis``.

Units and CRS: points are EPSG:27700 (British National Grid) in metres; populations are people (IoD2019
mid-2015 denominators); rates are per 1,000 residents; shares are 0 to 1.

How LSOA figures reach an area
    Each LSOA *l* gives a share s(l, a) of its residents to each reported area *a* (``links``: its area share
    in a ward, 1 for its district or itself, a locality's member wards' shares). An area's population is
    Σ pop(l)·s(l, a); any other LSOA value v (a rank, a decile, coverage, accessibility) becomes the
    population-weighted mean Σ pop(l)·s(l, a)·v(l) / Σ pop(l)·s(l, a), leaving out LSOAs without a value.
Assets
    A group, hub or space with a point counts in the area holding its point: its ward (``ward_code``), its
    LSOA, the district holding that LSOA (LSOAs nest in districts), or a locality with that ward or LSOA as a
    member. A group with no point counts once in each area it serves (``served``, see analysis_served.sql).
Coverage
    An LSOA is covered when an asset of the chosen kinds lies within ``radius_m`` metres (straight line) of
    its point; an area's coverage is the share of its residents in covered LSOAs.
Accessibility
    2SFCA and E2SFCA (``layers.analysis.access``) per LSOA from the chosen assets, ×1,000: assets (or rooms)
    per 1,000 residents in reach; then population-weighted to the area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from layers.analysis.access import catchment_pairs, e2sfca, two_sfca
from layers.errors import InvalidInput
from layers.queries.analysis import OverlayInputs
from layers.taxonomy import GROUP_CATEGORIES, HUB_KINDS, SPACE_KINDS

KINDS = ("group", "hub", "space")
PLURAL = {"group": "groups", "hub": "hubs", "space": "spaces"}
POPULATION = ("population_total", "population_0_15", "population_60_plus")
DEFAULT_RADIUS_M = 800.0
DEFAULT_CATCHMENT_M = 2000.0


@dataclass(frozen=True)
class OverlayOptions:
    """Which assets count and how far: kinds, an optional category, coverage radius and catchment (metres)."""

    kinds: tuple[str, ...] = KINDS
    category: str | None = None
    radius_m: float = DEFAULT_RADIUS_M
    catchment_m: float = DEFAULT_CATCHMENT_M
    capacity: Literal["one", "rooms"] = "one"

    def __post_init__(self) -> None:
        bad = [k for k in self.kinds if k not in KINDS]
        if bad or not self.kinds:
            raise InvalidInput(
                f"Unknown kinds {bad or '(none)'}", "kinds is a comma list of group, hub, space."
            )
        if self.category is not None and self.category not in {
            **GROUP_CATEGORIES,
            **HUB_KINDS,
            **SPACE_KINDS,
        }:
            raise InvalidInput(
                f"Unknown category {self.category!r}",
                "Give a group category, or a hub or space kind, from /docs (see docs/taxonomy.md).",
            )
        if not (0 < self.radius_m <= 20_000 and 0 < self.catchment_m <= 20_000):
            raise InvalidInput(
                "radius_m or catchment_m out of range", "Give metres, more than 0, at most 20000."
            )

    @property
    def counted_kinds(self) -> tuple[str, ...]:
        """The kinds the category leaves in: a group category keeps groups; a hub or space kind, those."""
        if self.category is None:
            return self.kinds
        owner = (
            "group" if self.category in GROUP_CATEGORIES else "hub" if self.category in HUB_KINDS else "space"
        )
        return tuple(k for k in self.kinds if k == owner)


def chosen(assets: pd.DataFrame, options: OverlayOptions) -> pd.DataFrame:
    """The assets of the counted kinds (and category, when one is given)."""
    keep = assets["kind"].isin(options.counted_kinds)
    if options.category is not None:
        keep &= assets["categories"].map(lambda c: options.category in (c or ()))
    return assets[keep]


def weighted_by_population(lsoas: pd.DataFrame, links: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Population-weighted means per area of LSOA columns (NaN values left out); index area_code."""
    pop = lsoas["population_total"].reindex(links["lsoa_code"]).to_numpy()
    weight = pd.Series(pop * links["share"].to_numpy(), index=links.index)
    out = {}
    for column in values.columns:
        v = values[column].reindex(links["lsoa_code"]).to_numpy(dtype=float)
        has = ~np.isnan(v) & ~np.isnan(weight.to_numpy())
        w = np.where(has, weight.to_numpy(), 0.0)
        num = pd.Series(np.where(has, w * v, 0.0)).groupby(links["area_code"].to_numpy()).sum()
        den = pd.Series(w).groupby(links["area_code"].to_numpy()).sum()
        out[column] = (num / den.where(den > 0)).astype(float)
    return pd.DataFrame(out)


def populations(lsoas: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Residents per area (total, 0-15, 60+): Σ pop(l)·s(l, a); index area_code."""
    values = lsoas[list(POPULATION)].reindex(links["lsoa_code"]).to_numpy(dtype=float)
    shares = links["share"].to_numpy()[:, None]
    frame = pd.DataFrame(np.nan_to_num(values) * shares, columns=list(POPULATION))
    return frame.groupby(links["area_code"].to_numpy()).sum()


def asset_area(inputs: OverlayInputs, assets: pd.DataFrame) -> pd.DataFrame:
    """The reported area(s) holding each asset's point: (kind, categories, area_code), one row per pair.

    One area per asset, except custom localities, which may overlap. Assets outside every reported area
    (read because they lie within reach of it) are left out.
    """
    level, codes = inputs.level, inputs.areas["code"]
    keep = assets[["kind", "categories"]]
    if level == "locality":
        m = inputs.members[["member_code", "locality_code"]]
        pairs = pd.concat(
            [
                keep.join(assets[column].rename("member_code")).reset_index().merge(m, on="member_code")
                for column in ("ward_code", "lsoa_code")
            ]
        ).drop_duplicates(["index", "locality_code"])
        return pairs.rename(columns={"locality_code": "area_code"})[["kind", "categories", "area_code"]]
    if level == "ward":
        area = assets["ward_code"]
    elif level == "lsoa":
        area = assets["lsoa_code"]
    else:  # district: LSOAs nest in districts
        area = assets["lsoa_code"].map(inputs.lsoas["district_code"])
    return keep.assign(area_code=area)[area.isin(codes)]


def asset_counts(inputs: OverlayInputs, options: OverlayOptions) -> tuple[pd.DataFrame, pd.Series]:
    """Counts per area by kind (groups, hubs, spaces, assets) and by category (a dict per area)."""
    placed = asset_area(inputs, chosen(inputs.assets, options))
    served = chosen(inputs.served.assign(kind="group"), options)[["kind", "categories", "area_code"]]
    rows = pd.concat([placed, served], ignore_index=True)
    counts = pd.crosstab(rows["area_code"], rows["kind"]).reindex(columns=list(KINDS), fill_value=0)
    counts = counts.rename(columns=PLURAL)
    counts["assets"] = counts.sum(axis=1)
    exploded = rows.explode("categories").dropna(subset=["categories"])
    tally = exploded.groupby(["area_code", "categories"]).size()
    by_category = pd.Series(
        {
            code: {str(k): int(v) for k, v in part.droplevel(0).items()}
            for code, part in tally.groupby(level=0)
        },
        dtype=object,
    )
    return counts, by_category


def covered(lsoas: pd.DataFrame, assets: pd.DataFrame, radius_m: float) -> pd.Series:
    """Whether an asset lies within radius_m metres of each LSOA's point (EPSG:27700); 1.0 or 0.0."""
    if assets.empty or lsoas.empty:
        return pd.Series(0.0, index=lsoas.index)
    tree = cKDTree(assets[["x", "y"]].to_numpy(dtype=float))
    distance, _ = tree.query(lsoas[["x", "y"]].to_numpy(dtype=float), k=1, distance_upper_bound=radius_m)
    return pd.Series((distance <= radius_m).astype(float), index=lsoas.index)


def accessibility(lsoas: pd.DataFrame, assets: pd.DataFrame, options: OverlayOptions) -> pd.DataFrame:
    """2SFCA and E2SFCA per LSOA from the chosen assets, per 1,000 residents (capacity: 1, or rooms)."""
    if assets.empty or lsoas.empty:
        return pd.DataFrame({"access_2sfca": 0.0, "access_e2sfca": 0.0}, index=lsoas.index)
    pairs = catchment_pairs(
        lsoas[["x", "y"]].to_numpy(float), assets[["x", "y"]].to_numpy(float), options.catchment_m
    )
    population = np.nan_to_num(lsoas["population_total"].to_numpy(float))
    capacity = assets["rooms"].to_numpy(float) if options.capacity == "rooms" else np.ones(len(assets))
    return pd.DataFrame(
        {
            "access_2sfca": 1000 * two_sfca(population, capacity, pairs, options.catchment_m),
            "access_e2sfca": 1000 * e2sfca(population, capacity, pairs, options.catchment_m),
        },
        index=lsoas.index,
    )


def overlay(inputs: OverlayInputs, options: OverlayOptions, *, with_access: bool = True) -> pd.DataFrame:
    """The overlay table: one row per reported area with population, deprivation, counts, rates, coverage
    and accessibility (see the module docstring for each definition); index area code, sorted."""
    areas = inputs.areas.set_index("code")
    links = inputs.links[inputs.links["area_code"].isin(areas.index)].reset_index(drop=True)
    table = areas.join(populations(inputs.lsoas, links))
    deprivation = [c for c in inputs.lsoas.columns if c.endswith(("_rank", "_decile"))]
    pointed = chosen(inputs.assets, options)
    per_lsoa = inputs.lsoas[deprivation].copy()
    per_lsoa["coverage"] = covered(inputs.lsoas, pointed, options.radius_m)
    if with_access:
        per_lsoa = per_lsoa.join(accessibility(inputs.lsoas, pointed, options))
    table = table.join(weighted_by_population(inputs.lsoas, links, per_lsoa))
    counts, by_category = asset_counts(inputs, options)
    table = table.join(counts).fillna({c: 0 for c in counts.columns})
    for column in ("groups", "hubs", "spaces", "assets"):
        table[column] = table[column].astype(int)
        table[f"{column}_per_1000"] = (
            1000 * table[column] / table["population_total"].where(table["population_total"] > 0)
        )
    table["by_category"] = [by_category.get(code, {}) for code in table.index]
    table[list(POPULATION)] = table[list(POPULATION)].fillna(0.0)
    return table.sort_index()
