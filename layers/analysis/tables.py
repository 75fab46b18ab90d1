"""The officers' overlay table and one area's profile: read the inputs, compute the measures, score the gaps.

These are what the API, the command line and the notebooks call. Measures: ``layers.analysis.overlay``;
gaps: ``layers.analysis.gaps``; inputs: ``layers.analysis.inputs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from layers.analysis.access import pairs_for
from layers.analysis.cache import kept_frame, patched, token_of
from layers.analysis.confidence import rank_ranges
from layers.analysis.explain import KIND_WORDS, assets_word, explanations, level_words
from layers.analysis.gaps import PROVISION, Need, score_gaps
from layers.analysis.inputs import LEVELS, OverlayInputs, indicator_values, overlay_inputs
from layers.analysis.mapped import Mapped, covered_kinds, extent_words, mapped_areas
from layers.analysis.overlay import (
    RADII_M,
    OverlayOptions,
    area_key,
    asset_ids,
    chosen,
    lsoa_measures,
    overlay,
    weighted_by_population,
)
from layers.errors import InvalidInput, NotFound
from layers.sql import sql
from layers.taxonomy import DOMAINS

#: Built-in need measures: the IMD and its seven domains (population-weighted mean LSOA rank; lower = more need).
DOMAIN_LABELS = {key: ("IMD" if key == "imd" else label) for key, label, _ in DOMAINS}


@dataclass
class OverlayResult:
    """An overlay table (one row per area, index code) and what it was computed with."""

    table: pd.DataFrame
    level: str
    within: str | None
    within_name: str | None
    options: OverlayOptions
    need: Need
    provision: str
    notes: list[str] = field(default_factory=list)
    extent: list[Mapped] = field(default_factory=list)


def check_provision(provision: str) -> None:
    """InvalidInput unless ``provision`` is a provision measure the overlay knows."""
    if provision not in PROVISION:
        raise InvalidInput(f"Unknown provision measure {provision!r}", f"Use one of {', '.join(PROVISION)}.")


def inputs_within_reach(conn: Connection, level: str, within: str | None, reach_m: float) -> OverlayInputs:
    """The overlay's inputs for the areas of ``level`` (in ``within``), read ``reach_m`` beyond it; NotFound
    when there are no such areas."""
    inputs = overlay_inputs(conn, level=level, within=within, reach_m=reach_m)
    if inputs.areas.empty:
        raise NotFound(f"No {level} areas{f' in {within}' if within else ''}", "Import boundaries first.")
    return inputs


def overlay_table(
    conn: Connection,
    *,
    level: str = "ward",
    within: str | None = None,
    options: OverlayOptions | None = None,
    need: str = "imd",
    need_higher_is_more: bool = True,
    provision: str = "per_1000",
) -> OverlayResult:
    """Every area of ``level`` (in district ``within``) with its measures, gap, class, rank and explanation."""
    options = options or OverlayOptions()
    check_provision(provision)
    reach = max(options.radius_m, options.catchment_m)
    inputs = inputs_within_reach(conn, level, within, reach)
    # The per-LSOA measures (coverage, 2SFCA) depend on the LSOAs and assets only: kept across a mapped mark.
    per_lsoa = kept_frame(
        conn,
        token_of(inputs.version, ("areas", "indicators", "assets")),
        ("per_lsoa", within, reach, options),
        lambda: _lsoa_measures(conn, inputs, options),
    )
    table = overlay(inputs, options, per_lsoa=per_lsoa)
    measure, notes = _need(conn, inputs, table, need, need_higher_is_more)
    extent = mapped_areas(conn)
    scorable, more = scoring_rule(
        table, inputs, options, covered_kinds(conn, level=level, within=within), extent
    )
    scored = score_gaps(table, measure, provision, scorable)
    own = (measure.column, measure.higher_is_more_need) if measure.column == "need_indicator" else None
    ranges, allowed = rank_ranges(scored, inputs, options, scorable, own)
    scored = scored.join(ranges)
    if scorable.any() and scored["priority"].notna().any():
        more.append(
            f"Rank ranges: each area's rank across {int(ranges['rank_choices'].iloc[0])} reasonable choices (need: "
            "the IMD or one of its 7 domains; provision: per 1,000 residents, 2SFCA, or coverage within 400, 800 or "
            f"1,600 m); a rank is stable when it moves by at most {allowed} places"
        )
    within_name = _name(conn, within) if within else None
    result = OverlayResult(
        scored, level, within, within_name, options, measure, provision, more + notes, extent
    )
    scored["explanation"] = explanations(result)
    return result


def _lsoa_measures(conn: Connection, inputs: OverlayInputs, options: OverlayOptions) -> pd.DataFrame:
    """``lsoa_measures`` with coverage at every radius the rank ranges compare, and the 2SFCA catchment pairs
    patched from the last ones found for these areas (only the assets added or moved since are looked up)."""
    pointed = chosen(inputs.assets, options)
    xy, ids = inputs.lsoas[["x", "y"]].to_numpy(float), asset_ids(pointed)
    key = (
        "pairs",
        inputs.within,
        options.catchment_m,
        options.counted_kinds,
        options.category,
        options.counting,
    )
    pairs = patched(
        conn,
        key,
        lambda last: pairs_for(xy, pointed[["x", "y"]].to_numpy(float), ids, options.catchment_m, last),
    )
    return lsoa_measures(inputs, options, radii_m=RADII_M, pairs=pairs.pairs)


def scoring_rule(
    table: pd.DataFrame,
    inputs: OverlayInputs,
    options: OverlayOptions,
    covered: pd.Series,
    extent: list[Mapped],
) -> tuple[pd.Series, list[str]]:
    """Which rows are scored (ranked and classed), each other row's reason (``not_scored``, set in table) and
    the notes that say so: an area is scored when it has residents, lies inside the mapped extent for every
    kind counted, and the comparison set holds some counted assets."""
    key = area_key(inputs.areas)
    by_code = inputs.areas.set_index("code")[key]
    kinds_here = by_code.map(lambda k: covered.get(k, ())).reindex(table.index)
    needed = options.counted_kinds
    level = level_words(inputs.level, 2)
    people = table["population_total"] > 0
    missing = kinds_here.map(lambda have: [k for k in needed if k not in (have or ())])
    outside = missing.map(bool)
    reason = pd.Series(None, index=table.index, dtype=object)
    reason[outside] = missing[outside].map(
        lambda m: (
            f"outside the mapped extent: Patchmap's register of {_and(KIND_WORDS[k] for k in m)} is not "
            "known to be complete here, so few assets may only mean little data"
        )
    )
    reason[~people] = "no residents in the population data"
    scorable = people & ~outside
    notes: list[str] = []
    counted = table.loc[scorable, "assets"].sum() if scorable.any() else 0.0
    if scorable.any() and not counted > 0:
        what, _ = assets_word(needed or options.kinds, options.category)
        notes.append(
            f"No {what} are recorded in any {level_words(inputs.level, 1)} that could be scored here, so nothing "
            "is ranked or classed: no data is not the same as no provision"
        )
        reason[scorable] = f"no {what} recorded in the areas compared"
        scorable = scorable & False
    elif not scorable.any() and len(table):
        notes.append(f"No {level} here can be scored, so nothing is ranked or classed")
    elif scorable.sum() < 3:
        notes.append(
            f"Only {int(scorable.sum())} {level_words(inputs.level, int(scorable.sum()))} can be scored: "
            "thirds of so few say little"
        )
    if outside.any():
        notes.append(
            f"{int(outside.sum())} of {len(table)} {level} lie outside the mapped extent and are not scored. "
            f"Patchmap's register is complete for: {extent_words(extent)}. Mark more with "
            "`patchmap mapped add CODE` or POST /analysis/mapped"
        )
    if (~people).any():
        notes.append(
            f"{int((~people).sum())} of {len(table)} {level} have no residents in the population data and are not scored"
        )
    notes.append(
        f"Counted: {COUNTING_WORDS[options.counting]}; potential spaces (empty and offered) are in their own column"
    )
    if table["groups_area_wide"].any():
        notes.append(
            "Groups with no single place are shared among the areas they serve, by residents, so every area's "
            "counts add up to its parent's; groups_area_wide shows them in full in each area"
        )
    table["scored"] = scorable
    table["not_scored"] = reason.where(~scorable, None)
    return scorable, notes


COUNTING_WORDS = {
    "provision": "provision (active groups, hubs, and spaces bookable here)",
    "potential": "potential only (spaces empty and offered, not yet a service)",
    "both": "provision and potential together",
}


def _and(words: Any) -> str:
    items = [str(w) for w in words]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _need(
    conn: Connection, inputs: Any, table: pd.DataFrame, need: str, higher_is_more: bool
) -> tuple[Need, list[str]]:
    """The need measure's column in table (added there for an officer's own indicator) and any notes."""
    if need in DOMAIN_LABELS:
        return Need(f"{need}_rank", False, DOMAIN_LABELS[need]), []
    direct = indicator_values(conn, need, list(table.index))
    if not direct.empty:
        table["need_indicator"] = direct.set_index("code")["value"].reindex(table.index)
        periods = ", ".join(sorted(direct["period"].unique()))
        return Need("need_indicator", higher_is_more, need), [
            f"{need}: {len(direct)} areas' values ({periods})"
        ]
    per_lsoa = indicator_values(conn, need, list(inputs.lsoas["code"]))
    if per_lsoa.empty:
        raise InvalidInput(
            f"No values of indicator {need!r} for these areas or their LSOAs",
            "Use imd or a domain (income, employment, education, health, crime, housing, living_environment), "
            "or import your own with `patchmap import indicators FILE.csv`.",
        )
    by_code = per_lsoa.set_index("code")["value"]
    values = pd.DataFrame({"need_indicator": inputs.lsoas["code"].map(by_code)}, index=inputs.lsoas.index)
    key = area_key(inputs.areas)
    areas = inputs.areas.set_index(key)
    links = inputs.links[inputs.links["area_key"].isin(areas.index)].reset_index(drop=True)
    rolled = weighted_by_population(inputs.lsoas, links, values)["need_indicator"]
    table["need_indicator"] = rolled.set_axis(areas["code"].reindex(rolled.index)).reindex(table.index)
    return Need("need_indicator", higher_is_more, need), [
        f"{need}: given per LSOA, population-weighted to each {inputs.level}"
    ]


def _name(conn: Connection, code: str) -> str | None:
    name: str | None = conn.execute(text("SELECT name FROM areas WHERE code = :c"), {"c": code}).scalar()
    return name


def area_geometries(conn: Connection, codes: list[str]) -> gpd.GeoDataFrame:
    """The boundaries of the given areas (code, geometry), EPSG:4326."""
    frame = gpd.read_postgis(
        text("SELECT code, geom FROM areas WHERE code = ANY(CAST(:codes AS text[])) ORDER BY code"),
        conn,
        geom_col="geom",
        params={"codes": codes},
    )
    return gpd.GeoDataFrame(frame, geometry="geom", crs=4326)


def area_profile(conn: Connection, code: str, **kwargs: Any) -> dict[str, Any]:
    """One area's measures, its rank among its siblings (same level, same district), its assets and neighbours."""
    area = conn.execute(text("SELECT code, name, kind, parent_code FROM areas WHERE code = :c"), {"c": code})
    row = area.mappings().first()
    if row is None:
        raise NotFound(f"No area with code {code!r}", "Find codes with /areas or /areas/lookup.")
    if row["kind"] not in LEVELS:
        raise InvalidInput(f"{code} is a {row['kind']}", f"Profiles are for {', '.join(LEVELS)}.")
    within = row["parent_code"] if row["kind"] in ("ward", "lsoa") else None
    result = overlay_table(conn, level=row["kind"], within=within, **kwargs)
    siblings = result.table
    me = siblings.loc[code]
    assets = conn.execute(text(sql("analysis_area_assets.sql")), {"code": code, "kind": row["kind"]})
    neighbours = conn.execute(text(sql("analysis_neighbours.sql")), {"code": code}).mappings().all()
    return {
        "result": result,
        "row": me,
        "siblings": int(siblings["priority"].notna().sum()),
        "assets": [dict(r) for r in assets.mappings().all()],
        "neighbours": [dict(r) for r in neighbours],
    }
