"""Row-level geometry checks shared by the importers: empty, NaN, out of range, swapped, invalid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

# British data: if x looks like a British latitude and y like a British longitude, the axes are swapped.
UK_LAT = (49.0, 61.5)
UK_LON = (-9.0, 2.5)


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one geometry: the geometry to store, or why the row is rejected."""

    geom: BaseGeometry | None
    rejected: str | None = None
    repaired: str | None = None


def precheck(geom: BaseGeometry | None, *, max_vertices: int | None = None) -> str | None:
    """Problems visible before reprojection: missing, empty or non-numeric coordinates, or (with
    ``max_vertices``) more vertices than one geometry may have."""
    if geom is None:
        return "no geometry"
    if geom.is_empty:
        return "empty geometry"
    if max_vertices is not None and (n := shapely.get_num_coordinates(geom)) > max_vertices:
        return (
            f"{n:,} vertices, more than the {max_vertices:,} an area may have: simplify it first "
            "(or raise PATCHMAP_MAX_AREA_VERTICES)"
        )
    coords = shapely.get_coordinates(geom)
    if coords.size and not np.isfinite(coords).all():
        return "coordinates are not numbers (NaN or infinite)"
    return None


def lonlat_problem(geom: BaseGeometry) -> str | None:
    """Problems of a geometry in EPSG:4326: out of range, or latitude and longitude swapped."""
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return f"coordinates out of range (longitude {minx:.4g}..{maxx:.4g}, latitude {miny:.4g}..{maxy:.4g})"
    if UK_LAT[0] <= minx and maxx <= UK_LAT[1] and UK_LON[0] <= miny and maxy <= UK_LON[1]:
        return "latitude and longitude look swapped (x holds latitudes, y longitudes)"
    return None


def to_multipolygon(geom: BaseGeometry) -> Checked:
    """Make a polygonal geometry valid and return it as a MultiPolygon (or say why it can't be)."""
    repaired = None
    if not geom.is_valid:
        repaired = f"invalid geometry made valid ({shapely.is_valid_reason(geom)})"
        geom = shapely.make_valid(geom)
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon)]
    parts: list[Polygon] = []
    for p in polys:
        parts.extend(p.geoms if isinstance(p, MultiPolygon) else [p])
    parts = [p for p in parts if not p.is_empty and p.area > 0]
    if not parts:
        return Checked(None, rejected=f"not a polygon ({geom.geom_type})")
    return Checked(MultiPolygon(parts), repaired=repaired)


def to_point(geom: BaseGeometry) -> BaseGeometry:
    """A point for a feature: itself, or a point guaranteed to lie on it."""
    if geom.geom_type == "Point":
        return geom
    return geom.representative_point()
