"""Asset-versus-needs measures per area: pure functions over the frames of ``layers.analysis.inputs``.

Units and CRS: points are EPSG:27700 (British National Grid) in metres; populations are people (IoD2019
mid-2015 denominators); rates are per 1,000 residents; shares are 0 to 1.

How LSOA figures reach an area
    Each LSOA *l* gives a share s(l, a) of its residents to each reported area *a* (``links``: its area share
    in a ward, 1 for its district or itself, a locality's member wards' shares). An area's population is
    Σ pop(l)·s(l, a); any other LSOA value v (a rank, a decile, coverage, accessibility) becomes the
    population-weighted mean Σ pop(l)·s(l, a)·v(l) / Σ pop(l)·s(l, a), leaving out LSOAs without a value.
Assets (provision and potential)
    Provision is what serves people now: active groups, hubs, and available spaces bookable through Patchmap.
    Potential is a space offered (available or under offer) that cannot be booked here, such as a vacant shop:
    somewhere a service could be, not one. ``OverlayOptions.counting`` says which count (default provision);
    potential spaces are counted in their own column (``potential``) whatever is chosen.
Counts that conserve
    Every asset counts once in total at every level. One with a point counts 1 in the area holding it: its
    LSOA, its ward, the district holding that ward (else its LSOA's district), so a district's wards add up
    to the district; in a custom locality holding it, 1/k each when k overlapping localities hold it. A group
    with no point is shared among the areas of the level it serves by their share of its residents
    (``served``, see analysis_served.sql): a group serving all Norwich counts 1 in Norwich and 1 across its 13
    wards together, not 1 in each. ``groups_area_wide`` counts such groups in full in each area they serve,
    so that nothing is hidden; it is not a share and does not add up.
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

from layers.analysis.access import Pairs, catchment_pairs, e2sfca, two_sfca
from layers.analysis.inputs import OverlayInputs
from layers.errors import InvalidInput
from layers.taxonomy import GROUP_CATEGORIES, HUB_KINDS, SPACE_KINDS

KINDS = ("group", "hub", "space")
#: What the measures count: provision (the default), potential, or both.
COUNTING = ("provision", "potential", "both")
PLURAL = {"group": "groups", "hub": "hubs", "space": "spaces"}
POPULATION = ("population_total", "population_0_15", "population_60_plus")
DEFAULT_RADIUS_M = 800.0
DEFAULT_CATCHMENT_M = 2000.0
#: The coverage radii the rank ranges compare (``layers.analysis.confidence``), metres.
RADII_M = (400.0, 800.0, 1600.0)


def coverage_column(radius_m: float) -> str:
    """The column holding coverage within ``radius_m`` metres, beside the chosen radius (for rank ranges)."""
    return f"coverage_within_{radius_m:g}"


@dataclass(frozen=True)
class OverlayOptions:
    """Which assets count and how far: kinds, an optional category, coverage radius and catchment (metres)."""

    kinds: tuple[str, ...] = KINDS
    category: str | None = None
    radius_m: float = DEFAULT_RADIUS_M
    catchment_m: float = DEFAULT_CATCHMENT_M
    capacity: Literal["one", "rooms", "hours"] = "one"
    counting: Literal["provision", "potential", "both"] = "provision"

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
        if self.counting not in COUNTING:
            raise InvalidInput(f"Unknown counting {self.counting!r}", "Use provision, potential or both.")
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


def chosen(assets: pd.DataFrame, options: OverlayOptions, *, counting: str | None = None) -> pd.DataFrame:
    """The assets of the counted kinds (and category, when one is given) and role (``counting``, by default
    the options'); a frame without a role column (groups with no point) is provision."""
    keep = assets["kind"].isin(options.counted_kinds)
    if options.category is not None:
        keep &= assets["categories"].map(lambda c: options.category in (c or ()))
    counting = counting or options.counting
    if counting != "both":
        if "role" in assets.columns:
            keep &= assets["role"] == counting
        elif counting != "provision":
            keep &= False
    return assets[keep]


def capacity_of(assets: pd.DataFrame, options: OverlayOptions) -> np.ndarray:
    """Each asset's capacity for 2SFCA: 1; or its rooms; or its bookable room-hours a week, else its rooms."""
    if options.capacity == "one":
        return np.ones(len(assets))
    rooms = assets["rooms"].to_numpy(float)
    if options.capacity == "rooms":
        return rooms
    hours = assets["room_hours"].to_numpy(float) if "room_hours" in assets.columns else np.zeros(len(assets))
    return np.where(hours > 0, hours, rooms)


@dataclass(frozen=True)
class Apportion:
    """A level's links as positions: each link's LSOA row (-1 when not read) and area number, and its share."""

    lsoa_row: np.ndarray
    area: np.ndarray
    areas: pd.Index
    share: np.ndarray

    @classmethod
    def of(cls, lsoas: pd.DataFrame, links: pd.DataFrame) -> Apportion:
        """Positions of links (lsoa_key, area_key, share) against the LSOAs' index."""
        area, areas = pd.factorize(links["area_key"])
        rows = lsoas.index.get_indexer(pd.Index(links["lsoa_key"]))
        return cls(rows, area, pd.Index(areas, name="area_key"), links["share"].to_numpy(dtype=float))

    def column(self, values: np.ndarray) -> np.ndarray:
        """An LSOA column's value at each link (NaN where the LSOA was not read)."""
        return np.where(self.lsoa_row >= 0, values[self.lsoa_row], np.nan)

    def sum(self, weights: np.ndarray) -> np.ndarray:
        """Per area sums of per-link weights."""
        return np.bincount(self.area, weights=weights, minlength=len(self.areas))


def weighted_by_population(
    lsoas: pd.DataFrame, links: pd.DataFrame | Apportion, values: pd.DataFrame
) -> pd.DataFrame:
    """Population-weighted means per area of LSOA columns (NaN values left out); index area_key."""
    ap = links if isinstance(links, Apportion) else Apportion.of(lsoas, links)
    weight = np.nan_to_num(ap.column(lsoas["population_total"].to_numpy(dtype=float)) * ap.share)
    ordered = values.reindex(lsoas.index) if not values.index.equals(lsoas.index) else values
    out = {}
    for column in values.columns:
        v = ap.column(ordered[column].to_numpy(dtype=float))
        has = ~np.isnan(v)
        w = np.where(has, weight, 0.0)
        num, den = ap.sum(np.where(has, w * v, 0.0)), ap.sum(w)
        out[column] = np.divide(num, den, out=np.full(len(ap.areas), np.nan), where=den > 0)
    return pd.DataFrame(out, index=ap.areas)


def populations(lsoas: pd.DataFrame, links: pd.DataFrame | Apportion) -> pd.DataFrame:
    """Residents per area (total, 0-15, 60+): Σ pop(l)·s(l, a); index area_key."""
    ap = links if isinstance(links, Apportion) else Apportion.of(lsoas, links)
    out = {c: ap.sum(np.nan_to_num(ap.column(lsoas[c].to_numpy(dtype=float))) * ap.share) for c in POPULATION}
    return pd.DataFrame(out, index=ap.areas)


def asset_area(inputs: OverlayInputs, assets: pd.DataFrame) -> pd.DataFrame:
    """The reported area(s) holding each asset's point: (kind, categories, area_key, weight), one row per pair.

    One area per asset with weight 1, except custom localities, which may overlap: an asset in k of them
    counts 1/k in each. A district holds the assets of its wards (else of its LSOAs), so its wards add up to
    it. Assets outside every reported area (read because they lie within reach of it) are left out.
    """
    level, codes = inputs.level, inputs.areas[area_key(inputs.areas)]
    keep = assets[["kind", "categories"]]
    if level == "locality":
        m = inputs.members[["member_key", "locality_key"]]
        pairs = pd.concat(
            [
                keep.join(assets[column].rename("member_key")).reset_index().merge(m, on="member_key")
                for column in ("ward_key", "lsoa_key")
            ]
        ).drop_duplicates(["index", "locality_key"])
        pairs["weight"] = 1.0 / pairs.groupby("index")["locality_key"].transform("size")
        return pairs.rename(columns={"locality_key": "area_key"})[
            ["kind", "categories", "area_key", "weight"]
        ]
    if level == "ward":
        area = assets["ward_key"]
    elif level == "lsoa":
        area = assets["lsoa_key"]
    else:  # district: the district of its ward, else of its LSOA (LSOAs nest in districts)
        by_lsoa = assets["lsoa_key"].map(inputs.lsoas["district_key"])
        by_ward = assets["ward_key"].map(inputs.ward_districts) if len(inputs.ward_districts) else by_lsoa
        area = by_ward.fillna(by_lsoa)
    return keep.assign(area_key=area, weight=1.0)[area.isin(codes)]


CATEGORY_PREFIX = "category:"
#: The count columns of the overlay: shares add up across areas (floats), groups_area_wide does not.
COUNT_COLUMNS = ("groups", "hubs", "spaces", "assets", "potential", "groups_area_wide")


def _tally(rows: pd.DataFrame, areas: pd.Index) -> pd.DataFrame:
    """Weighted counts by kind and by category (``category:<name>``) of rows (kind, categories, area_key,
    weight) per area of ``areas``."""
    area = areas.get_indexer(pd.Index(rows["area_key"]))
    weight = rows["weight"].to_numpy(float)
    kind = pd.Categorical(rows["kind"], categories=list(KINDS)).codes
    tally = np.bincount(area * len(KINDS) + kind, weights=weight, minlength=len(areas) * len(KINDS))
    tally = tally.reshape(-1, len(KINDS))
    counts = pd.DataFrame(tally, index=areas, columns=[PLURAL[k] for k in KINDS])
    counts["assets"] = tally.sum(axis=1)
    exploded = rows["categories"].explode()
    exploded = exploded[exploded.notna()]
    category, names = pd.factorize(exploded)
    if len(names):
        width = len(names)
        positions = rows.index.get_indexer(exploded.index)
        keys = area[positions] * width + category
        by = np.bincount(keys, weights=weight[positions], minlength=len(areas) * width).reshape(-1, width)
        columns = [f"{CATEGORY_PREFIX}{n}" for n in names]
        counts = counts.join(pd.DataFrame(by, index=areas, columns=columns)[sorted(columns)])
    return counts


def asset_counts(inputs: OverlayInputs, options: OverlayOptions) -> pd.DataFrame:
    """Counts per area by kind (groups, hubs, spaces, assets) and by category (``category:<name>`` columns),
    each asset counting once in total (see the module docstring); and ``potential`` (potential spaces) and
    ``groups_area_wide`` (groups with no point serving the area, in full)."""
    placed = asset_area(inputs, chosen(inputs.assets, options))
    served_all = chosen(inputs.served.assign(kind="group"), options)
    served = served_all[["kind", "categories", "area_key", "weight"]]
    rows = pd.concat([placed, served], ignore_index=True)
    areas = pd.Index(
        pd.unique(pd.concat([rows["area_key"], inputs.areas[area_key(inputs.areas)]])), name="area_key"
    )
    counts = _tally(rows, areas)
    potential = asset_area(inputs, chosen(inputs.assets, options, counting="potential"))
    counts["potential"] = np.bincount(
        areas.get_indexer(pd.Index(potential["area_key"])), weights=potential["weight"].to_numpy(float),
        minlength=len(areas),
    )  # fmt: skip
    wide = served_all["area_key"].value_counts()
    counts["groups_area_wide"] = wide.reindex(areas).fillna(0).to_numpy(float)
    return counts


def covered(lsoas: pd.DataFrame, assets: pd.DataFrame, radius_m: float) -> pd.Series:
    """Whether an asset lies within radius_m metres of each LSOA's point (EPSG:27700); 1.0 or 0.0."""
    return coverages(lsoas, assets, (radius_m,))[radius_m]


def coverages(
    lsoas: pd.DataFrame, assets: pd.DataFrame, radii_m: tuple[float, ...]
) -> dict[float, pd.Series]:
    """``covered`` at each of several radii (metres), from one search for each LSOA's nearest asset."""
    if assets.empty or lsoas.empty:
        return {r: pd.Series(0.0, index=lsoas.index) for r in radii_m}
    tree = cKDTree(assets[["x", "y"]].to_numpy(dtype=float))
    xy = lsoas[["x", "y"]].to_numpy(dtype=float)
    nearest, _ = tree.query(xy, k=1, distance_upper_bound=max(radii_m))
    out = {}
    for r in radii_m:
        # The tree's bound is strict (an asset exactly r away is not found); so is this. Within a hair of r,
        # where the root's rounding could tell otherwise, ask the tree with r itself, as one search per radius did.
        hit = nearest < r
        edge = np.flatnonzero(np.abs(nearest - r) <= 1e-6 * r)
        if len(edge):
            found, _ = tree.query(xy[edge], k=1, distance_upper_bound=r)
            hit[edge] = found <= r
        out[r] = pd.Series(hit.astype(float), index=lsoas.index)
    return out


def accessibility(
    lsoas: pd.DataFrame, assets: pd.DataFrame, options: OverlayOptions, pairs: Pairs | None = None
) -> pd.DataFrame:
    """2SFCA and E2SFCA per LSOA from the chosen assets, per 1,000 residents (capacity: 1, or rooms); ``pairs``
    (``catchment_pairs`` of the LSOAs and these assets at the catchment) saves finding them again."""
    if assets.empty or lsoas.empty:
        return pd.DataFrame({"access_2sfca": 0.0, "access_e2sfca": 0.0}, index=lsoas.index)
    if pairs is None:
        pairs = catchment_pairs(
            lsoas[["x", "y"]].to_numpy(float), assets[["x", "y"]].to_numpy(float), options.catchment_m
        )
    population = np.nan_to_num(lsoas["population_total"].to_numpy(float))
    capacity = capacity_of(assets, options)
    return pd.DataFrame(
        {
            "access_2sfca": 1000 * two_sfca(population, capacity, pairs, options.catchment_m),
            "access_e2sfca": 1000 * e2sfca(population, capacity, pairs, options.catchment_m),
        },
        index=lsoas.index,
    )


def lsoa_measures(
    inputs: OverlayInputs,
    options: OverlayOptions,
    *,
    with_access: bool = True,
    radii_m: tuple[float, ...] = (),
    pairs: Pairs | None = None,
) -> pd.DataFrame:
    """Per LSOA: its deprivation ranks and deciles, coverage and (with_access) 2SFCA and E2SFCA; and coverage
    within each other radius of ``radii_m`` (``coverage_column``, for rank ranges). ``pairs``: see
    ``accessibility``."""
    deprivation = [c for c in inputs.lsoas.columns if c.endswith(("_rank", "_decile"))]
    pointed = chosen(inputs.assets, options)
    per_lsoa = inputs.lsoas[deprivation].copy()
    others = tuple(r for r in dict.fromkeys(radii_m) if r != options.radius_m)
    coverage = coverages(inputs.lsoas, pointed, (options.radius_m, *others))
    per_lsoa["coverage"] = coverage[options.radius_m]
    if with_access:
        per_lsoa = per_lsoa.join(accessibility(inputs.lsoas, pointed, options, pairs))
    for r in others:
        per_lsoa[coverage_column(r)] = coverage[r]
    return per_lsoa


def asset_ids(assets: pd.DataFrame) -> np.ndarray:
    """One integer per asset naming it across reads (its kind and id), for ``access.pairs_for``."""
    kind = np.asarray(pd.Categorical(assets["kind"], categories=list(KINDS)).codes, dtype=np.int64)
    ids: np.ndarray = (kind << 40) + assets["id"].to_numpy(dtype=np.int64)
    return ids


def area_key(areas: pd.DataFrame) -> str:
    """The column of areas that the other inputs refer to them by: key (areas.id), or code in hand-built inputs."""
    return "key" if "key" in areas.columns else "code"


def overlay(
    inputs: OverlayInputs,
    options: OverlayOptions,
    *,
    with_access: bool = True,
    per_lsoa: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The overlay table: one row per reported area with population, deprivation, counts, rates, coverage
    and accessibility (see the module docstring for each definition); index area code, sorted.

    ``per_lsoa`` (from ``lsoa_measures`` with the same LSOAs, assets and options) saves computing the LSOA
    measures again when several levels are reported from the same inputs.
    """
    key = area_key(inputs.areas)
    areas = inputs.areas.set_index(key)
    links = inputs.links[inputs.links["area_key"].isin(areas.index)].reset_index(drop=True)
    ap = Apportion.of(inputs.lsoas, links)
    table = areas.join(populations(inputs.lsoas, ap))
    if per_lsoa is None:
        per_lsoa = lsoa_measures(inputs, options, with_access=with_access)
    table = table.join(weighted_by_population(inputs.lsoas, ap, per_lsoa))
    counts = asset_counts(inputs, options)
    table = table.join(counts).fillna({c: 0.0 for c in counts.columns})
    for column in ("groups", "hubs", "spaces", "assets"):
        table[f"{column}_per_1000"] = (
            1000 * table[column] / table["population_total"].where(table["population_total"] > 0)
        )
    table[list(POPULATION)] = table[list(POPULATION)].fillna(0.0)
    if key != "code":
        table = table.set_index("code")
    return table.sort_index()
