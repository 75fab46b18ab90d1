"""Inputs of the officers' overlay analysis, read from PostGIS as plain frames (sync, SQLAlchemy).

Everything spatial that can be settled when data is written already has been: each asset's ward and LSOA
(``ward_code``, ``lsoa_code``, kept by a trigger), each LSOA's point inside it (``areas.point_bng``) and each
LSOA's share of each ward (``area_shares``). What is read here is therefore columns, and the measures in
``layers.analysis.overlay`` are frame arithmetic. Coordinates are EPSG:27700 (British National Grid), metres.

Areas are referred to by a *key*: here ``areas.id``, an integer, so that the frame arithmetic joins and
groups integers (several times faster than GSS code strings at England's scale); ``areas`` maps each
reported key to its code and name. Hand-built inputs (tests) may use the codes themselves as keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from layers.analysis.cache import Reader
from layers.errors import InvalidInput, NotFound
from layers.sql import sql
from layers.taxonomy import DOMAINS, SUM_KEYS

#: The levels an overlay can report on (counties are not in the data this project ships).
LEVELS = ("ward", "district", "lsoa", "locality")
#: IoD2019 keys the overlay reads per LSOA: population counts, and every rank and decile.
LSOA_KEYS = (
    *SUM_KEYS,
    *(f"{domain}_{measure}" for domain, _, _ in DOMAINS for measure in ("rank", "decile")),
)


#: The columns of analysis_assets.sql, in order.
ASSET_COLUMNS = (
    "kind",
    "id",
    "name",
    "categories",
    "rooms",
    "x",
    "y",
    "ward_key",
    "lsoa_key",
    "role",
    "room_hours",
)


@dataclass(frozen=True)
class OverlayInputs:
    """What the overlay measures are computed from.

    - ``areas``: the reported areas (key, code, name, kind, parent_code), sorted by code;
    - ``lsoas``: LSOAs in reach (index key): code, district_key, x, y (EPSG:27700 m) and the ``LSOA_KEYS``
      columns;
    - ``links``: how each LSOA's residents are apportioned among the reported areas (lsoa_key, area_key, share);
    - ``assets``: groups, hubs and spaces with a point in reach: kind, id, name, categories, rooms, x, y,
      ward_key, lsoa_key;
    - ``served``: groups with no point, and each reported area they count towards (id, area_key, categories);
    - ``members``: custom localities' member wards and LSOAs (locality_key, member_key, member_kind);
    - ``ward_districts``: each ward's district key;
    - ``version``: see the field.
    """

    level: str
    within: str | None
    areas: pd.DataFrame
    lsoas: pd.DataFrame
    links: pd.DataFrame
    assets: pd.DataFrame
    served: pd.DataFrame
    members: pd.DataFrame
    ward_districts: pd.Series = field(default_factory=lambda: pd.Series(dtype="Int64"))
    #: A token that changes whenever any data these inputs were read from changes (None: unknown, e.g. inputs
    #: built by hand). Consumers may key caches of results on (version, options).
    version: str | None = None


def check_level(level: str) -> None:
    """Raise InvalidInput unless level is one the overlay reports on."""
    if level not in LEVELS:
        raise InvalidInput(f"Unknown level {level!r}", f"Use one of {', '.join(LEVELS)}.")


def overlay_inputs(
    conn: Connection, *, level: str = "ward", within: str | None = None, reach_m: float = 0.0
) -> OverlayInputs:
    """Read the overlay's inputs for the areas of ``level`` (in district ``within``, if given).

    With ``within``, LSOAs and assets are read up to ``reach_m`` metres beyond it, so that coverage and
    catchments near its edge count what lies just across it; without, all of England's that are loaded.
    """
    check_level(level)
    if within is not None:
        kind = conn.execute(text("SELECT kind FROM areas WHERE code = :code"), {"code": within}).scalar()
        if kind is None:
            raise NotFound(
                f"No area with code {within!r}", "Give a district code such as E07000148 (Norwich)."
            )
        if kind != "district":
            raise InvalidInput(f"{within} is a {kind}, not a district", "within takes a district code.")
    params = {"level": level, "within": within}
    near = {"near_code": within, "reach_m": float(reach_m) if within is not None else 0.0}
    reader = Reader(conn)
    areas = reader.frame(("areas", level, within), ("areas",), lambda: _areas(conn, params))
    links = reader.frame(("links", level, within), ("areas",), lambda: _links(conn, params))
    lsoas = reader.frame(("lsoas", *near.values()), ("areas", "indicators"), lambda: _lsoas(conn, near))
    assets = reader.assets(("assets", *near.values()), lambda ids: _assets(conn, near, ids))
    served = reader.frame(
        ("served", level, within), ("areas", "assets", "indicators"), lambda: _served(conn, params)
    )
    members = reader.frame(("members",), ("areas",), lambda: _members(conn))
    ward_districts = reader.frame(("ward_districts",), ("areas",), lambda: _ward_districts(conn))
    version = reader.finish()
    return OverlayInputs(level, within, areas, lsoas, links, assets, served, members, ward_districts, version)


def _columns(rows: Sequence[Any], names: Sequence[str]) -> dict[str, Any]:
    """Rows as columns (lists), so that pandas builds each column once rather than inspecting every row."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return {name: list(column) for name, column in zip(names, columns, strict=True)}


def _frame(conn: Connection, name: str, params: Mapping[str, Any], columns: Sequence[str]) -> pd.DataFrame:
    rows = conn.execute(text(sql(name)), params).all()
    return pd.DataFrame(_columns(rows, columns), columns=list(columns))


def _areas(conn: Connection, params: Mapping[str, Any]) -> pd.DataFrame:
    return _frame(conn, "analysis_areas.sql", params, ["key", "code", "name", "kind", "parent_code"])


def _links(conn: Connection, params: Mapping[str, Any]) -> pd.DataFrame:
    links = _frame(conn, "analysis_links.sql", params, ["lsoa_key", "area_key", "share"])
    links["share"] = links["share"].astype(float)
    return links


def _assets(conn: Connection, near: Mapping[str, Any], ids: Mapping[str, list[int] | None]) -> pd.DataFrame:
    """Assets (all, or of each kind only those ids), with their place in their table (page, item)."""
    only = {f"{kind}_ids": ids.get(kind) for kind in ("group", "hub", "space")}
    assets = _frame(conn, "analysis_assets.sql", {**near, **only}, [*ASSET_COLUMNS, "page", "item"])
    assets[["ward_key", "lsoa_key"]] = assets[["ward_key", "lsoa_key"]].astype("Int64")
    assets["kind"] = pd.Categorical(assets["kind"], categories=["group", "hub", "space"])
    assets["room_hours"] = assets["room_hours"].astype(float)
    assets["categories"] = _tuples(assets["categories"])
    return assets


def _tuples(column: pd.Series) -> np.ndarray:
    """Lists (categories) as tuples: a kept frame's 100,000 tuples of text are left out of the garbage collector's
    full rounds (a list is traversed every time: 0.1 s a round)."""
    out = np.empty(len(column), dtype=object)
    out[:] = [None if c is None else tuple(c) for c in column.tolist()]
    return out


def _served(conn: Connection, params: Mapping[str, Any]) -> pd.DataFrame:
    served = _frame(
        conn, "analysis_served.sql", params, ["id", "area_key", "categories", "weight", "population"]
    )
    served["weight"] = served["weight"].astype(float)
    served["categories"] = _tuples(served["categories"])
    return served


def _members(conn: Connection) -> pd.DataFrame:
    return _frame(conn, "analysis_members.sql", {}, ["locality_key", "member_key"])


def _ward_districts(conn: Connection) -> pd.Series:
    wards = conn.execute(text(
        "SELECT w.id, d.id FROM areas w JOIN areas d ON d.code = w.parent_code AND d.kind = 'district' "
        "WHERE w.kind = 'ward'")).all()  # fmt: skip
    return pd.Series({w: d for w, d in wards}, dtype="Int64")


def _lsoas(conn: Connection, near: Mapping[str, Any]) -> pd.DataFrame:
    rows = conn.execute(text(sql("analysis_lsoas.sql")), {**near, "keys": list(LSOA_KEYS)}).all()
    frame = pd.DataFrame(
        {
            "key": np.array([r[0] for r in rows], dtype=np.int64),
            "code": [r[1] for r in rows],
            "district_key": pd.array([r[2] for r in rows], dtype="Int64"),
            "x": np.array([r[3] for r in rows], dtype=float),
            "y": np.array([r[4] for r in rows], dtype=float),
        }
    )
    values = pd.DataFrame.from_records([r[5] or {} for r in rows], columns=list(LSOA_KEYS))
    return pd.concat([frame, values.astype(float)], axis=1).set_index("key")


def indicator_values(conn: Connection, key: str, codes: list[str]) -> pd.DataFrame:
    """The latest value of indicator ``key`` for each of ``codes`` that has one (code, value, period, source)."""
    rows = conn.execute(text(sql("analysis_indicator.sql")), {"key": key, "codes": codes}).all()
    return pd.DataFrame(rows, columns=["code", "value", "period", "source"])
