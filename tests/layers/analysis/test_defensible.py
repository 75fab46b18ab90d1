"""Analysis an officer can defend (issue 15), on the real Norfolk data of the demo: counts that conserve at every
level, provision and potential apart, nothing ranked without evidence (residents, the mapped extent, assets to
compare), numbers in every explanation, and all nine classes in words."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from layers.analysis import export
from layers.analysis.gaps import CLASS_WORDS
from layers.analysis.mapped import mark_mapped, unmark_mapped
from layers.analysis.overlay import OverlayOptions, overlay
from layers.analysis.tables import OverlayResult, overlay_table
from tests.layers.analysis.test_overlay import _inputs

NORWICH, BRECKLAND = "E07000148", "E07000143"
COUNTS = ["groups", "hubs", "spaces", "assets", "potential"]
BOTH = OverlayOptions(counting="both")


@pytest.fixture(scope="module")
def levels(engine: Engine) -> dict[str, OverlayResult]:
    """All Norfolk at ward, district and locality level, counting provision and potential together."""
    with engine.connect() as c:
        return {
            lvl: overlay_table(c, level=lvl, options=BOTH) for lvl in ("ward", "district", "locality", "lsoa")
        }


def _assets_in_norfolk(engine: Engine) -> dict[str, float]:
    """Counted independently in SQL: hubs, offered spaces and active groups with a point inside Norfolk's wards,
    and active groups with no point that serve some area."""
    with engine.connect() as c:
        row = c.execute(
            text(
                """SELECT
                 (SELECT count(*) FROM hubs WHERE ward_code IS NOT NULL),
                 (SELECT count(*) FROM spaces WHERE ward_code IS NOT NULL AND status IN ('available', 'under_offer')),
                 (SELECT count(*) FROM groups WHERE ward_code IS NOT NULL AND status = 'active'),
                 (SELECT count(DISTINCT g.id) FROM groups g JOIN group_areas ga ON ga.group_id = g.id
                   WHERE g.geom IS NULL AND g.status = 'active')"""
            )
        ).one()
    return {"hubs": row[0], "spaces": row[1], "groups": row[2] + row[3]}


def test_every_asset_counts_once_at_ward_and_district_level(
    levels: dict[str, OverlayResult], engine: Engine
) -> None:
    """Each district's wards add up to the district, for every count; the districts add up to Norfolk, and
    Norfolk's total is every asset once (the demo's groups serving all Norwich are shared, not repeated)."""
    wards, districts = levels["ward"].table, levels["district"].table
    by_district = wards.groupby("parent_code")[COUNTS].sum()
    for code, row in districts.iterrows():
        for column in COUNTS:
            assert by_district.loc[code, column] == pytest.approx(row[column], abs=1e-9), (code, column)
    expected = _assets_in_norfolk(engine)
    for column in ("hubs", "spaces", "groups"):
        assert districts[column].sum() == pytest.approx(expected[column], abs=1e-9), column
        assert wards[column].sum() == pytest.approx(expected[column], abs=1e-9), column
    assert expected["groups"] >= 70  # the review's groups: not 70 in every ward (910 in Norwich's 13)
    norwich = wards[wards["parent_code"] == NORWICH]
    assert norwich["groups"].sum() == pytest.approx(districts.loc[NORWICH, "groups"])
    assert (norwich["groups_area_wide"] >= 1).all()  # the area-wide groups, shown in full, not hidden


def test_lsoas_and_localities_conserve_too(levels: dict[str, OverlayResult], engine: Engine) -> None:
    """LSOAs add up to Norfolk's total; the sample localities hold each asset in them once between them (one in
    two overlapping localities counts a half in each), with the groups serving Norwich shared between them."""
    lsoas, localities = levels["lsoa"].table, levels["locality"].table
    expected = _assets_in_norfolk(engine)
    assert lsoas["hubs"].sum() == pytest.approx(expected["hubs"]) and lsoas["groups"].sum() == pytest.approx(
        expected["groups"]
    )
    with engine.connect() as c:
        inside = c.execute(
            text(
                """WITH m AS (SELECT x.code FROM locality_members lm JOIN areas x ON x.id = lm.member_id)
                SELECT (SELECT count(*) FROM hubs WHERE ward_code IN (SELECT code FROM m) OR lsoa_code IN (SELECT code FROM m)),
                       (SELECT count(*) FROM groups WHERE status = 'active' AND (ward_code IN (SELECT code FROM m)
                                                        OR lsoa_code IN (SELECT code FROM m))),
                       (SELECT count(DISTINCT g.id) FROM groups g JOIN group_areas ga ON ga.group_id = g.id
                         JOIN areas s ON s.id = ga.area_id WHERE g.geom IS NULL AND g.status = 'active'
                         AND s.code = :n)"""
            ),
            {"n": NORWICH},
        ).one()
    assert len(localities) == 2
    assert localities["hubs"].sum() == pytest.approx(inside[0])
    assert localities["groups"].sum() == pytest.approx(inside[1] + inside[2])


def test_overlapping_localities_share_an_asset() -> None:
    """Hand case: a hub in a ward that belongs to two localities counts a half in each."""
    base = _inputs()
    areas = pd.DataFrame({"code": ["A", "B"], "name": ["A", "B"], "kind": "locality", "parent_code": None})
    links = pd.DataFrame({"lsoa_key": ["L1", "L1"], "area_key": ["A", "B"], "share": [1.0, 1.0]})
    members = pd.DataFrame({"locality_key": ["A", "B"], "member_key": ["W1", "W1"]})
    inputs = type(base)(level="locality", within=None, areas=areas, lsoas=base.lsoas, links=links,
                        assets=base.assets, served=base.served.iloc[0:0], members=members)  # fmt: skip
    t = overlay(inputs, OverlayOptions())
    assert t["hubs"].tolist() == [0.5, 0.5] and t["hubs"].sum() == 1


def test_vacant_spaces_are_potential_not_provision(engine: Engine) -> None:
    """The demo's spaces are vacant units offered; those it also made bookable (sample terms) are provision,
    the rest are potential: counted in their own column whatever is chosen, and alone with counting=potential.
    The CSV says which."""
    with engine.connect() as c:
        default = overlay_table(c, level="district", within=None)
        potential = overlay_table(c, level="district", options=OverlayOptions(counting="potential"))
        offered, bookable = c.execute(
            text("SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM resources r WHERE r.space_id = s.id "
                 "AND r.bookable) AND s.status = 'available') FROM spaces s JOIN areas w ON w.code = s.ward_code "
                 "WHERE w.parent_code = :n AND s.status IN ('available', 'under_offer')"), {"n": NORWICH},
        ).one()  # fmt: skip
    n = default.table.loc[NORWICH]
    assert offered - bookable > 10 and n["potential"] == offered - bookable
    assert n["spaces"] == bookable and n["assets"] == n["groups"] + n["hubs"] + n["spaces"]
    p = potential.table.loc[NORWICH]
    assert p["spaces"] == offered - bookable and p["groups"] == 0 and p["hubs"] == 0
    assert export.summary(default)["counting"] == "provision"
    assert any(note.startswith("Counted: provision") for note in default.notes)
    first = export.to_csv(default).splitlines()
    header = first[0].split(",")
    assert "counted" in header and "potential" in header and "scored" in header
    assert first[1].split(",")[header.index("counted")] == "provision"


def test_areas_outside_the_mapped_extent_or_without_residents_are_not_scored(
    levels: dict[str, OverlayResult],
) -> None:
    """Only Norwich is mapped in the demo: no other district, and none of their wards, is ranked or classed;
    each says why, in its row and in the notes; no area without residents is ranked at any level."""
    for level, result in levels.items():
        t = result.table
        assert not t.loc[~(t["population_total"] > 0), "priority"].notna().any(), level
        assert (
            t.loc[~(t["population_total"] > 0), "not_scored"] == "no residents in the population data"
        ).all()
        unscored = t[~t["scored"]]
        assert unscored["priority"].isna().all() and unscored["bivariate_class"].isna().all()
        assert unscored["not_scored"].notna().all()
        assert unscored["explanation"].str.contains("not scored").all()
    districts = levels["district"].table
    assert districts["scored"].tolist().count(True) == 1 and districts.loc[NORWICH, "priority"] == 1
    assert "outside the mapped extent" in districts.loc[BRECKLAND, "not_scored"]
    assert any("6 of 7 districts lie outside the mapped extent" in n for n in levels["district"].notes)
    wards = levels["ward"].table
    assert set(wards.loc[wards["scored"], "parent_code"]) == {NORWICH}
    assert wards.loc[wards["parent_code"] == NORWICH, "scored"].all()


def test_a_district_with_no_assets_gives_a_note_and_no_classes(conn: Connection) -> None:
    """Breckland holds no assets in the demo. Outside the mapped extent, its wards are not scored and a note
    says so; marked as mapped (in this rolled-back transaction), it is still not ranked: there is nothing to
    compare, and the note at the top says so. No ward gets a class either way."""
    before = overlay_table(conn, level="ward", within=BRECKLAND)
    assert before.table["bivariate_class"].isna().all() and before.table["priority"].isna().all()
    assert any("lie outside the mapped extent" in n for n in before.notes)
    mark_mapped(conn, BRECKLAND, ["group", "hub", "space"], mapped_by="test")
    after = overlay_table(conn, level="ward", within=BRECKLAND)
    t = after.table
    assert (t["assets"] == 0).all() and t["bivariate_class"].isna().all() and t["priority"].isna().all()
    assert after.notes[0].startswith("No assets are recorded in any ward that could be scored here")
    assert (
        t.loc[t["population_total"] > 0, "not_scored"] == "no assets recorded in the areas compared"
    ).all()
    assert unmark_mapped(conn, BRECKLAND)


def test_a_kind_not_mapped_leaves_the_area_unscored(conn: Connection) -> None:
    """Norwich marked for groups only: counting hubs leaves its wards unscored (the register of hubs is not
    known to be complete), counting groups alone scores them."""
    mark_mapped(conn, NORWICH, ["group"], mapped_by="test")
    hubs = overlay_table(conn, level="ward", within=NORWICH, options=OverlayOptions(kinds=("hub",)))
    assert not hubs.table["scored"].any()
    assert hubs.table["not_scored"].str.contains("register of hubs is not known to be complete").all()
    groups = overlay_table(conn, level="ward", within=NORWICH, options=OverlayOptions(kinds=("group",)))
    assert groups.table["scored"].all()


def test_every_explanation_states_its_numbers(levels: dict[str, OverlayResult], engine: Engine) -> None:
    """Each scored row's sentence gives its need measure, counts, residents, rate, the median it is compared
    with, both percentiles and the gap, as in the table."""
    with engine.connect() as c:
        result = overlay_table(c, level="ward", within=NORWICH)
    for _, row in result.table.iterrows():
        words = row["explanation"]
        assert f"{row['population_total']:,.0f} residents" in words
        assert f"gap {row['gap']:+.2f}" in words
        assert f"need percentile {100 * row['need_percentile']:.0f}%" in words
        assert f"provision percentile {100 * row['provision_percentile']:.0f}%" in words
        assert "median of" in words and "IMD decile" in words and (" hubs," in words or " hub," in words)


def test_all_nine_classes_are_described(engine: Engine) -> None:
    """The API gives every class of the 3×3 key in words, and how the thirds are made."""
    assert set(CLASS_WORDS) == {
        f"{n}-{p}" for n in ("low", "medium", "high") for p in ("low", "medium", "high")
    }
    with engine.connect() as c:
        summary = export.summary(overlay_table(c, level="ward", within=NORWICH))
    assert summary["classes"]["words"] == CLASS_WORDS and "thirds" in summary["classes"]["rule"]
    assert summary["mapped_extent"][0]["code"] == NORWICH
