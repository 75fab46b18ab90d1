"""What if (issue 15 item 5) on the real Norfolk demo data: an added hub raises its ward's coverage and 2SFCA and
lowers no one's coverage; closing everything leaves no provision; and every measure and rank equals a fresh
overlay run with the asset really inserted or closed (in a transaction rolled back at the end)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, text

from layers.analysis.inputs import overlay_inputs
from layers.analysis.overlay import OverlayOptions, overlay
from layers.analysis.scenarios import AddAsset, CloseAsset, Scenario, what_if
from layers.analysis.tables import overlay_table
from layers.analysis.whatif import Baseline, Change, after_inputs, what_if_measures
from layers.errors import InvalidInput, NotFound

NORWICH = "E07000148"
NUMBERS = ("population_total", "groups", "hubs", "spaces", "assets", "potential", "groups_area_wide",
           "assets_per_1000", "coverage", "access_2sfca", "access_e2sfca", "need_value", "provision_value",
           "need_percentile", "provision_percentile", "gap")  # fmt: skip
RANKS = ("priority", "rank_low", "rank_high", "rank_stable", "need_class", "provision_class",
         "bivariate_class", "scored", "not_scored")  # fmt: skip


def _centre(conn: Connection, within: str = NORWICH) -> tuple[str, float, float]:
    """The least covered ward of the district with residents, and a point inside it (EPSG:27700)."""
    wards = overlay_table(conn, level="ward", within=within).table
    code = wards[wards["population_total"] > 0].sort_values(["coverage", "access_2sfca"]).index[0]
    x, y = conn.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 27700) p "
             "FROM areas WHERE code = :c) s"), {"c": code}).one()  # fmt: skip
    return code, x, y


def _same(scenario_table: pd.DataFrame, fresh: pd.DataFrame) -> None:
    """Every measure and rank of the what-if equals the fresh run's."""
    assert list(scenario_table.index) == list(fresh.index)
    for column in NUMBERS:
        np.testing.assert_allclose(
            scenario_table[column].to_numpy(float), fresh[column].to_numpy(float), rtol=1e-9, atol=1e-12,
            err_msg=column,
        )  # fmt: skip
    categories = [c for c in fresh.columns if c.startswith("category:")]
    for column in categories:
        np.testing.assert_allclose(scenario_table[column], fresh[column], atol=1e-12, err_msg=column)
    for column in RANKS:
        a, b = scenario_table[column], fresh[column]
        assert ((a == b) | (a.isna() & b.isna())).all(), (column, a[a != b], b[a != b])


def test_a_hub_at_a_wards_centre_raises_its_coverage_and_2sfca_and_lowers_no_ones(conn: Connection) -> None:
    code, x, y = _centre(conn)
    s = what_if(conn, [AddAsset("hub", easting_m=x, northing_m=y, rooms=2)], level="ward", within=NORWICH)
    b, a = s.before.table, s.after.table
    assert a.loc[code, "coverage"] > b.loc[code, "coverage"]
    assert a.loc[code, "access_2sfca"] > b.loc[code, "access_2sfca"]
    assert a.loc[code, "hubs"] == b.loc[code, "hubs"] + 1
    assert (a["coverage"] >= b["coverage"] - 1e-12).all()
    # 2SFCA never falls either: other suppliers' ratios are unchanged, and the new one only adds
    assert (a["access_2sfca"] >= b["access_2sfca"] - 1e-12).all()
    assert code in s.changed
    assert any(str(b.loc[code, "name"]) in sentence for sentence in s.sentences)


def test_closing_every_asset_leaves_no_provision_anywhere(conn: Connection) -> None:
    inputs = overlay_inputs(conn, level="ward", within=NORWICH, reach_m=2000)
    closes = [
        CloseAsset(str(k), int(i)) for k, i in zip(inputs.assets["kind"], inputs.assets["id"], strict=True)
    ]
    closes += [CloseAsset("group", int(i)) for i in inputs.served["id"].unique()]
    s = what_if(conn, closes, level="ward", within=NORWICH, options=OverlayOptions(counting="both"),
                max_changes=100_000)  # fmt: skip
    t = s.after.table
    for column in ("groups", "hubs", "spaces", "assets", "potential", "groups_area_wide", "coverage",
                   "access_2sfca", "access_e2sfca"):  # fmt: skip
        assert (t[column].fillna(0) == 0).all(), column
    assert not t["scored"].any()  # nothing to compare: nothing is ranked (main's rule)
    assert t["priority"].isna().all()


@pytest.mark.parametrize(
    ("level", "options", "provision"),
    [
        ("ward", OverlayOptions(), "per_1000"),
        ("ward", OverlayOptions(capacity="rooms", counting="both"), "access"),
        ("locality", OverlayOptions(kinds=("hub", "group")), "coverage"),
    ],
)
def test_an_added_hub_equals_a_fresh_run_with_it_inserted(
    conn: Connection, level: str, options: OverlayOptions, provision: str
) -> None:
    _, x, y = _centre(conn)
    within = NORWICH if level == "ward" else None
    s = what_if(conn, [AddAsset("hub", easting_m=x, northing_m=y, rooms=3, category="library")],
                level=level, within=within, options=options, provision=provision)  # fmt: skip
    hub = conn.execute(
        text("INSERT INTO hubs (name, kind, geom) VALUES ('What if', 'library', "
             "ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 27700), 4326)) RETURNING id"), {"x": x, "y": y}
    ).scalar_one()  # fmt: skip
    for n in range(3):
        conn.execute(text("INSERT INTO rooms (hub_id, name) VALUES (:h, :n)"), {"h": hub, "n": f"Room {n}"})
    fresh = overlay_table(conn, level=level, within=within, options=options, provision=provision)
    _same(s.after.table, fresh.table)
    if level == "ward":  # every ward holds its hubs; custom localities cover only part of the county
        assert s.before.table["hubs"].sum() + 1 == pytest.approx(s.after.table["hubs"].sum())


def test_a_closed_hub_and_group_equal_a_fresh_run_without_them(conn: Connection) -> None:
    inputs = overlay_inputs(conn, level="ward", within=NORWICH, reach_m=2000)
    a = inputs.assets
    hub = int(a[a["kind"] == "hub"]["id"].iloc[0])
    group = int(a[(a["kind"] == "group") & a["ward_key"].notna()]["id"].iloc[0])
    s = what_if(conn, [CloseAsset("hub", hub), CloseAsset("group", group)], level="ward", within=NORWICH,
                provision="access")  # fmt: skip
    conn.execute(text("UPDATE groups SET status = 'closed' WHERE id = :g"), {"g": group})
    conn.execute(text("DELETE FROM rooms WHERE hub_id = :h"), {"h": hub})
    conn.execute(text("DELETE FROM hubs WHERE id = :h"), {"h": hub})
    fresh = overlay_table(conn, level="ward", within=NORWICH, provision="access")
    _same(s.after.table, fresh.table)
    assert len(s.changed) > 0


def test_incremental_equals_the_full_recomputation_in_memory(conn: Connection) -> None:
    """The incremental rule against overlay() on the changed inputs, for adds and closes together."""
    options = OverlayOptions(capacity="rooms")
    inputs = overlay_inputs(conn, level="ward", reach_m=2000)
    base = Baseline.of(inputs, options)
    a = inputs.assets
    hubs = a[a["kind"] == "hub"].head(3)
    changes = [Change("close", "hub", int(r.id), str(r.name), float(r.x), float(r.y), ("library",), int(r.rooms),
                      0.0, r.ward_key, r.lsoa_key) for r in hubs.itertuples()]  # fmt: skip
    r = a.iloc[10]
    changes.append(Change("add", "hub", -1, "new", float(r["x"]) + 300, float(r["y"]), ("library",), 4, 0.0,
                          r["ward_key"], r["lsoa_key"]))  # fmt: skip
    incremental, changed = what_if_measures(base, changes)
    full = overlay(after_inputs(inputs, changes), options)
    for column in ("hubs", "assets", "assets_per_1000", "coverage", "access_2sfca", "access_e2sfca"):
        np.testing.assert_allclose(incremental[column], full[column], rtol=1e-9, atol=1e-12, err_msg=column)
    assert len(changed) < len(full)  # only the areas near the changes were recomputed


def test_bad_input_says_what_was_wrong(conn: Connection) -> None:
    where = {"level": "ward", "within": NORWICH}
    with pytest.raises(NotFound, match="No hub 999999"):
        what_if(conn, [CloseAsset("hub", 999_999)], **where)
    with pytest.raises(InvalidInput, match="outside the British National Grid"):
        what_if(conn, [AddAsset("hub", easting_m=-5000, northing_m=300_000)], **where)
    with pytest.raises(InvalidInput, match="Unknown kind"):
        what_if(conn, [AddAsset("castle", easting_m=622_000, northing_m=310_000)], **where)
    with pytest.raises(InvalidInput, match="changes given"):
        what_if(conn, [AddAsset("hub", easting_m=622_000, northing_m=310_000)] * 21, **where)
    with pytest.raises(InvalidInput, match="Say where"):
        what_if(conn, [AddAsset("hub")], **where)


def test_the_scenario_reads_as_a_table_for_a_notebook(conn: Connection) -> None:
    _, x, y = _centre(conn)
    s: Scenario = what_if(
        conn, [AddAsset("group", easting_m=x, northing_m=y, category="arts-culture")], within=NORWICH
    )
    frame = s.side_by_side()
    assert list(frame.index) == s.changed
    assert ("coverage", "after") in frame.columns
    assert s.sentences[0].startswith("Adding a new group")
