"""Spatial accessibility: two-step floating catchment area (2SFCA) and enhanced 2SFCA (E2SFCA).

Coordinates are metres in EPSG:27700 (British National Grid) and distances are straight lines in metres.
Demand points ``i`` (an LSOA's representative point) have a population ``P_i`` (persons); supply points
``j`` (assets) have a capacity ``S_j`` (rooms, or 1 per asset); ``d_ij`` is their distance in metres and
``d0`` the catchment in metres. A pair is in the catchment when ``d_ij <= d0`` (inclusive).

2SFCA (Luo and Wang 2003)::

    R_j = S_j / sum_{i: d_ij <= d0} P_i                 capacity per person at supply j
    A_i = sum_{j: d_ij <= d0} R_j                       capacity per person reachable from demand i

E2SFCA with a Gaussian distance decay (Luo and Qi 2009, with the Gaussian of Dai 2010)::

    W(d) = exp(-d * d / (2 * sigma^2))                  d and sigma in metres; W(0) = 1, no 1/sqrt(2 pi) factor
    R_j  = S_j / sum_{i: d_ij <= d0} P_i W(d_ij)
    A_i  = sum_{j: d_ij <= d0} R_j W(d_ij)

``W`` is pysal ``access.weights.gaussian(sigma)`` exactly. The default ``sigma = d0 / 2`` gives
``W(d0 / 2) = exp(-1/2) ~ 0.61`` and ``W(d0) = exp(-2) ~ 0.135`` at the edge, close to the
1 / 0.68 / 0.22 steps of pysal's default E2SFCA weights; the catchment still cuts at ``d0``.

``A_i`` is in capacity units per person (rooms per person, or assets per person), raw: not multiplied by
1,000 and not normalised, as pysal ``access`` returns it with ``normalize=False``. Because the same weights
are used in both steps, ``sum_i P_i A_i = sum_j S_j`` over the supply points with someone in reach.

Where pysal gives no number, these functions give 0: a supply point whose catchment holds no population
(``sum P_i W = 0``) has ``R_j = 0`` (pysal divides by zero: inf, or NaN when ``S_j = 0``), and a demand
point with no supply in reach has ``A_i = 0`` (pysal leaves it out of its result, so it shows as NaN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from layers.errors import InvalidInput

#: British National Grid: metres, the CRS every distance here is measured in.
BNG = 27700

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Pairs:
    """Demand-supply pairs within a catchment: positional indices and their distance in metres."""

    demand: IndexArray
    supply: IndexArray
    distance_m: FloatArray

    def __len__(self) -> int:
        """The number of pairs."""
        return len(self.distance_m)


def _xy(points: npt.ArrayLike, what: str) -> FloatArray:
    xy = np.asarray(points, dtype=np.float64)
    if xy.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise InvalidInput(f"{what} coordinates must be an (n, 2) array", f"Got shape {xy.shape}.")
    if not np.isfinite(xy).all():
        raise InvalidInput(f"{what} coordinates include NaN or infinite values", "Drop empty geometries.")
    return xy


def catchment_pairs(demand_xy: npt.ArrayLike, supply_xy: npt.ArrayLike, max_m: float) -> Pairs:
    """Every demand-supply pair with distance <= ``max_m`` metres; coordinates (x, y) in metres, EPSG:27700.

    Pairs are sorted by demand then supply index. Built with two k-d trees (scipy ``cKDTree``).
    """
    if not max_m >= 0:
        raise InvalidInput("The catchment must be a distance of 0 metres or more", f"Got {max_m!r}.")
    dxy, sxy = _xy(demand_xy, "Demand"), _xy(supply_xy, "Supply")
    if len(dxy) == 0 or len(sxy) == 0:
        empty = np.empty(0, dtype=np.intp)
        return Pairs(empty, empty.copy(), np.empty(0, dtype=np.float64))
    # Query a hair beyond max_m, then cut on the reported distance itself, so that "within" means
    # exactly `distance_m <= max_m` (pysal's test) whatever rounding the tree applies to its bound.
    found = cKDTree(dxy).sparse_distance_matrix(
        cKDTree(sxy), max_m * (1 + 1e-9) + 1e-9, output_type="ndarray"
    )
    within = np.flatnonzero(found["v"] <= max_m)
    # Each (demand, supply) pair occurs once, so one integer key sorts by demand then supply.
    key = found["i"][within].astype(np.int64) * len(sxy) + found["j"][within]
    order = within[np.argsort(key)]
    return Pairs(
        demand=found["i"][order].astype(np.intp),
        supply=found["j"][order].astype(np.intp),
        distance_m=found["v"][order].astype(np.float64),
    )


@dataclass(frozen=True)
class KeptPairs:
    """Catchment pairs with the points they were found for (supply points with an id each), to be patched."""

    demand_xy: FloatArray
    supply_xy: FloatArray
    supply_id: npt.NDArray[np.int64]
    max_m: float
    pairs: Pairs


def pairs_for(
    demand_xy: npt.ArrayLike,
    supply_xy: npt.ArrayLike,
    supply_id: npt.ArrayLike,
    max_m: float,
    kept: KeptPairs | None = None,
) -> KeptPairs:
    """``catchment_pairs(demand_xy, supply_xy, max_m)`` with the points (``supply_id``: a unique id per supply
    point). With ``kept`` (pairs found for the same demand points and distance, and other supply points) only
    the supply points that are new or have moved are looked up: a supply point's pairs depend on its place
    alone, so those of a point kept with the same id and place are kept (renumbered). The same pairs, in the
    same order, as finding them all again; found afresh when the kept ones cannot be renumbered in order."""
    dxy, sxy = _xy(demand_xy, "Demand"), _xy(supply_xy, "Supply")
    ids = np.asarray(supply_id, dtype=np.int64)
    patched = None if kept is None else _patched(kept, dxy, sxy, ids, max_m)
    if patched is None:
        patched = catchment_pairs(dxy, sxy, max_m)
    return KeptPairs(dxy.copy(), sxy.copy(), ids.copy(), max_m, patched)  # copies: the caller's may change


def _patched(
    kept: KeptPairs, dxy: FloatArray, sxy: FloatArray, ids: np.ndarray, max_m: float
) -> Pairs | None:
    if kept.max_m != max_m or kept.demand_xy.shape != dxy.shape or not np.array_equal(kept.demand_xy, dxy):
        return None
    before, now = pd.Index(kept.supply_id), pd.Index(ids)
    if len(ids) != len(sxy) or not (before.is_unique and now.is_unique):
        return None
    old = before.get_indexer(now)  # each supply point's row among the kept ones, -1 if new
    same = old >= 0
    same[same] = (kept.supply_xy[old[same]] == sxy[same]).all(axis=1)
    if same.all() and len(ids) == len(before) and (old == np.arange(len(old))).all():
        return kept.pairs  # nothing moved, came or went
    renumber = np.full(len(before), -1, dtype=np.intp)
    renumber[old[same]] = np.flatnonzero(same)
    staying = renumber[renumber >= 0]
    if (np.diff(staying) <= 0).any():  # the kept points are in another order now: their pairs would be too
        return None
    supply = renumber[kept.pairs.supply]
    keep = supply >= 0
    demand, supply, distance = kept.pairs.demand[keep], supply[keep], kept.pairs.distance_m[keep]
    fresh_rows = np.flatnonzero(~same)
    if len(fresh_rows):
        fresh = catchment_pairs(dxy, sxy[fresh_rows], max_m)
        fresh_supply = fresh_rows[fresh.supply]
        at = _places(demand, supply, fresh.demand, fresh_supply)
        demand = np.insert(demand, at, fresh.demand)
        supply = np.insert(supply, at, fresh_supply)
        distance = np.insert(distance, at, fresh.distance_m)
    return Pairs(
        demand.astype(np.intp, copy=False),
        supply.astype(np.intp, copy=False),
        distance.astype(np.float64, copy=False),
    )


def _places(
    demand: IndexArray, supply: IndexArray, new_demand: IndexArray, new_supply: IndexArray
) -> IndexArray:
    """Where new pairs go among pairs sorted by demand then supply (both sorted so, none the same)."""
    low = np.searchsorted(demand, new_demand, side="left")
    if len(new_demand) > 4096:  # many: one integer key over every pair
        width = np.int64(max(int(supply.max(initial=0)), int(new_supply.max(initial=0))) + 1)
        return np.asarray(
            np.searchsorted(
                demand.astype(np.int64) * width + supply, new_demand.astype(np.int64) * width + new_supply
            ),
            dtype=np.intp,
        )
    high = np.searchsorted(
        demand, new_demand, side="right"
    )  # a few: among the pairs of the same demand point
    return np.array(
        [
            lo + np.searchsorted(supply[lo:hi], s)
            for lo, hi, s in zip(low.tolist(), high.tolist(), new_supply.tolist(), strict=True)
        ],
        dtype=np.intp,
    )


def gaussian_weight(distance_m: npt.ArrayLike, sigma_m: float) -> FloatArray:
    """Gaussian decay ``exp(-d * d / (2 * sigma^2))`` of distances in metres, as pysal ``weights.gaussian``."""
    if not sigma_m > 0:
        raise InvalidInput("The Gaussian width sigma must be more than 0 metres", f"Got {sigma_m!r}.")
    d = np.asarray(distance_m, dtype=np.float64)
    return np.asarray(np.exp(-d * d / (2 * sigma_m**2)), dtype=np.float64)


def _amounts(values: npt.ArrayLike, what: str) -> FloatArray:
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1:
        raise InvalidInput(f"{what} must be one value per point", f"Got shape {a.shape}.")
    if not np.isfinite(a).all() or (a < 0).any():
        raise InvalidInput(f"{what} must be finite and not negative", "Fill or drop missing values first.")
    return a


def supply_ratios(
    population: npt.ArrayLike,
    capacity: npt.ArrayLike,
    pairs: Pairs,
    max_m: float,
    sigma_m: float | None = None,
) -> FloatArray:
    """Step 1 alone: ``R_j``, capacity per person at each supply point (2SFCA, or E2SFCA with ``sigma_m``).

    A what-if keeps these: adding or closing one supply point leaves every other ``R_j`` as it was, because
    their demand (the populations in reach) does not change.
    """
    pop, cap = _amounts(population, "Population"), _amounts(capacity, "Capacity")
    i, j, weight = _kept(pairs, max_m, sigma_m, len(pop), len(cap))
    return _ratios(pop, cap, i, j, weight)


def _ratios(
    pop: FloatArray, cap: FloatArray, i: IndexArray, j: IndexArray, weight: FloatArray | None
) -> FloatArray:
    # Step 1: (weighted) population in reach of each supply point, and its capacity per person.
    reach = pop[i] if weight is None else pop[i] * weight
    demand_in_reach = np.bincount(j, weights=reach, minlength=len(cap))
    return np.divide(cap, demand_in_reach, out=np.zeros_like(cap), where=demand_in_reach > 0)


def _kept(
    pairs: Pairs, max_m: float, sigma_m: float | None, n_demand: int, n_supply: int
) -> tuple[IndexArray, IndexArray, FloatArray | None]:
    keep = pairs.distance_m <= max_m
    # Pairs from catchment_pairs at this distance are all kept: no copy of their (millions of) rows then.
    everything = bool(keep.all())
    i, j = (pairs.demand, pairs.supply) if everything else (pairs.demand[keep], pairs.supply[keep])
    if len(i) and (i.min() < 0 or i.max() >= n_demand or j.min() < 0 or j.max() >= n_supply):
        raise InvalidInput(
            "Pairs refer to points beyond the population or capacity given",
            "Build the pairs from the same demand and supply points, in the same order.",
        )
    distance = pairs.distance_m if everything else pairs.distance_m[keep]
    weight = None if sigma_m is None else gaussian_weight(distance, sigma_m)
    return i, j, weight


def _fca(
    population: npt.ArrayLike,
    capacity: npt.ArrayLike,
    pairs: Pairs,
    max_m: float,
    sigma_m: float | None,
) -> FloatArray:
    pop, cap = _amounts(population, "Population"), _amounts(capacity, "Capacity")
    n_demand = len(pop)
    i, j, weight = _kept(pairs, max_m, sigma_m, n_demand, len(cap))  # once for both steps
    ratio = _ratios(pop, cap, i, j, weight)
    # Step 2: sum the (weighted) ratios of the supply in reach of each demand point.
    share = ratio[j] if weight is None else ratio[j] * weight
    return np.asarray(np.bincount(i, weights=share, minlength=n_demand), dtype=np.float64)


def two_sfca(population: npt.ArrayLike, capacity: npt.ArrayLike, pairs: Pairs, max_m: float) -> FloatArray:
    """2SFCA capacity per person at each demand point, over pairs with distance <= ``max_m`` metres."""
    return _fca(population, capacity, pairs, max_m, None)


def e2sfca(
    population: npt.ArrayLike,
    capacity: npt.ArrayLike,
    pairs: Pairs,
    max_m: float,
    sigma_m: float | None = None,
) -> FloatArray:
    """E2SFCA (Gaussian decay, ``sigma_m`` metres, default ``max_m / 2``) capacity per person per demand point."""
    return _fca(population, capacity, pairs, max_m, max_m / 2 if sigma_m is None else sigma_m)


def _points_27700(frame: gpd.GeoDataFrame, what: str) -> FloatArray:
    if frame.crs is None:
        raise InvalidInput(f"The {what} frame has no CRS", "Set it, e.g. frame.set_crs(4326).")
    if frame.crs.to_epsg() != BNG:
        frame = frame.to_crs(BNG)
    geoms = frame.geometry.to_numpy()
    # Type 0 is a point (None is -1); an empty point has no coordinates, so the count catches it.
    xy = shapely.get_coordinates(geoms)
    if (shapely.get_type_id(geoms) != 0).any() or len(xy) != len(geoms):
        raise InvalidInput(
            f"Every {what} geometry must be a point",
            "Pass points, e.g. LSOA polygons as frame.set_geometry(frame.representative_point()).",
        )
    return np.asarray(xy, dtype=np.float64)


def accessibility(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    catchment_m: float,
    population: str,
    capacity: str | None,
    method: Literal["2sfca", "e2sfca"],
    sigma_m: float | None = None,
) -> pd.Series:
    """Capacity per person within ``catchment_m`` metres (EPSG:27700) of each demand point, indexed like demand.

    ``demand`` and ``supply`` hold points in any CRS (reprojected to EPSG:27700); ``capacity`` names a
    column of ``supply``, or None for 1 per asset; ``sigma_m`` is the E2SFCA Gaussian width in metres.
    """
    if method not in ("2sfca", "e2sfca"):
        raise InvalidInput(f"Unknown accessibility method {method!r}", "Use '2sfca' or 'e2sfca'.")
    if method == "2sfca" and sigma_m is not None:
        raise InvalidInput("sigma_m applies to E2SFCA only", "Drop sigma_m, or use method='e2sfca'.")
    for frame, column, what in ((demand, population, "demand"), (supply, capacity, "supply")):
        if column is not None and column not in frame.columns:
            raise InvalidInput(
                f"The {what} frame has no column {column!r}", f"Columns: {list(frame.columns)}."
            )
    pairs = catchment_pairs(_points_27700(demand, "demand"), _points_27700(supply, "supply"), catchment_m)
    pop = demand[population].to_numpy(dtype=np.float64)
    cap = np.ones(len(supply)) if capacity is None else supply[capacity].to_numpy(dtype=np.float64)
    if method == "2sfca":
        values = two_sfca(pop, cap, pairs, catchment_m)
    else:
        values = e2sfca(pop, cap, pairs, catchment_m, sigma_m)
    return pd.Series(values, index=demand.index, name=method, dtype=np.float64)


def rollup_weighted(values: pd.Series, weights: pd.DataFrame) -> pd.Series:
    """Weighted mean ``sum(w * v) / sum(w)`` per ``area_code`` of values by LSOA code; NaN where ``sum(w) = 0``.

    ``weights`` has columns ``lsoa_code``, ``area_code`` and ``weight`` (one row per LSOA piece in an
    area, e.g. weight = LSOA population x share of the LSOA in the area). A NaN value makes its area NaN.
    """
    missing_columns = {"lsoa_code", "area_code", "weight"} - set(weights.columns)
    if missing_columns:
        raise InvalidInput("The weights frame lacks columns", f"Add {sorted(missing_columns)}.")
    if not values.index.is_unique:
        raise InvalidInput("The values have a repeated LSOA code", "Give one value per LSOA.")
    w = weights["weight"].to_numpy(dtype=np.float64)
    if not np.isfinite(w).all() or (w < 0).any():
        raise InvalidInput("Weights must be finite and not negative", "Fill or drop missing weights first.")
    codes = pd.Index(weights["lsoa_code"])
    known = codes.isin(values.index)
    if not known.all():
        raise InvalidInput(
            f"{int((~known).sum())} weight rows name LSOAs with no value", f"e.g. {list(codes[~known][:3])}."
        )
    v = values.reindex(codes).to_numpy(dtype=np.float64)
    groups, areas = pd.factorize(weights["area_code"], sort=True)
    total_w = np.bincount(groups, weights=w, minlength=len(areas))
    total_wv = np.bincount(groups, weights=w * v, minlength=len(areas))
    mean = np.full(len(areas), np.nan)
    np.divide(total_wv, total_w, out=mean, where=total_w > 0)
    return pd.Series(mean, index=pd.Index(areas, name="area_code"), name=values.name, dtype=np.float64)
