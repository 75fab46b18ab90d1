"""Where a deployment's pages start, taken from the data loaded unless settings say otherwise.

Nothing is hard-wired to one council: the officers' map opens on the deployment's own district, maps start
on its extent, and the examples in hints ("For example NR2 1AW, NR2 or Mancroft") are a real postcode,
outward code and ward of that district.

The district is, in order: ``PATCHMAP_DEFAULT_DISTRICT`` when it is loaded; else the first district marked as
mapped (where the council's register is complete); else the district holding the most hubs, spaces and
groups; else the first district by code. With no districts loaded at all, everything is None and the map
starts on the settings' centre (or Great Britain).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import Connection, text

from layers.settings import MapSettings

#: Great Britain, for a deployment with no boundaries loaded yet.
GB_CENTRE, GB_ZOOM = (-2.0, 54.0), 6
#: How long the defaults are kept before the data is asked again (seconds): they change only with imports.
KEEP_S = 60.0


@dataclass(frozen=True)
class PlaceDefaults:
    """The deployment's home district, where maps start, and real examples for hints."""

    district_code: str | None
    district_name: str | None
    centre_lon: float
    centre_lat: float
    zoom: int
    example_postcode: str | None = None
    example_ward: str | None = None

    @property
    def example_outward(self) -> str | None:
        """The outward code of the example postcode (``NR2`` of ``NR2 1AW``)."""
        return self.example_postcode.split(" ")[0] if self.example_postcode else None

    def where_examples(self) -> str:
        """ "NR2 1AW, NR2 or Mancroft": what a resident may type, from the loaded data (may be "")."""
        parts = [p for p in (self.example_postcode, self.example_outward, self.example_ward) if p]
        return ", ".join(parts[:-1]) + (" or " if len(parts) > 1 else "") + parts[-1] if parts else ""


_CHOOSE = """
WITH d AS (SELECT code, name, geom FROM areas WHERE kind = 'district'),
chosen AS (
  SELECT d.code FROM d WHERE d.code = :wanted
  UNION ALL (
    SELECT a.code FROM mapped_areas m JOIN areas a ON a.id = m.area_id AND a.kind = 'district'
    ORDER BY m.mapped_at, a.code LIMIT 1)
  UNION ALL (
    SELECT l.parent_code FROM (
      SELECT lsoa_code FROM hubs UNION ALL SELECT lsoa_code FROM spaces UNION ALL SELECT lsoa_code FROM groups
    ) x JOIN areas l ON l.code = x.lsoa_code AND l.kind = 'lsoa' JOIN d ON d.code = l.parent_code
    GROUP BY l.parent_code ORDER BY count(*) DESC, l.parent_code LIMIT 1)
  UNION ALL (SELECT code FROM d ORDER BY code LIMIT 1)
  LIMIT 1
)
SELECT d.code, d.name, ST_X(ST_PointOnSurface(d.geom)) AS lon, ST_Y(ST_PointOnSurface(d.geom)) AS lat,
       ST_XMin(d.geom) AS x0, ST_YMin(d.geom) AS y0, ST_XMax(d.geom) AS x1, ST_YMax(d.geom) AS y1,
       (SELECT p.postcode FROM postcodes p WHERE p.district_code = d.code
        ORDER BY p.approximate, p.geom <-> ST_PointOnSurface(d.geom) LIMIT 1) AS postcode,
       (SELECT w.name FROM areas w WHERE w.kind = 'ward' AND w.parent_code = d.code
        ORDER BY ST_Intersects(w.geom, ST_PointOnSurface(d.geom)) DESC, w.name LIMIT 1) AS ward
FROM d JOIN chosen c ON c.code = d.code
"""

_kept: dict[tuple[str, str | None], tuple[float, PlaceDefaults]] = {}
_lock = Lock()


def zoom_for(width_deg: float, height_deg: float) -> int:
    """A web map zoom that shows an extent this wide and tall (degrees) on a screen of about 800 × 600 px."""
    if width_deg <= 0 or height_deg <= 0:
        return 13
    lat_span = height_deg * 1.6  # degrees of latitude look taller than longitude at British latitudes
    zoom = math.floor(math.log2(min(800 * 360 / (256 * width_deg), 600 * 360 / (256 * lat_span))))
    return max(6, min(15, zoom))


def place_defaults(conn: Connection, settings: MapSettings) -> PlaceDefaults:
    """The deployment's defaults (kept for ``KEEP_S`` per database and setting)."""
    key = (str(conn.engine.url), settings.default_district)
    now = time.monotonic()
    with _lock:
        kept = _kept.get(key)
        if kept is not None and now - kept[0] < KEEP_S:
            return kept[1]
    found = _read(conn, settings)
    with _lock:
        _kept[key] = (now, found)
    return found


def forget() -> None:
    """Drop the kept defaults (after an import that changes the districts, and in tests)."""
    with _lock:
        _kept.clear()


def _read(conn: Connection, settings: MapSettings) -> PlaceDefaults:
    row = conn.execute(text(_CHOOSE), {"wanted": settings.default_district or ""}).first()
    explicit = {"map_centre_lon", "map_centre_lat"} <= settings.model_fields_set
    if row is None:
        lon, lat = (settings.map_centre_lon, settings.map_centre_lat) if explicit else GB_CENTRE
        zoom = settings.map_zoom if "map_zoom" in settings.model_fields_set else GB_ZOOM
        return PlaceDefaults(None, None, lon, lat, zoom)
    lon, lat = (settings.map_centre_lon, settings.map_centre_lat) if explicit else (row.lon, row.lat)
    zoom = (
        settings.map_zoom
        if "map_zoom" in settings.model_fields_set
        else zoom_for(row.x1 - row.x0, row.y1 - row.y0)
    )
    return PlaceDefaults(row.code, row.name, float(lon), float(lat), zoom, row.postcode, row.ward)
