"""What if: an asset added or closed, and every area's measures recomputed from the current ones (pure, frames).

Units and CRS as ``layers.analysis.overlay``: points EPSG:27700 in metres, rates per 1,000 residents.

The incremental rule. A change touches only what lies near it:

- 2SFCA and E2SFCA: adding supply point *j* (capacity S) gives it R_j = S / Σ P_i (weighted for E2SFCA) over the
  LSOAs *i* within the catchment of *j*, and adds R_j (× W(d_ij)) to those LSOAs' A_i. Every other supplier's
  R_k is unchanged, because its demand (the residents in its reach) is unchanged; closing *j* takes its
  R_j away again. An LSOA left with no supplier in reach gets exactly 0.
- coverage: only LSOAs within the radius of *j* can change; each keeps a count of the assets in reach, so a
  closure uncovers an LSOA only when its count falls to 0.
- counts: only the area(s) holding *j* (or, for a group with no place, the areas it serves).

Only the areas linked to a touched LSOA are rolled up again, each with exactly the sums (same links, same
order) a full run would use; then the whole table is re-ranked, vectorised (``layers.analysis.gaps``).
``Baseline`` holds what the rule needs (R_j per asset, the counts in reach); build it once per inputs.
``after_inputs`` gives the inputs with the changes applied, for a full recomputation to compare with.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from layers.analysis.access import catchment_pairs, gaussian_weight, supply_ratios
from layers.analysis.inputs import ASSET_COLUMNS, OverlayInputs
from layers.analysis.overlay import (
    RADII_M,
    Apportion,
    OverlayOptions,
    _tally,
    area_key,
    asset_area,
    capacity_of,
    chosen,
    coverage_column,
    overlay,
)

ACCESS = ("access_2sfca", "access_e2sfca")


@dataclass(frozen=True)
class Change:
    """One change, resolved: add a hypothetical asset at (x, y) (EPSG:27700, metres), or close asset ``id``.

    ``served`` marks the closure of a group with no place (it only serves areas): it changes counts alone.
    """

    action: Literal["add", "close"]
    kind: str
    id: int
    name: str
    x: float = float("nan")
    y: float = float("nan")
    categories: tuple[str, ...] = ()
    rooms: int = 1
    room_hours: float = 0.0
    ward_key: Any = None
    lsoa_key: Any = None
    served: bool = False

    def row(self) -> dict[str, Any]:
        """The change's asset as a row of ``OverlayInputs.assets``."""
        return {
            "kind": self.kind, "id": self.id, "name": self.name, "categories": list(self.categories),
            "rooms": self.rooms, "x": self.x, "y": self.y, "ward_key": self.ward_key,
            "lsoa_key": self.lsoa_key, "role": "provision", "room_hours": self.room_hours,
        }  # fmt: skip


def _assets_frame(rows: list[dict[str, Any]], like: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(ASSET_COLUMNS))
    frame[["ward_key", "lsoa_key"]] = frame[["ward_key", "lsoa_key"]].astype("Int64")
    frame["kind"] = pd.Categorical(frame["kind"], categories=like["kind"].cat.categories)
    return frame.astype({"x": float, "y": float, "room_hours": float})


def _closed(assets: pd.DataFrame, changes: Sequence[Change]) -> np.ndarray:
    shut = {(c.kind, c.id) for c in changes if c.action == "close" and not c.served}
    if not shut:
        return np.zeros(len(assets), dtype=bool)
    pairs = pd.MultiIndex.from_arrays([assets["kind"].astype(str), assets["id"]])
    return np.asarray(pairs.isin(list(shut)))


def after_inputs(inputs: OverlayInputs, changes: Sequence[Change]) -> OverlayInputs:
    """The inputs as they would be read with the changes made (added assets last; version None)."""
    keep = inputs.assets[~_closed(inputs.assets, changes)]
    added = [c.row() for c in changes if c.action == "add"]
    assets = pd.concat([keep, _assets_frame(added, inputs.assets)], ignore_index=True) if added else keep
    assets["kind"] = pd.Categorical(assets["kind"], categories=inputs.assets["kind"].cat.categories)
    gone = {c.id for c in changes if c.action == "close" and c.served}
    served = inputs.served[~inputs.served["id"].isin(gone)].reset_index(drop=True)
    return replace(inputs, assets=assets.reset_index(drop=True), served=served, version=None)


@dataclass
class Baseline:
    """The current overlay measures and what the incremental rule needs; build with ``Baseline.of``."""

    inputs: OverlayInputs
    options: OverlayOptions
    measures: pd.DataFrame  # overlay(), index area code, with coverage_within_<r> columns
    ap: Apportion
    link_weight: np.ndarray  # residents on each link (LSOA population × share)
    codes: np.ndarray  # area code of each Apportion area
    lsoa_tree: cKDTree
    lsoa_xy: np.ndarray  # LSOA points, metres
    population: np.ndarray
    pointed: pd.DataFrame  # the counted assets with a point, as in the overlay
    ratios: dict[str, np.ndarray]  # R_j per pointed asset (raw, not × 1,000)
    raw: dict[str, np.ndarray]  # A_i per LSOA (raw)
    in_catchment: np.ndarray  # counted assets within the catchment of each LSOA
    in_radius: dict[float, np.ndarray]  # counted assets within each radius of each LSOA
    scored: dict[Hashable, Any] = field(default_factory=dict)  # the measures scored, by scoring (scenarios)

    @classmethod
    def of(cls, inputs: OverlayInputs, options: OverlayOptions) -> Baseline:
        """Compute the overlay measures of ``inputs`` once, keeping R_j and the counts in reach."""
        lsoas = inputs.lsoas
        xy = lsoas[["x", "y"]].to_numpy(float)
        population = np.nan_to_num(lsoas["population_total"].to_numpy(float))
        pointed = chosen(inputs.assets, options)
        sxy = pointed[["x", "y"]].to_numpy(float)
        pairs = catchment_pairs(xy, sxy, options.catchment_m)
        capacity = capacity_of(pointed, options)
        sigma = options.catchment_m / 2
        ratios = {
            "access_2sfca": supply_ratios(population, capacity, pairs, options.catchment_m),
            "access_e2sfca": supply_ratios(population, capacity, pairs, options.catchment_m, sigma),
        }
        weight = gaussian_weight(pairs.distance_m, sigma) if len(pairs) else np.empty(0)
        raw = {
            "access_2sfca": np.bincount(pairs.demand, ratios["access_2sfca"][pairs.supply], len(xy)),
            "access_e2sfca": np.bincount(pairs.demand, ratios["access_e2sfca"][pairs.supply] * weight, len(xy)),
        }  # fmt: skip
        in_catchment = np.bincount(pairs.demand, minlength=len(xy))
        tree = cKDTree(sxy) if len(sxy) else None
        in_radius = {
            r: np.asarray(tree.query_ball_point(xy, r, return_length=True)) if tree else np.zeros(len(xy), int)
            for r in {options.radius_m, *RADII_M}
        }  # fmt: skip
        per_lsoa = lsoas[[c for c in lsoas.columns if c.endswith(("_rank", "_decile"))]].copy()
        per_lsoa["coverage"] = (in_radius[options.radius_m] > 0).astype(float)
        for column in ACCESS:
            per_lsoa[column] = 1000 * raw[column]
        for r in RADII_M:
            if r != options.radius_m:
                per_lsoa[coverage_column(r)] = (in_radius[r] > 0).astype(float)
        measures = overlay(inputs, options, per_lsoa=per_lsoa)
        key = area_key(inputs.areas)
        areas = inputs.areas.set_index(key)
        links = inputs.links[inputs.links["area_key"].isin(areas.index)].reset_index(drop=True)
        ap = Apportion.of(lsoas, links)
        link_weight = np.nan_to_num(ap.column(population) * ap.share)
        codes = areas["code"].reindex(ap.areas).to_numpy()
        return cls(inputs, options, measures, ap, link_weight, codes, cKDTree(xy), xy, population, pointed,
                   ratios, raw, in_catchment, in_radius)  # fmt: skip


def _reach(base: Baseline, x: float, y: float, max_m: float) -> tuple[np.ndarray, np.ndarray]:
    """LSOA rows within max_m metres of (x, y), ascending, and their distances in metres."""
    rows = np.asarray(sorted(base.lsoa_tree.query_ball_point([x, y], max_m)), dtype=np.intp)
    xy = base.lsoa_xy[rows]
    distance = np.sqrt((xy[:, 0] - x) ** 2 + (xy[:, 1] - y) ** 2)
    keep = distance <= max_m
    return rows[keep], distance[keep]


def what_if_measures(base: Baseline, changes: Sequence[Change]) -> tuple[pd.DataFrame, pd.Index]:
    """The overlay measures with the changes made, computed incrementally; and the codes of the areas whose
    measures changed. Same index and columns as ``base.measures`` (plus any new category column)."""
    o, inputs = base.options, base.inputs
    raw = {c: v.copy() for c, v in base.raw.items()}
    catchment, radius = base.in_catchment.copy(), {r: v.copy() for r, v in base.in_radius.items()}
    touched: list[np.ndarray] = []
    added = _assets_frame([c.row() for c in changes if c.action == "add"], inputs.assets)
    added_counted = chosen(added, o)
    closed = base.pointed[_closed(base.pointed, changes)]
    sigma = o.catchment_m / 2
    steps: list[tuple[int, pd.DataFrame, np.ndarray | None, np.ndarray | None]] = [
        (1, added_counted, capacity_of(added_counted, o), None),
        (-1, closed, None, base.pointed.index.get_indexer(closed.index)),
    ]
    for sign, frame, capacity, positions in steps:
        for n, (x, y) in enumerate(frame[["x", "y"]].to_numpy(float)):
            rows, distance = _reach(base, x, y, o.catchment_m)
            weight = gaussian_weight(distance, sigma)
            for column, w in (("access_2sfca", np.ones(len(rows))), ("access_e2sfca", weight)):
                if capacity is not None:  # a new supply point: its own R_j, from the residents in reach
                    demand = float(np.sum(base.population[rows] * w)) if len(rows) else 0.0
                    ratio = capacity[n] / demand if demand > 0 else 0.0
                else:
                    assert positions is not None
                    ratio = base.ratios[column][positions[n]]
                raw[column][rows] += sign * ratio * w
            catchment[rows] += sign
            touched.append(rows)
            for r in radius:
                near, _ = _reach(base, x, y, r)
                radius[r][near] += sign
    lsoa_rows = np.unique(np.concatenate(touched)) if touched else np.empty(0, dtype=np.intp)
    for column in ACCESS:  # no supplier left in reach: exactly 0, not a rounding remainder
        raw[column][catchment == 0] = 0.0
    table = base.measures.copy()
    changed = _roll_up(base, table, lsoa_rows, raw, radius)
    changed = changed.union(_recount(base, table, added, changes))
    return table, changed


def _roll_up(
    base: Baseline, table: pd.DataFrame, lsoa_rows: np.ndarray, raw: dict[str, np.ndarray],
    radius: dict[float, np.ndarray],
) -> pd.Index:  # fmt: skip
    """Roll the touched LSOAs' new values up to the areas linked to them, as weighted_by_population does."""
    ap, o = base.ap, base.options
    if not len(lsoa_rows):
        return pd.Index([])
    areas = np.unique(ap.area[np.isin(ap.lsoa_row, lsoa_rows)])
    links = np.flatnonzero(np.isin(ap.area, areas))
    values = {column: 1000 * raw[column] for column in ACCESS}
    values["coverage"] = (radius[o.radius_m] > 0).astype(float)
    for r in RADII_M:
        if r != o.radius_m:
            values[coverage_column(r)] = (radius[r] > 0).astype(float)
    rows, area = ap.lsoa_row[links], ap.area[links]
    weight = base.link_weight[links]
    codes = base.codes[areas]
    for column, per_lsoa in values.items():
        v = np.where(rows >= 0, per_lsoa[rows], np.nan)
        has = ~np.isnan(v)
        w = np.where(has, weight, 0.0)
        num = np.bincount(area, weights=np.where(has, w * v, 0.0), minlength=len(ap.areas))[areas]
        den = np.bincount(area, weights=w, minlength=len(ap.areas))[areas]
        table.loc[codes, column] = np.divide(num, den, out=np.full(len(areas), np.nan), where=den > 0)
    changed: pd.Index = pd.Index([str(c) for c in codes])
    return changed


def _recount(base: Baseline, table: pd.DataFrame, added: pd.DataFrame, changes: Sequence[Change]) -> pd.Index:
    """Add the added assets to the counts of the areas holding them, take the closed ones away."""
    inputs, o = base.inputs, base.options
    gone = {c.id for c in changes if c.action == "close" and c.served}
    served = inputs.served[inputs.served["id"].isin(gone)].assign(kind="group")
    served = served.astype({"kind": inputs.assets["kind"].dtype})
    shut_all = inputs.assets[_closed(inputs.assets, changes)]
    counted = pd.concat([
        asset_area(inputs, chosen(added, o)),
        asset_area(inputs, chosen(shut_all, o)).assign(weight=lambda f: -f["weight"]),
        chosen(served, o)[["kind", "categories", "area_key", "weight"]].assign(weight=lambda f: -f["weight"]),
    ], ignore_index=True)  # fmt: skip
    potential = pd.concat([
        asset_area(inputs, chosen(added, o, counting="potential")),
        asset_area(inputs, chosen(shut_all, o, counting="potential")).assign(weight=lambda f: -f["weight"]),
    ], ignore_index=True)  # fmt: skip
    wide = chosen(served, o)["area_key"].value_counts()
    keys = pd.Index(
        pd.unique(pd.concat([counted["area_key"], potential["area_key"], wide.index.to_series()]))
    )
    if not len(keys):
        return pd.Index([])
    key = area_key(inputs.areas)
    codes = inputs.areas.set_index(key)["code"].reindex(keys).to_numpy()
    delta = _tally(counted.reset_index(drop=True), keys)
    for column in delta.columns:
        if column not in table.columns:
            table[column] = 0.0
        table.loc[codes, column] = table.loc[codes, column].to_numpy() + delta[column].to_numpy()
    areas = keys.get_indexer(pd.Index(potential["area_key"]))
    ok = areas >= 0
    more = np.bincount(areas[ok], weights=potential["weight"].to_numpy(float)[ok], minlength=len(keys))
    table.loc[codes, "potential"] = table.loc[codes, "potential"].to_numpy() + more
    table.loc[codes, "groups_area_wide"] = (
        table.loc[codes, "groups_area_wide"].to_numpy() - wide.reindex(keys).fillna(0).to_numpy()
    )
    people = table.loc[codes, "population_total"]
    for column in ("groups", "hubs", "spaces", "assets"):
        table.loc[codes, f"{column}_per_1000"] = 1000 * table.loc[codes, column] / people.where(people > 0)
    changed: pd.Index = pd.Index([str(c) for c in codes])
    return changed
