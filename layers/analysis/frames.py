"""Areas and their indicators as GeoDataFrames, for notebooks, exports and analysis (sync, SQLAlchemy)."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, bindparam, text

from layers.errors import InvalidInput
from layers.taxonomy import AREA_KINDS

#: Indicators most analyses want: population and the IMD.
DEFAULT_KEYS = ("population_total", "population_0_15", "population_60_plus", "imd_rank", "imd_decile")


def area_indicators(
    engine: Engine, *, kind: str = "ward", within: str | None = None, keys: Sequence[str] = DEFAULT_KEYS
) -> gpd.GeoDataFrame:
    """Areas of ``kind`` (whose parent is ``within``, if given) with one column per indicator; EPSG:4326.

    For each key the latest period is used. Missing values are NaN.
    """
    if kind not in AREA_KINDS:
        raise InvalidInput(f"Unknown area kind {kind!r}", f"Use one of {', '.join(AREA_KINDS)}.")
    areas_sql = text(
        "SELECT code, name, kind, parent_code, geom FROM areas "
        "WHERE kind = :kind AND (CAST(:within AS text) IS NULL OR parent_code = :within) ORDER BY code"
    )
    values_sql = text(
        "SELECT DISTINCT ON (i.area_code, i.key) i.area_code AS code, i.key, i.value FROM indicators i "
        "JOIN areas a ON a.code = i.area_code "
        "WHERE a.kind = :kind AND (CAST(:within AS text) IS NULL OR a.parent_code = :within) "
        "AND i.key IN :keys ORDER BY i.area_code, i.key, i.period DESC"
    ).bindparams(bindparam("keys", expanding=True))
    params = {"kind": kind, "within": within}
    with engine.connect() as conn:
        frame = gpd.read_postgis(areas_sql, conn, geom_col="geom", params=params)
        values = pd.read_sql(values_sql, conn, params={**params, "keys": list(keys)})
    wide = values.pivot(index="code", columns="key", values="value").reindex(columns=list(keys))
    out = frame.merge(wide, left_on="code", right_index=True, how="left")
    return gpd.GeoDataFrame(out, geometry="geom", crs=4326)
