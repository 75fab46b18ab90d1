"""The officers' overlay: each measure against an independent computation on the same real data, and
hand-checkable cases (no assets, no residents, a group serving two wards, a ward straddled by an LSOA)."""

from __future__ import annotations

import math
from pathlib import Path

import access as pysal_access
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree
from sqlalchemy import Connection, text

from layers.analysis import export
from layers.analysis.gaps import Need, percentile, score_gaps, third
from layers.analysis.inputs import OverlayInputs, overlay_inputs
from layers.analysis.overlay import OverlayOptions, coverages, overlay
from layers.analysis.tables import OverlayResult, overlay_table
from layers.errors import InvalidInput
from layers.formats.tables import safe_cell
from tests.conftest import ROOT

NORWICH = "E07000148"
MILE_CROSS = "E05005883"


# ---------------------------------------------------------------- against independent computations


@pytest.fixture(scope="module")
def norwich(engine) -> OverlayResult:  # type: ignore[no-untyped-def]
    """Norwich's wards counting provision and potential together: every hub, space and group, as the
    independent computations below count them (the demo's spaces are all vacant units offered: potential)."""
    with engine.connect() as c:
        return overlay_table(c, level="ward", within=NORWICH, options=OverlayOptions(counting="both"))


@pytest.fixture(scope="module")
def real(engine):  # type: ignore[no-untyped-def]
    """Boundaries from the shipped files (EPSG:27700), populations from File 6, assets and LSOA points from
    the database: the inputs of the independent computations."""
    wards = gpd.read_file(ROOT / "data/norfolk/wards_2013.geojson").to_crs(27700)
    lsoas = gpd.read_file(ROOT / "data/norfolk/lsoa_2011.geojson").to_crs(27700)
    pop = pd.read_csv(ROOT / "data/imd2019/File_6_-_IoD2019_Population_Denominators.csv", thousands=",")
    pop = pop.set_index(pop.columns[0])[pop.columns[4]].astype(float)  # LSOA code -> total population
    with engine.connect() as c:
        assets = pd.DataFrame(
            c.execute(
                text(
                    "SELECT 'hub' AS kind, ST_X(geom_bng) x, ST_Y(geom_bng) y FROM hubs WHERE geom IS NOT NULL "
                    "UNION ALL SELECT 'space', ST_X(geom_bng), ST_Y(geom_bng) FROM spaces WHERE geom IS NOT NULL"
                )
            ).all(),
            columns=["kind", "x", "y"],
        )
        points = pd.DataFrame(
            c.execute(
                text("SELECT code, ST_X(point_bng) x, ST_Y(point_bng) y FROM areas WHERE kind = 'lsoa'")
            ).all(),
            columns=["code", "x", "y"],
        ).set_index("code")
    lsoas["population"] = lsoas["LSOA11CD"].map(pop)
    return {"wards": wards, "lsoas": lsoas, "assets": assets, "points": points}


def _shares(real) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """LSOA ∩ ward areas with geopandas, as shares of each LSOA (slivers under 1 m² dropped, as the importer)."""
    wards = real["wards"][real["wards"]["LAD13CD"] == NORWICH][["WD13CD", "geometry"]]
    pieces = gpd.overlay(real["lsoas"][["LSOA11CD", "population", "geometry"]], wards, how="intersection")
    pieces["a"] = pieces.area
    pieces = pieces[pieces["a"] >= 1.0]
    whole = gpd.overlay(real["lsoas"][["LSOA11CD", "geometry"]], real["wards"][["WD13CD", "geometry"]])
    whole["a"] = whole.area
    total = whole[whole["a"] >= 1.0].groupby("LSOA11CD")["a"].sum()
    pieces["share"] = pieces["a"] / pieces["LSOA11CD"].map(total)
    return pieces


def test_population_matches_geopandas_overlay(norwich: OverlayResult, real) -> None:  # type: ignore[no-untyped-def]
    pieces = _shares(real)
    expected = (pieces["population"] * pieces["share"]).groupby(pieces["WD13CD"]).sum()
    got = norwich.table["population_total"]
    assert set(got.index) == set(expected.index) and len(got) == 13
    assert np.allclose(got.sort_index(), expected.sort_index(), rtol=1e-6)


def test_counts_match_a_spatial_join_and_groups_count_where_they_serve(
    norwich: OverlayResult, real, engine
) -> None:  # type: ignore[no-untyped-def]
    a = real["assets"]
    points = gpd.GeoDataFrame(a, geometry=gpd.points_from_xy(a["x"], a["y"]), crs=27700)
    joined = gpd.sjoin(points, real["wards"][["WD13CD", "geometry"]], predicate="within")
    expected = pd.crosstab(joined["WD13CD"], joined["kind"])
    t = norwich.table
    for code in t.index:
        assert t.loc[code, "hubs"] == expected.get("hub", pd.Series(dtype=int)).get(code, 0)
        assert t.loc[code, "spaces"] == expected.get("space", pd.Series(dtype=int)).get(code, 0)
    # the demo's groups: one with a point (a venue or hub: layers/importers/demo_groups.py) counts in the ward
    # holding it; one without serves Norwich and is shared among its wards by residents (once in total)
    with engine.connect() as c:
        placed = pd.DataFrame(
            c.execute(
                text(
                    "SELECT ST_X(geom_bng) x, ST_Y(geom_bng) y FROM groups WHERE geom IS NOT NULL AND status = 'active'"
                )
            ).all()
        )
        serving = c.execute(
            text(
                "SELECT count(DISTINCT g.id) FROM groups g JOIN group_areas ga ON ga.group_id = g.id JOIN areas s "
                "ON s.id = ga.area_id WHERE g.geom IS NULL AND g.status = 'active' AND s.code = 'E07000148'"
            )
        ).scalar_one()
    at = gpd.sjoin(
        gpd.GeoDataFrame(placed, geometry=gpd.points_from_xy(placed["x"], placed["y"]), crs=27700),
        real["wards"][["WD13CD", "geometry"]],
        predicate="within",
    )["WD13CD"].value_counts()
    assert len(placed) >= 30 and serving >= 1
    share = t["population_total"] / t["population_total"].sum()
    for code in t.index:
        assert t.loc[code, "groups"] == pytest.approx(at.get(code, 0) + serving * share[code], rel=1e-6), code
        assert t.loc[code, "groups_area_wide"] == serving
    assert t["groups"].sum() == pytest.approx(len(at.index) and at.sum() + serving)
    per_1000 = 1000 * t["assets"] / t["population_total"]
    assert np.allclose(t["assets_per_1000"], per_1000, rtol=1e-12)


def test_coverage_matches_brute_force_distances(norwich: OverlayResult, real, engine) -> None:  # type: ignore[no-untyped-def]
    pts, a = real["points"], real["assets"]
    assets = shapely.points(a["x"], a["y"])
    nearest = {code: shapely.distance(shapely.Point(x, y), assets).min() for code, (x, y) in pts.iterrows()}
    pieces = _shares(real)
    pieces["covered"] = [float(nearest[c] <= 800.0) for c in pieces["LSOA11CD"]]
    w = pieces["population"] * pieces["share"]
    expected = (w * pieces["covered"]).groupby(pieces["WD13CD"]).sum() / w.groupby(pieces["WD13CD"]).sum()
    got = norwich.table["coverage"]
    assert np.allclose(got.sort_index(), expected.sort_index(), atol=1e-6)
    assert 0 < got.min() < got.max() <= 1


def test_coverage_at_several_radii_from_one_search_is_one_search_per_radius() -> None:
    rng = np.random.default_rng(5)
    assets = pd.DataFrame({"x": rng.uniform(0, 20_000, 300), "y": rng.uniform(0, 20_000, 300)})
    # LSOA points exactly 400, 800 and 1,600 m from an asset (3-4-5 triangles too), and anywhere
    exact = [(assets.x[0] + d, assets.y[0]) for d in (400.0, 800.0, 1600.0)]
    exact += [(assets.x[1] + 0.6 * d, assets.y[1] + 0.8 * d) for d in (400.0, 800.0, 1600.0)]
    xy = np.vstack([np.array(exact), rng.uniform(-2000, 22_000, (2000, 2))])
    lsoas = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=pd.RangeIndex(100, 100 + len(xy)))
    got = coverages(lsoas, assets, (800.0, 400.0, 1600.0))
    tree = cKDTree(assets[["x", "y"]].to_numpy())
    for r in (400.0, 800.0, 1600.0):  # one search per radius, bounded by it (the tree's bound is strict)
        distance, _ = tree.query(xy, k=1, distance_upper_bound=r)
        assert got[r].index.equals(lsoas.index)
        assert np.array_equal(got[r].to_numpy(), (distance <= r).astype(float)), r
    assert 0 < got[400.0].sum() < got[800.0].sum() < got[1600.0].sum() < len(xy)


def test_accessibility_matches_pysal_access_rolled_up(real, engine) -> None:  # type: ignore[no-untyped-def]
    """2SFCA and E2SFCA per LSOA with pysal's access on the same points, then population-weighted to wards."""
    with engine.connect() as c:
        inputs = overlay_inputs(c, level="ward", within=NORWICH, reach_m=2000)
        result = overlay_table(c, level="ward", within=NORWICH, options=OverlayOptions(counting="both"))
    lsoas = inputs.lsoas.reset_index()
    assets = inputs.assets.reset_index(drop=True)
    demand = gpd.GeoDataFrame(
        {"geoid": lsoas["code"], "pop": lsoas["population_total"].fillna(0)},
        geometry=gpd.points_from_xy(lsoas["x"], lsoas["y"]),
        crs=27700,
    )
    supply = gpd.GeoDataFrame(
        {"sid": range(len(assets)), "cap": 1.0},
        geometry=gpd.points_from_xy(assets["x"], assets["y"]),
        crs=27700,
    )
    dx = lsoas["x"].to_numpy()[:, None] - assets["x"].to_numpy()[None, :]
    dy = lsoas["y"].to_numpy()[:, None] - assets["y"].to_numpy()[None, :]
    d = np.hypot(dx, dy)
    i, j = np.nonzero(d <= 2000)
    cost = pd.DataFrame({"origin": lsoas["code"].to_numpy()[i], "dest": j, "cost": d[i, j]})
    acc = pysal_access.Access(
        demand_df=demand, demand_index="geoid", demand_value="pop",
        supply_df=supply, supply_index="sid", supply_value="cap",
        cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost",
    )  # fmt: skip
    two = acc.two_stage_fca(name="2sfca", max_cost=2000).iloc[:, 0].reindex(lsoas["code"]).fillna(0)
    gauss = pysal_access.weights.gaussian(1000)
    e2 = acc.enhanced_two_stage_fca(name="e2", max_cost=2000, weight_fn=gauss).iloc[:, 0]
    e2 = e2.reindex(lsoas["code"]).fillna(0)
    links = inputs.links
    code_of = inputs.lsoas["code"]
    w = links["lsoa_key"].map(inputs.lsoas["population_total"]) * links["share"]
    ward_code = links["area_key"].map(inputs.areas.set_index("key")["code"])
    for column, per_lsoa in (("access_2sfca", two), ("access_e2sfca", e2)):
        v = links["lsoa_key"].map(code_of).map(per_lsoa) * 1000
        expected = (w * v).groupby(ward_code).sum() / w.groupby(ward_code).sum()
        diff = (result.table[column] - expected.reindex(result.table.index)).abs().max()
        assert diff <= 1e-9, (column, diff)


def test_deprivation_means_match_the_stored_rollup(norwich: OverlayResult, engine) -> None:
    """The overlay's population-weighted IMD decile per ward equals the importer's SQL roll-up (numeric sums)."""
    with engine.connect() as c:
        stored = dict(
            c.execute(
                text("SELECT area_code, value FROM indicators WHERE key = 'imd_decile' AND derived "
                     "AND area_code = ANY(:codes)"),
                {"codes": list(norwich.table.index)},
            ).all()
        )  # fmt: skip
    got = norwich.table["imd_decile"]
    assert max(abs(got[k] - v) for k, v in stored.items()) <= 1e-9 and len(stored) == 13


def test_every_norwich_ward_is_ranked_and_explained(norwich: OverlayResult) -> None:
    t = norwich.table
    assert sorted(t["priority"].astype(int)) == list(range(1, 14))
    first = t.sort_values("priority").iloc[0]
    assert first["gap"] == t["gap"].max()
    assert first["explanation"].startswith(f"{first['name']}: IMD decile ")
    assert (
        "per 1,000 against a median of" in first["explanation"]
        and "wards of Norwich scored" in first["explanation"]
    )
    assert f"{first['population_total']:,.0f} residents" in first["explanation"]
    assert "need percentile" in first["explanation"] and "gap +" in first["explanation"]
    assert "of residents within 800 m of an asset" in first["explanation"]
    assert set(t["bivariate_class"]) <= {
        f"{n}-{p}" for n in ("low", "medium", "high") for p in ("low", "medium", "high")
    }


# ---------------------------------------------------------------- hand-checkable cases


def _inputs(**overrides: pd.DataFrame) -> OverlayInputs:
    """Two wards (W1, W2) in district D; LSOA L1 (100 people) in W1, L2 (300) straddling W1 (1/3) and W2
    (2/3), L3 (0 people) in W2; W3 has no LSOA at all. A hub in W1 at L1's point; a group serving W1 and W2."""
    areas = pd.DataFrame(
        {"code": ["W1", "W2", "W3"], "name": ["One", "Two", "Three"], "kind": "ward", "parent_code": "D"}
    )
    lsoas = pd.DataFrame(
        {
            "district_key": "D",
            "x": [0.0, 1000.0, 5000.0],
            "y": [0.0, 0.0, 0.0],
            "population_total": [100.0, 300.0, 0.0],
            "population_0_15": [10.0, 30.0, 0.0],
            "population_60_plus": [20.0, 60.0, 0.0],
            "imd_rank": [100.0, 400.0, np.nan],
            "imd_decile": [1.0, 4.0, np.nan],
        },
        index=pd.Index(["L1", "L2", "L3"], name="code"),
    )
    links = pd.DataFrame(
        {
            "lsoa_key": ["L1", "L2", "L2", "L3"],
            "area_key": ["W1", "W1", "W2", "W2"],
            "share": [1, 1 / 3, 2 / 3, 1],
        }
    )
    assets = pd.DataFrame(
        {"kind": ["hub"], "id": [1], "name": ["Hall"], "categories": [["community_centre"]], "rooms": [3],
         "x": [0.0], "y": [0.0], "ward_key": ["W1"], "lsoa_key": ["L1"]}
    )  # fmt: skip
    # the group is shared by residents: W1 and W2 have 200 each
    served = pd.DataFrame({"id": [7, 7], "area_key": ["W1", "W2"], "categories": [["food"], ["food"]],
                           "weight": [0.5, 0.5]})  # fmt: skip
    members = pd.DataFrame(columns=["locality_key", "member_key", "member_kind"])
    parts = {
        "areas": areas,
        "lsoas": lsoas,
        "links": links,
        "assets": assets,
        "served": served,
        "members": members,
    }
    parts.update(overrides)
    return OverlayInputs(level="ward", within="D", **parts)


def test_hand_case_population_split_by_share_and_counts() -> None:
    t = overlay(_inputs(), OverlayOptions(radius_m=800, catchment_m=2000))
    assert t.loc["W1", "population_total"] == pytest.approx(200.0)  # 100 + 300/3
    assert t.loc["W2", "population_total"] == pytest.approx(200.0)  # 300·2/3 + 0
    assert t.loc["W1", "population_60_plus"] == pytest.approx(40.0)
    # IMD decile: population-weighted, L3 has no people and no value
    assert t.loc["W1", "imd_decile"] == pytest.approx((100 * 1 + 100 * 4) / 200)
    assert t.loc["W2", "imd_decile"] == pytest.approx(4.0)
    # the group serving two wards is shared between them (once in total), and shown in full as area-wide;
    # the hub counts only where it stands
    assert (t.loc["W1", ["groups", "hubs", "spaces", "assets"]].tolist()) == [0.5, 1, 0, 1.5]
    assert (t.loc["W2", ["groups", "hubs", "spaces", "assets"]].tolist()) == [0.5, 0, 0, 0.5]
    assert t[["groups", "hubs", "assets"]].sum().tolist() == [1, 1, 2]
    assert t.loc[["W1", "W2"], "groups_area_wide"].tolist() == [1, 1]
    assert t.loc["W1", "assets_per_1000"] == pytest.approx(7.5)
    assert t.loc["W1", ["category:community_centre", "category:food"]].tolist() == [1, 0.5]
    assert t.loc["W2", ["category:community_centre", "category:food"]].tolist() == [0, 0.5]
    # coverage: L1 (0 m from the hub) covered, L2 (1000 m) not: W1 = 100/200, W2 = 0
    assert t.loc["W1", "coverage"] == pytest.approx(0.5)
    assert t.loc["W2", "coverage"] == pytest.approx(0.0)
    # 2SFCA: the hub reaches L1 and L2 (400 people): 1/400 per person; ×1000 = 2.5 for both LSOAs
    assert t.loc["W1", "access_2sfca"] == pytest.approx(2.5)
    assert t.loc["W2", "access_2sfca"] == pytest.approx(2.5)


def test_hand_case_area_without_residents_or_assets() -> None:
    t = overlay(_inputs(), OverlayOptions())
    assert t.loc["W3", "population_total"] == 0 and t.loc["W3", "assets"] == 0
    assert math.isnan(t.loc["W3", "assets_per_1000"])
    scored = score_gaps(t, Need("imd_rank", False, "IMD"), "per_1000")
    assert math.isnan(scored.loc["W3", "gap"]) and math.isnan(scored.loc["W3", "priority"])
    assert pd.isna(scored.loc["W3", "bivariate_class"])


def test_hand_case_no_assets_anywhere() -> None:
    empty = _inputs(assets=_inputs().assets.iloc[0:0], served=_inputs().served.iloc[0:0])
    t = overlay(empty, OverlayOptions())
    lived = t.loc[["W1", "W2"]]
    assert (t["assets"] == 0).all() and (lived["coverage"] == 0).all() and (lived["access_e2sfca"] == 0).all()
    assert t.loc["W1", "assets_per_1000"] == 0


def test_category_counts_only_its_kind() -> None:
    t = overlay(_inputs(), OverlayOptions(category="food"))
    assert t.loc["W1", "groups"] == 0.5 and t.loc["W1", "hubs"] == 0
    t = overlay(_inputs(), OverlayOptions(category="community_centre"))
    assert t.loc["W1", "hubs"] == 1 and t.loc["W1", "groups"] == 0


def test_gap_percentiles_and_thirds() -> None:
    table = pd.DataFrame(
        {
            "population_total": [1.0] * 6,
            "imd_rank": [1, 2, 3, 4, 5, 6],
            "assets_per_1000": [6, 5, 4, 3, 2, 1],
        },
        index=list("abcdef"),
    )
    s = score_gaps(table, Need("imd_rank", False, "IMD"), "per_1000")
    assert s.loc["a", "need_percentile"] == 1.0 and s.loc["a", "provision_percentile"] == pytest.approx(1.0)
    assert s.loc["f", "need_percentile"] == pytest.approx(1 / 6) and s.loc[
        "f", "provision_percentile"
    ] == pytest.approx(1 / 6)
    assert percentile(pd.Series([1.0, 1.0, 3.0])).tolist() == [0.5, 0.5, 1.0]
    assert third(pd.Series([0.2, 0.5, 0.9, np.nan])).tolist() == ["low", "medium", "high", None]
    # ties in gap go to the area in greater need first
    assert s.sort_values("priority").index[0] == "a"


def test_options_are_checked() -> None:
    with pytest.raises(InvalidInput):
        OverlayOptions(kinds=("shop",))
    with pytest.raises(InvalidInput):
        OverlayOptions(category="nonsense")
    with pytest.raises(InvalidInput):
        OverlayOptions(radius_m=0)


# ---------------------------------------------------------------- other levels, custom need, exports


def test_district_lsoa_and_locality_levels(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        districts = overlay_table(c, level="district").table
        lsoas = overlay_table(c, level="lsoa", within=NORWICH).table
        localities = overlay_table(c, level="locality").table
        wards = overlay_table(c, level="ward", within=NORWICH).table
    assert len(districts) == 7 and len(lsoas) == 83 and len(localities) == 2
    # Norwich's residents, hubs and spaces are the same whichever level sums them
    assert districts.loc[NORWICH, "population_total"] == pytest.approx(lsoas["population_total"].sum())
    # wards apportion LSOAs by area, and the generalised LSOA and ward boundaries disagree a little at the
    # district's edge: 57 of Norwich's 137,711 residents (0.04%) fall in Broadland's wards
    assert districts.loc[NORWICH, "population_total"] == pytest.approx(
        wards["population_total"].sum(), rel=1e-3
    )
    assert districts.loc[NORWICH, "hubs"] == lsoas["hubs"].sum() == wards["hubs"].sum()
    # a locality is the sum of its member wards
    centre = localities.loc["SAMPLE-NOR-CENTRE"]
    members = wards.loc[["E05005882", "E05005886", "E05005887"]]
    assert centre["population_total"] == pytest.approx(members["population_total"].sum())
    assert centre["hubs"] == members["hubs"].sum()


def test_an_imported_indicator_can_be_the_need(conn: Connection) -> None:
    codes = conn.execute(text("SELECT code FROM areas WHERE kind = 'ward' AND parent_code = :d ORDER BY code"),
                         {"d": NORWICH}).scalars().all()  # fmt: skip
    for n, code in enumerate(codes):
        conn.execute(
            text(
                "INSERT INTO indicators (area_code, key, value, period, source) VALUES (:c, 'lonely', :v, '2024', 't')"
            ),
            {"c": code, "v": float(n)},
        )
    result = overlay_table(conn, level="ward", within=NORWICH, need="lonely")
    t = result.table
    assert t.loc[codes[-1], "need_percentile"] == 1.0  # the highest value is the most need
    assert t.loc[codes[-1], "explanation"].startswith(f"{t.loc[codes[-1], 'name']}: lonely 12")
    lower = overlay_table(conn, level="ward", within=NORWICH, need="lonely", need_higher_is_more=False).table
    assert lower.loc[codes[0], "need_percentile"] == 1.0
    with pytest.raises(InvalidInput):
        overlay_table(conn, level="ward", within=NORWICH, need="nothing_like_this")


def test_csv_neutralises_formulas_but_keeps_numbers(norwich: OverlayResult) -> None:
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("-1+2") == "'-1+2"
    assert safe_cell(-0.25) == -0.25 and safe_cell("Mile Cross") == "Mile Cross"
    hostile = OverlayResult(
        norwich.table.assign(name=["=cmd|' /C calc'!A0", *list(norwich.table["name"].iloc[1:])]),
        **{
            k: getattr(norwich, k) for k in ("level", "within", "within_name", "options", "need", "provision")
        },
    )
    hostile.table["explanation"] = "=1+1"
    text_ = export.to_csv(hostile)
    assert "\r\n'=cmd" in text_ or ",'=cmd" in text_
    assert ",=" not in text_ and "\n=" not in text_


def test_geopackage_round_trips(norwich: OverlayResult, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from layers.analysis.tables import area_geometries

    with engine.connect() as c:
        shapes = area_geometries(c, list(norwich.table.index))
    path = tmp_path / "overlay.gpkg"
    assert export.write_file(norwich, shapes, path) == "GeoPackage"
    back = gpd.read_file(path)
    assert len(back) == 13 and back.crs.to_epsg() == 4326
    assert back.iloc[0]["priority"] == 1
