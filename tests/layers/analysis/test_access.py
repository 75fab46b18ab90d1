"""Accessibility (layers.analysis.access): 2SFCA and E2SFCA against pysal ``access``, hand cases, roll-up.

The pysal comparisons use real data: Norfolk's 538 LSOAs (representative points in EPSG:27700) with their
mid-2015 population (IoD2019 File 6) as demand, and the OpenStreetMap "learn" and "enjoy" points of Norwich
as supply. pysal's ``Access.access_df`` is sorted by LSOA code and holds NaN for an LSOA with no supply in
reach (its catchment sums leave such an LSOA out); that NaN means "nothing in reach", which is 0 here, so
the comparison checks that pysal's NaNs fall exactly where our value is 0 and then treats them as 0.
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from shapely.geometry import Point, box

from layers.analysis.access import (
    Pairs,
    accessibility,
    catchment_pairs,
    e2sfca,
    gaussian_weight,
    pairs_for,
    rollup_weighted,
    two_sfca,
)
from layers.errors import InvalidInput
from tests.conftest import DATA

TOLERANCE = 1e-9
POPULATION_CSV = DATA / "imd2019" / "File_6_-_IoD2019_Population_Denominators.csv"


@pytest.fixture(scope="module")
def demand() -> gpd.GeoDataFrame:
    """Norfolk LSOAs as representative points in EPSG:27700, indexed by code, with total population."""
    lsoa = gpd.read_file(DATA / "norfolk" / "lsoa_2011.geojson").to_crs(27700)
    table = pd.read_csv(POPULATION_CSV, encoding="utf-8-sig", thousands=",")
    population = table.set_index("LSOA code (2011)")["Total population: mid 2015 (excluding prisoners)"]
    frame = gpd.GeoDataFrame(
        {"pop": population.reindex(lsoa["LSOA11CD"]).to_numpy(dtype=float)},
        geometry=lsoa.representative_point().to_numpy(),
        index=pd.Index(lsoa["LSOA11CD"], name="geoid"),
        crs=27700,
    )
    assert len(frame) == 538
    assert frame["pop"].notna().all() and (frame["pop"] > 0).all()
    return frame


@pytest.fixture(scope="module")
def supply() -> gpd.GeoDataFrame:
    """OSM learn and enjoy points around Norwich in EPSG:27700: ``one`` per asset and a varied ``rooms``."""
    parts = [gpd.read_file(DATA / "osm_norwich" / f"{name}.geojson") for name in ("learn", "enjoy")]
    frame = gpd.GeoDataFrame(pd.concat([p[["geometry"]] for p in parts], ignore_index=True), crs=4326)
    frame = frame.to_crs(27700)
    frame["one"] = 1.0
    frame["rooms"] = np.random.default_rng(7).integers(1, 12, len(frame)).astype(float)
    frame.index.name = "sid"
    assert len(frame) == 19 + 765 and (frame.geom_type == "Point").all()
    return frame


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([frame.geometry.x, frame.geometry.y])


def _compare(ours: np.ndarray, theirs: pd.Series, index: pd.Index) -> float:
    """Max |ours - pysal| after checking pysal's NaNs are exactly our zeros (nothing in reach)."""
    theirs = theirs.reindex(index)
    assert np.array_equal(theirs.isna().to_numpy(), ours == 0)
    assert np.isfinite(ours).all()
    return float(np.abs(theirs.fillna(0.0).to_numpy() - ours).max())


def test_pairs_are_every_pair_within_the_catchment(
    demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame
) -> None:
    dxy, sxy = _xy(demand), _xy(supply)
    pairs = catchment_pairs(dxy, sxy, 2500.0)
    full = np.hypot(dxy[:, None, 0] - sxy[None, :, 0], dxy[:, None, 1] - sxy[None, :, 1])
    demand_i, supply_j = np.nonzero(full <= 2500.0)  # row-major: sorted by demand, then supply
    assert np.array_equal(pairs.demand, demand_i) and np.array_equal(pairs.supply, supply_j)
    assert np.abs(pairs.distance_m - full[demand_i, supply_j]).max() < 1e-9


def _same_pairs(a: Pairs, b: Pairs) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("demand", "supply", "distance_m"))


def test_kept_pairs_patched_for_assets_added_moved_and_gone_are_the_pairs_found_afresh(
    demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame
) -> None:
    dxy, sxy = _xy(demand), _xy(supply)
    ids = np.arange(len(sxy), dtype=np.int64) * 3
    kept = pairs_for(dxy, sxy, ids, 2000.0)
    assert _same_pairs(kept.pairs, catchment_pairs(dxy, sxy, 2000.0))
    rng = np.random.default_rng(3)
    for step in range(4):
        stay = np.ones(len(sxy), dtype=bool)
        stay[rng.choice(len(sxy), step + 1, replace=False)] = False  # closed
        sxy, ids = sxy[stay].copy(), ids[stay].copy()
        moved = rng.choice(len(sxy), step + 1, replace=False)
        sxy[moved] += rng.normal(0, 800, (step + 1, 2))  # moved: same id, another place
        at = rng.choice(len(sxy), step + 2)
        near = sxy[rng.choice(len(sxy), step + 2)] + rng.normal(0, 300, (step + 2, 2))
        sxy = np.insert(sxy, at, near, axis=0)  # added among the others, as a table's order puts them
        ids = np.insert(ids, at, 10_000 + 10 * step + np.arange(step + 2))
        kept = pairs_for(dxy, sxy, ids, 2000.0, kept)
        assert _same_pairs(kept.pairs, catchment_pairs(dxy, sxy, 2000.0))
    half = np.arange(0, len(sxy), 2)
    sxy[half] += 150.0  # half of them moved: thousands of pairs put back in their places at once
    patched = pairs_for(dxy, sxy, ids, 2000.0, kept)
    assert len(patched.pairs) - len(kept.pairs) < 5000 < len(patched.pairs) / 2
    assert _same_pairs(patched.pairs, catchment_pairs(dxy, sxy, 2000.0))
    assert pairs_for(dxy, sxy, ids, 2000.0, patched).pairs is patched.pairs  # nothing changed: kept as it is
    # Another order of the same points, other demand points or another distance: found afresh, still right.
    flipped = pairs_for(dxy, sxy[::-1], ids[::-1], 2000.0, kept)
    assert _same_pairs(flipped.pairs, catchment_pairs(dxy, sxy[::-1], 2000.0))
    wider = pairs_for(dxy[:100], sxy, ids, 3000.0, kept)
    assert _same_pairs(wider.pairs, catchment_pairs(dxy[:100], sxy, 3000.0))


CASES = [  # catchment metres, Gaussian sigma metres (None = default max_m / 2), capacity column
    (2000.0, None, "one"),
    (2000.0, None, "rooms"),
    (5000.0, None, "one"),
    (5000.0, 1500.0, "rooms"),
]


@pytest.mark.parametrize(("max_m", "sigma_m", "capacity"), CASES)
def test_matches_pysal_on_the_same_pairs(
    demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, max_m: float, sigma_m: float | None, capacity: str
) -> None:
    pairs = catchment_pairs(_xy(demand), _xy(supply), max_m)
    assert len(pairs) > 1000
    cost = pd.DataFrame(
        {"origin": demand.index[pairs.demand], "dest": supply.index[pairs.supply], "cost": pairs.distance_m}
    )
    model = Access(
        demand_df=demand,
        demand_index=True,
        demand_value="pop",
        supply_df=supply,
        supply_index=True,
        supply_value=[capacity],
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    pop, cap = demand["pop"], supply[capacity]
    theirs = model.two_stage_fca(name="t", max_cost=max_m)[f"t_{capacity}"]
    assert _compare(two_sfca(pop, cap, pairs, max_m), theirs, demand.index) <= TOLERANCE
    sigma = max_m / 2 if sigma_m is None else sigma_m
    theirs = model.enhanced_two_stage_fca(name="e", max_cost=max_m, weight_fn=weights.gaussian(sigma))
    ours = e2sfca(pop, cap, pairs, max_m, sigma_m)
    assert _compare(ours, theirs[f"e_{capacity}"], demand.index) <= TOLERANCE
    # The numbers are small (rooms per person), so hold them to a relative bound too.
    scale = float(np.abs(ours).max())
    assert _compare(ours, theirs[f"e_{capacity}"], demand.index) <= 1e-12 * scale


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # pysal's own code, under pandas 3.1
def test_matches_pysal_with_its_own_euclidean_distances(
    demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame
) -> None:
    max_m = 3000.0
    model = Access(
        demand_df=demand,
        demand_index=True,
        demand_value="pop",
        supply_df=supply,
        supply_index=True,
        supply_value=["rooms"],
    )
    # pysal keeps pairs with distance < threshold; the next double above max_m makes that `<= max_m`.
    model.create_euclidean_distance(name="euclidean", threshold=float(np.nextafter(max_m, np.inf)))
    pairs = catchment_pairs(_xy(demand), _xy(supply), max_m)
    assert len(model.cost_df) == len(pairs)
    ours_pairs = pd.Series(pairs.distance_m, index=pd.MultiIndex.from_arrays([pairs.demand, pairs.supply]))
    theirs_pairs = model.cost_df.set_index(
        [demand.index.get_indexer(model.cost_df["origin"]), model.cost_df["dest"].to_numpy()]
    )["euclidean"]
    assert np.abs(theirs_pairs.reindex(ours_pairs.index).to_numpy() - ours_pairs.to_numpy()).max() < 1e-9

    pop, cap = demand["pop"], supply["rooms"]
    theirs = model.two_stage_fca(name="t", max_cost=max_m)["t_rooms"]
    assert _compare(two_sfca(pop, cap, pairs, max_m), theirs, demand.index) <= TOLERANCE
    theirs = model.enhanced_two_stage_fca(name="e", max_cost=max_m, weight_fn=weights.gaussian(max_m / 2))
    assert _compare(e2sfca(pop, cap, pairs, max_m), theirs["e_rooms"], demand.index) <= TOLERANCE


def test_frame_helper_reprojects_and_matches_the_array_functions(
    demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame
) -> None:
    demand_4326, supply_4326 = demand.to_crs(4326), supply.to_crs(4326)
    got = accessibility(
        demand_4326,
        supply_4326,
        catchment_m=2000.0,
        population="pop",
        capacity="rooms",
        method="e2sfca",
        sigma_m=800.0,
    )
    assert got.index.equals(demand.index) and got.name == "e2sfca" and got.dtype == np.float64
    back = catchment_pairs(_xy(demand_4326.to_crs(27700)), _xy(supply_4326.to_crs(27700)), 2000.0)
    assert np.array_equal(got.to_numpy(), e2sfca(demand["pop"], supply["rooms"], back, 2000.0, 800.0))
    # The round trip through EPSG:4326 moves points by well under a millimetre.
    pairs = catchment_pairs(_xy(demand), _xy(supply), 2000.0)
    expected = e2sfca(demand["pop"], supply["rooms"], pairs, 2000.0, 800.0)
    assert np.abs(got.to_numpy() - expected).max() <= 1e-6 * expected.max()
    per_asset = accessibility(
        demand, supply, catchment_m=2000.0, population="pop", capacity=None, method="2sfca"
    )
    assert np.array_equal(per_asset.to_numpy(), two_sfca(demand["pop"], np.ones(len(supply)), pairs, 2000.0))


@pytest.mark.parametrize("sigma_m", [None, 700.0])
def test_capacity_is_shared_out_in_full(
    demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, sigma_m: float | None
) -> None:
    """sum_i P_i A_i = sum_j S_j over supply with population in reach (both methods)."""
    pairs = catchment_pairs(_xy(demand), _xy(supply), 2000.0)
    reached = np.unique(pairs.supply)
    pop, cap = demand["pop"].to_numpy(), supply["rooms"].to_numpy()
    for values in (two_sfca(pop, cap, pairs, 2000.0), e2sfca(pop, cap, pairs, 2000.0, sigma_m)):
        assert math.isclose(float(pop @ values), float(cap[reached].sum()), rel_tol=1e-12)


def test_two_demand_points_one_supply_point() -> None:
    pairs = catchment_pairs([[0.0, 0.0], [600.0, 800.0]], [[0.0, 0.0]], 2000.0)
    assert pairs.demand.tolist() == [0, 1] and pairs.supply.tolist() == [0, 0]
    assert pairs.distance_m.tolist() == [0.0, 1000.0]
    population, capacity = [100.0, 300.0], [2.0]
    assert two_sfca(population, capacity, pairs, 2000.0).tolist() == [2 / 400, 2 / 400]
    w = math.exp(-0.5)  # W(1000 m) with sigma 1000 m
    ratio = 2 / (100 + 300 * w)
    got = e2sfca(population, capacity, pairs, 2000.0)  # default sigma = 2000 / 2
    assert got[0] == pytest.approx(ratio, rel=1e-15) and got[1] == pytest.approx(ratio * w, rel=1e-15)
    assert gaussian_weight([0.0, 1000.0, 2000.0], 1000.0) == pytest.approx([1, w, math.exp(-2)], rel=1e-15)
    # A catchment below 1000 m leaves the far point out, even if the pairs were built wider.
    assert two_sfca(population, capacity, pairs, 999.0).tolist() == [2 / 100, 0.0]


def test_gaussian_is_pysals() -> None:
    d = np.linspace(0, 5000, 101)
    assert gaussian_weight(d, 1234.5) == pytest.approx([weights.gaussian(1234.5)(x) for x in d], rel=1e-15)
    with pytest.raises(InvalidInput):
        gaussian_weight(d, 0.0)


def test_zero_population_catchment_and_nothing_in_reach_give_zero() -> None:
    # demand 0 has no people and is alone near supply 0; demand 1 is served by supply 1;
    # demand 2 is 10 km from any supply.
    demand_xy = [[0.0, 0.0], [5000.0, 0.0], [20000.0, 0.0]]
    supply_xy = [[100.0, 0.0], [5000.0, 100.0]]
    pairs = catchment_pairs(demand_xy, supply_xy, 1000.0)
    assert list(zip(pairs.demand.tolist(), pairs.supply.tolist(), strict=True)) == [(0, 0), (1, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero
        for got in (
            two_sfca([0.0, 50.0, 80.0], [3.0, 1.0], pairs, 1000.0),
            e2sfca([0.0, 50.0, 80.0], [3.0, 1.0], pairs, 1000.0),
        ):
            assert np.isfinite(got).all()
            assert got[0] == 0.0 and got[2] == 0.0
    assert two_sfca([0.0, 50.0, 80.0], [3.0, 1.0], pairs, 1000.0)[1] == 1 / 50


def test_a_point_exactly_at_the_catchment_is_in() -> None:
    pairs = catchment_pairs([[0.0, 0.0]], [[3000.0, 4000.0]], 5000.0)
    assert pairs.distance_m.tolist() == [5000.0]
    assert two_sfca([10.0], [1.0], pairs, 5000.0).tolist() == [0.1]
    assert len(catchment_pairs([[0.0, 0.0]], [[3000.0, 4000.0]], 4999.999)) == 0
    assert two_sfca([10.0], [1.0], pairs, 4999.999).tolist() == [0.0]


def test_empty_inputs() -> None:
    none = np.empty((0, 2))
    pairs = catchment_pairs(none, [[0.0, 0.0]], 100.0)
    assert len(pairs) == 0 and pairs.demand.dtype == np.intp
    assert two_sfca([], [1.0], pairs, 100.0).shape == (0,)
    assert e2sfca([], [1.0], pairs, 100.0).shape == (0,)
    pairs = catchment_pairs([[0.0, 0.0], [1.0, 1.0]], none, 100.0)
    assert two_sfca([5.0, 6.0], [], pairs, 100.0).tolist() == [0.0, 0.0]
    empty = Pairs(np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0))
    assert e2sfca([], [], empty, 100.0).shape == (0,)


def test_bad_inputs_are_refused() -> None:
    pairs = catchment_pairs([[0.0, 0.0]], [[10.0, 0.0]], 100.0)
    with pytest.raises(InvalidInput):
        two_sfca([float("nan")], [1.0], pairs, 100.0)
    with pytest.raises(InvalidInput):
        two_sfca([1.0], [-1.0], pairs, 100.0)
    with pytest.raises(InvalidInput):
        two_sfca([1.0], [], pairs, 100.0)  # pairs name a supply point that is not there
    with pytest.raises(InvalidInput):
        catchment_pairs([[0.0, 0.0]], [[1.0, 1.0]], -1.0)


def test_frame_helper_refuses_missing_crs_and_polygons() -> None:
    points = gpd.GeoDataFrame({"pop": [10.0]}, geometry=[Point(0, 0)], crs=27700)
    no_crs = gpd.GeoDataFrame({"pop": [10.0]}, geometry=[Point(0, 0)])
    polygons = gpd.GeoDataFrame({"pop": [10.0]}, geometry=[box(0, 0, 10, 10)], crs=27700)
    for demand, supply in ((no_crs, points), (points, no_crs), (polygons, points)):
        with pytest.raises(InvalidInput):
            accessibility(demand, supply, catchment_m=100.0, population="pop", capacity=None, method="2sfca")
    with pytest.raises(InvalidInput):
        accessibility(points, points, catchment_m=100.0, population="people", capacity=None, method="2sfca")
    got = accessibility(points, points, catchment_m=100.0, population="pop", capacity=None, method="e2sfca")
    assert got.tolist() == [0.1]


def test_rollup_weighted_with_an_lsoa_across_two_wards() -> None:
    values = pd.Series({"L1": 2.0, "L2": 4.0, "L3": 10.0}, name="e2sfca")
    weights_frame = pd.DataFrame(
        {
            "lsoa_code": ["L1", "L1", "L2", "L3"],
            "area_code": ["W1", "W2", "W1", "W3"],
            # L1 has 100 people, a quarter of its area in W1 and three quarters in W2; L3 has none.
            "weight": [25.0, 75.0, 50.0, 0.0],
        }
    )
    got = rollup_weighted(values, weights_frame)
    assert got.name == "e2sfca" and got.index.tolist() == ["W1", "W2", "W3"]
    assert got["W1"] == pytest.approx((25 * 2 + 50 * 4) / 75, rel=1e-15)
    assert got["W2"] == 2.0
    assert math.isnan(got["W3"])
    with pytest.raises(InvalidInput):
        rollup_weighted(values.drop("L2"), weights_frame)
    with pytest.raises(InvalidInput):
        rollup_weighted(values, weights_frame.drop(columns="weight"))
