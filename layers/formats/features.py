"""GeoJSON (RFC 7946): features and feature collections in EPSG:4326, coordinates lon, lat."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson


def point(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    """A GeoJSON Point, or None (a feature with no place) when either coordinate is missing."""
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def feature(id: str, geometry: Mapping[str, Any] | None, properties: Mapping[str, Any]) -> dict[str, Any]:
    """One Feature."""
    return {"type": "Feature", "id": id, "geometry": geometry, "properties": properties}


def point_features(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with ``kind``, ``id``, ``lon`` and ``lat`` as point Features with id ``kind/id``; the other keys
    become properties."""
    return [
        feature(
            f"{r['kind']}/{r['id']}",
            point(r["lon"], r["lat"]),
            {k: v for k, v in r.items() if k not in ("lon", "lat")},
        )
        for r in rows
    ]


def feature_collection(features: list[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """A FeatureCollection; ``members`` ride along as foreign members, as RFC 7946 allows."""
    return {"type": "FeatureCollection", "features": features, **members}


def geojson_bytes(features: list[dict[str, Any]], **members: Any) -> bytes:
    """A FeatureCollection as UTF-8 JSON bytes."""
    return orjson.dumps(feature_collection(features, **members))
