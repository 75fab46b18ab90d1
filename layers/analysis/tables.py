"""The officers' overlay table and one area's profile: read the inputs, compute the measures, score the gaps.

These are what the API, the command line and the notebooks call. Measures: ``layers.analysis.overlay``;
gaps: ``layers.analysis.gaps``; inputs: ``layers.analysis.inputs``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from layers.analysis.gaps import PROVISION, Need, score_gaps
from layers.analysis.inputs import LEVELS, indicator_values, overlay_inputs
from layers.analysis.overlay import OverlayOptions, area_key, overlay, weighted_by_population
from layers.errors import InvalidInput, NotFound
from layers.sql import sql
from layers.taxonomy import DOMAINS

#: Built-in need measures: the IMD and its seven domains (population-weighted mean LSOA rank; lower = more need).
DOMAIN_LABELS = {key: ("IMD" if key == "imd" else label) for key, label, _ in DOMAINS}
KIND_WORDS = {"group": "groups", "hub": "hubs", "space": "spaces"}


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
    if provision not in PROVISION:
        raise InvalidInput(f"Unknown provision measure {provision!r}", f"Use one of {', '.join(PROVISION)}.")
    reach = max(options.radius_m, options.catchment_m)
    inputs = overlay_inputs(conn, level=level, within=within, reach_m=reach)
    if inputs.areas.empty:
        raise NotFound(f"No {level} areas{f' in {within}' if within else ''}", "Import boundaries first.")
    table = overlay(inputs, options)
    measure, notes = _need(conn, inputs, table, need, need_higher_is_more)
    scored = score_gaps(table, measure, provision)
    within_name = _name(conn, within) if within else None
    result = OverlayResult(scored, level, within, within_name, options, measure, provision, notes)
    scored["explanation"] = explanations(result)
    return result


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


def _assets_word(kinds: tuple[str, ...], category: str | None) -> tuple[str, str]:
    """('groups', 'a group') for one kind; ('assets', 'an asset') for several; with the category named."""
    plural = KIND_WORDS[kinds[0]] if len(kinds) == 1 else "assets"
    one = f"a {kinds[0]}" if len(kinds) == 1 else "an asset"
    if category:
        plural, one = f"{category} {plural}", f"{one} ({category})"
    return plural, one


def explanations(result: OverlayResult) -> list[str]:
    """One plain-English sentence per row saying why it ranks where it does."""
    t, o = result.table, result.options
    plural, one = _assets_word(o.counted_kinds or o.kinds, o.category)
    level = {"lsoa": "LSOAs", "locality": "localities"}.get(result.level, f"{result.level}s")
    column = PROVISION[result.provision][0]
    median = t.loc[t["population_total"] > 0, column].median()

    def against(value: str) -> str:
        if result.within_name:
            return f"against a {result.within_name} median of {value}"
        return f"against a median of {value} across the {len(t)} {level}"

    out = []
    for _, row in t.iterrows():
        if not row["population_total"] > 0:
            out.append(
                f"{row['name']}: no residents in the population data, so no need or provision is scored."
            )
            continue
        parts = [f"{row['name']}: {_need_phrase(result.need, row)}"]
        if result.provision == "per_1000":
            parts.append(f"{_num(row[column])} {plural} per 1,000 residents {against(_num(median))}")
        elif result.provision == "access":
            parts.append(f"E2SFCA accessibility {_num(row[column])} per 1,000 {against(_num(median))}")
        else:
            parts.append(
                f"{_pct(row['coverage'])} of residents within {o.radius_m:g} m of {one} {against(_pct(median))}"
            )
        if result.provision != "coverage":
            parts.append(f"{_pct(row['coverage'])} of residents within {o.radius_m:g} m of {one}")
        out.append("; ".join(parts) + ".")
    return out


def _need_phrase(need: Need, row: pd.Series) -> str:
    if need.column.endswith("_rank"):
        decile = row[need.column.replace("_rank", "_decile")]
        return f"{need.label} decile {_num(decile)}" if not _nan(decile) else f"no {need.label} data"
    return (
        f"{need.label} {_num(row[need.column])}" if not _nan(row[need.column]) else f"no {need.label} value"
    )


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _num(v: Any) -> str:
    if _nan(v):
        return "n/a"
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def _pct(v: Any) -> str:
    return "n/a" if _nan(v) else f"{100 * v:.0f}%"


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
