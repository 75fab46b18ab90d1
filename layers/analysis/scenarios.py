"""What if, for officers and notebooks: hypothetical hubs or groups added, existing assets closed, and every
area's measures and rank recomputed beside the current ones, with the change in words. Nothing is written.

``what_if(conn, [AddAsset(...), CloseAsset(...)], level=..., within=...)`` reads the overlay's inputs (cached
by their maker), builds the current measures once per inputs version (``Baseline``, kept here only when the
inputs carry a version) and applies the changes incrementally (``layers.analysis.whatif``); then both sides
are scored by main's rules (``layers.analysis.tables``: the mapped extent, counting, weights, capacity).
Points are EPSG:27700 metres (or lon/lat, or a postcode, located by PostGIS).
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from layers.analysis.confidence import rank_ranges
from layers.analysis.explain import explanations
from layers.analysis.gaps import Need, score_gaps
from layers.analysis.inputs import OverlayInputs
from layers.analysis.mapped import covered_kinds, mapped_areas
from layers.analysis.overlay import OverlayOptions
from layers.analysis.scenario_words import changed_codes, sentences
from layers.analysis.tables import (
    OverlayResult,
    _name,
    _need,
    check_provision,
    inputs_within_reach,
    scoring_rule,
)
from layers.analysis.whatif import Baseline, Change, what_if_measures
from layers.areas.postcodes import normalise_postcode
from layers.errors import InvalidInput, NotFound
from layers.sql import sql
from layers.taxonomy import GROUP_CATEGORIES, HUB_KINDS

#: At most this many changes in one what-if.
MAX_CHANGES = 20
#: The British National Grid's extent (metres), which holds England: a point outside it is refused.
GRID_M = (0.0, 0.0, 700_000.0, 1_300_000.0)
#: How many baselines to keep (keyed on the inputs' version and the options).
KEEP = 8


@dataclass(frozen=True)
class AddAsset:
    """A hypothetical hub or group: where (easting/northing metres, or lon/lat, or a postcode), its kind of hub
    or group category, and its capacity (rooms; bookable room-hours a week, for capacity=hours)."""

    kind: str
    easting_m: float | None = None
    northing_m: float | None = None
    lon: float | None = None
    lat: float | None = None
    postcode: str | None = None
    category: str | None = None
    rooms: int = 1
    room_hours: float = 0.0
    name: str | None = None


@dataclass(frozen=True)
class CloseAsset:
    """An existing group, hub or space to close (as if it were gone), by kind and id."""

    kind: str
    id: int


@dataclass
class Scenario:
    """The current overlay (``before``), the overlay with the changes (``after``), the changes as resolved,
    the codes of the areas whose measures or rank changed, and the change in words."""

    before: OverlayResult
    after: OverlayResult
    changes: list[Change]
    changed: list[str]
    sentences: list[str]
    notes: list[str] = field(default_factory=list)

    def side_by_side(
        self, columns: Sequence[str] = ("priority", "assets_per_1000", "coverage", "access_2sfca")
    ) -> pd.DataFrame:
        """Before and after of some columns for the changed areas (a frame for notebooks)."""
        b = self.before.table.loc[self.changed]
        a = self.after.table.loc[self.changed]
        out: dict[Any, pd.Series] = {("name", ""): b["name"]}
        for c in columns:
            out[(c, "before")], out[(c, "after")] = b[c], a[c]
        return pd.DataFrame(out)


_BASES: OrderedDict[Hashable, tuple[Baseline, Need, list[str]]] = OrderedDict()


def what_if(
    conn: Connection,
    changes: Sequence[AddAsset | CloseAsset],
    *,
    level: str = "ward",
    within: str | None = None,
    options: OverlayOptions | None = None,
    need: str = "imd",
    need_higher_is_more: bool = True,
    provision: str = "per_1000",
    max_changes: int = MAX_CHANGES,
) -> Scenario:
    """Every area of ``level`` (in district ``within``) now and with ``changes`` made; nothing is written.
    ``max_changes`` is the API's limit; a notebook may raise it (closing every asset, say)."""
    options = options or OverlayOptions()
    check_provision(provision)
    if not 1 <= len(changes) <= max_changes:
        raise InvalidInput(
            f"{len(changes)} changes given", f"Give from 1 to {max_changes} changes (add or close) at a time."
        )
    reach = max(options.radius_m, options.catchment_m)
    inputs = inputs_within_reach(conn, level, within, reach)
    resolved, notes = resolve(conn, inputs, changes, reach)
    base, measure, need_notes = baseline(conn, inputs, options, need, need_higher_is_more)
    scoring = Scoring(conn, inputs, options, measure, provision, need_notes)
    return scenario(base, scoring, resolved, notes)


def scenario(
    base: Baseline, scoring: Scoring, changes: Sequence[Change], notes: Sequence[str] = ()
) -> Scenario:
    """Both sides from a baseline and resolved changes (no database): the incremental measures, both scored,
    the changed areas explained and the change in words."""
    after_measures, _ = what_if_measures(base, changes)
    before = scoring.current(base)
    after = scoring.result(after_measures, like=before)
    changed = changed_codes(before.table, after.table)
    _explain(before, changed, scoring.said(base))
    _explain(after, changed, {})
    return Scenario(
        before, after, list(changes), changed, sentences(before, after, changes, changed), list(notes)
    )


def _explain(result: OverlayResult, codes: Sequence[str], known: dict[str, str]) -> None:
    """Explanations of the rows of ``codes`` (others None), reusing and adding to ``known``."""
    table = result.table
    missing = table.index[table.index.isin([c for c in codes if c not in known])]
    if len(missing):
        known.update(zip(missing, explanations(result, list(missing)), strict=True))
    table["explanation"] = None
    table.loc[list(codes), "explanation"] = [known[c] for c in codes]


def baseline(
    conn: Connection, inputs: OverlayInputs, options: OverlayOptions, need: str, higher: bool
) -> tuple[Baseline, Need, list[str]]:
    """The current measures of ``inputs`` (with the need column), kept while the inputs' version stands."""
    key = (inputs.version, inputs.level, inputs.within, options, need, higher)
    if inputs.version is not None and key in _BASES:
        _BASES.move_to_end(key)
        return _BASES[key]
    base = Baseline.of(inputs, options)
    measure, notes = _need(conn, inputs, base.measures, need, higher)
    if inputs.version is not None:
        _BASES[key] = (base, measure, notes)
        while len(_BASES) > KEEP:
            _BASES.popitem(last=False)
    return base, measure, notes


@dataclass
class Scoring:
    """Main's scoring of an overlay table (as ``tables.overlay_table`` does it), for both sides of a what-if."""

    conn: Connection
    inputs: OverlayInputs
    options: OverlayOptions
    measure: Need
    provision: str
    need_notes: list[str]

    def __post_init__(self) -> None:
        i = self.inputs
        self.extent = mapped_areas(self.conn)
        self.covered = covered_kinds(self.conn, level=i.level, within=i.within)
        self.within_name = _name(self.conn, i.within) if i.within else None

    def key(self) -> Hashable:
        """What the scoring depends on beyond the measures: provision, need, the mapped extent."""
        return (self.provision, self.measure, repr(sorted(self.covered.items())), repr(self.extent))

    def current(self, base: Baseline) -> OverlayResult:
        """The baseline scored, kept on it while the scoring's inputs (mapped extent, measures) stand."""
        kept = base.scored.get(self.key())
        if kept is None:
            kept = base.scored[self.key()] = self.result(base.measures.copy())
        return dataclasses.replace(kept, table=kept.table.copy(), notes=list(kept.notes))

    def said(self, base: Baseline) -> dict[str, str]:
        """The current areas' explanations made so far (by code), kept beside the scored baseline."""
        said: dict[str, str] = base.scored.setdefault(("said", self.key()), {})
        return said

    def result(self, table: pd.DataFrame, like: OverlayResult | None = None) -> OverlayResult:
        """The table scored: scored/not_scored, percentiles, classes, priority and rank ranges. With ``like``
        (the current side), its scoring rule's outcome is reused when it cannot differ (see ``_same_rule``)."""
        if like is not None and _same_rule(like.table, table):
            scorable = like.table["scored"].copy()
            table["scored"], table["not_scored"] = scorable, like.table["not_scored"]
            notes = like.notes[: len(like.notes) - len(self.need_notes)]
        else:
            scorable, notes = scoring_rule(table, self.inputs, self.options, self.covered, self.extent)
        scored = score_gaps(table, self.measure, self.provision, scorable)
        own = (self.measure.column, self.measure.higher_is_more_need)
        own_need = own if self.measure.column == "need_indicator" else None
        ranges, _ = rank_ranges(scored, self.inputs, self.options, scorable, own_need)
        scored = scored.join(ranges)
        i = self.inputs
        return OverlayResult(scored, i.level, i.within, self.within_name, self.options, self.measure,
                             self.provision, notes + self.need_notes, self.extent)  # fmt: skip


def _same_rule(before: pd.DataFrame, after: pd.DataFrame) -> bool:
    """Whether main's scoring rule must give the after side what it gave the current one: residents and the
    mapped extent do not change with assets, so only "the areas compared hold some assets" (and the note on
    groups serving wider areas) can; when either could differ, the rule is run again."""
    scored = before["scored"].to_numpy(bool)
    return bool(
        scored.any()
        and after["assets"].to_numpy(float)[scored].sum() > 0
        and before["groups_area_wide"].any() == after["groups_area_wide"].any()
    )


def resolve(
    conn: Connection, inputs: OverlayInputs, changes: Sequence[AddAsset | CloseAsset], reach_m: float
) -> tuple[list[Change], list[str]]:
    """Each change checked and placed: an added asset's point, ward and LSOA; a closed asset found among the
    inputs. Raises InvalidInput (bad kind, point off the grid) or NotFound (unknown asset or postcode)."""
    out: list[Change] = []
    notes: list[str] = []
    seen: set[tuple[str, int]] = set()
    for n, change in enumerate(changes, start=1):
        if isinstance(change, CloseAsset):
            if (change.kind, change.id) in seen:
                raise InvalidInput(f"{change.kind} {change.id} is closed twice", "Close each asset once.")
            seen.add((change.kind, change.id))
            out.append(_close(inputs, change))
            continue
        added = _add(conn, inputs, change, -n, reach_m)
        if added is None:
            notes.append(
                f"Change {n} lies more than {reach_m:g} m from {inputs.within}, so it changes nothing here"
            )
            continue
        out.append(added)
    return out, notes


def _close(inputs: OverlayInputs, change: CloseAsset) -> Change:
    if change.kind not in ("group", "hub", "space"):
        raise InvalidInput(f"Unknown kind {change.kind!r} to close", "Close a group, hub or space.")
    a = inputs.assets
    row = a[(a["kind"].astype(str) == change.kind) & (a["id"] == change.id)]
    if len(row):
        r = row.iloc[0]
        return Change("close", change.kind, change.id, str(r["name"]), float(r["x"]), float(r["y"]),
                      tuple(r["categories"] or ()), int(r["rooms"]), float(r["room_hours"]),
                      r["ward_key"], r["lsoa_key"])  # fmt: skip
    if change.kind == "group" and (inputs.served["id"] == change.id).any():
        return Change("close", "group", change.id, f"group {change.id}", served=True)
    where = f"within reach of {inputs.within}" if inputs.within else "loaded"
    raise NotFound(
        f"No {change.kind} {change.id} among the assets this analysis counts ({where})",
        "Close an active group, a hub or an offered space by its id (see /groups, /hubs, /spaces), "
        "or leave within out to look across everything loaded.",
    )


def _add(
    conn: Connection, inputs: OverlayInputs, change: AddAsset, new_id: int, reach_m: float
) -> Change | None:
    if change.kind not in ("hub", "group"):
        raise InvalidInput(f"Unknown kind {change.kind!r} to add", "Add a hub or a group.")
    category = change.category or ("community_centre" if change.kind == "hub" else None)
    allowed = HUB_KINDS if change.kind == "hub" else GROUP_CATEGORIES
    if category is not None and category not in allowed:
        raise InvalidInput(
            f"Unknown {'kind of hub' if change.kind == 'hub' else 'group category'} {category!r}",
            f"Use one of {', '.join(allowed)}.",
        )
    if not (1 <= change.rooms <= 100 and 0 <= change.room_hours <= 10_000):
        raise InvalidInput(
            "rooms or room_hours out of range", "rooms: 1 to 100; room_hours: 0 to 10000 a week."
        )
    params = _where(change)
    row = conn.execute(
        text(sql("analysis_whatif_point.sql")), {**params, "near_code": inputs.within, "reach_m": reach_m}
    ).first()
    if row is None:
        raise NotFound(f"No postcode {change.postcode!r} in Patchmap", "Give a full postcode, or a point.")
    x, y, ward_key, lsoa_key, ward_name, in_reach = row
    if not (GRID_M[0] <= x <= GRID_M[2] and GRID_M[1] <= y <= GRID_M[3]):
        raise _off_grid(x, y)
    if not in_reach:
        return None
    name = change.name or f"a new {change.kind}" + (f" in {ward_name}" if ward_name else "")
    hours = change.room_hours if change.kind == "hub" else 0.0
    return Change("add", change.kind, new_id, name, x, y, (category,) if category else (),
                  change.rooms if change.kind == "hub" else 1, hours, ward_key, lsoa_key)  # fmt: skip


def _off_grid(x: float, y: float) -> InvalidInput:
    return InvalidInput(
        f"The point ({x:,.0f} E, {y:,.0f} N) is outside the British National Grid",
        "Give a point in England: easting 0 to 700,000 m and northing 0 to 1,300,000 m (or lon/lat).",
    )


def _where(change: AddAsset) -> dict[str, Any]:
    """The point's parameters: exactly one of easting/northing, lon/lat or a postcode."""
    given = [
        change.easting_m is not None and change.northing_m is not None,
        change.lon is not None and change.lat is not None,
        bool(change.postcode),
    ]
    if sum(given) != 1:
        raise InvalidInput(
            "Say where, once",
            "Give easting_m and northing_m, or lon and lat, or a postcode, for each added asset.",
        )
    values = [change.easting_m, change.northing_m, change.lon, change.lat]
    if any(v is not None and not math.isfinite(v) for v in values):
        raise InvalidInput("A coordinate is not a number", "Give finite numbers.")
    if (
        change.lon is not None
        and change.lat is not None
        and not (-180 <= change.lon <= 180 and -90 <= change.lat <= 90)
    ):
        raise InvalidInput(
            "lon or lat out of range", "lon is -180 to 180 and lat -90 to 90 (degrees, WGS84)."
        )
    e, n = change.easting_m, change.northing_m
    if e is not None and n is not None and not (GRID_M[0] <= e <= GRID_M[2] and GRID_M[1] <= n <= GRID_M[3]):
        raise _off_grid(e, n)
    if (
        change.lon is not None
        and change.lat is not None
        and not (-9 <= change.lon <= 3 and 49 <= change.lat <= 61)
    ):
        raise InvalidInput(
            f"The point ({change.lon}, {change.lat}) is outside the British National Grid",
            "Give a point in England: lon about -6 to 2 and lat about 50 to 56 (WGS84 degrees).",
        )
    postcode = normalise_postcode(change.postcode) if change.postcode else None
    if change.postcode and postcode is None:
        raise InvalidInput(f"{change.postcode!r} is not a full postcode", "Give one such as NR2 1AW.")
    return {"easting": change.easting_m, "northing": change.northing_m, "lon": change.lon, "lat": change.lat,
            "postcode": postcode}  # fmt: skip
