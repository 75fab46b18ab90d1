"""What tiles there are: the WebMercatorQuad tile matrix set, a tileset per collection, TileJSON, links.

Collection ids are those of the OGC API Features collections (``wards``, ``districts``, ``lsoas``,
``localities``, ``hubs``, ``spaces``, ``groups``); each tileset has one layer named as its collection. Paths are
relative to the OGC API's root (``/ogc`` in the app), so the landing page and ``/collections`` can list them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from layers.errors import NotFound

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MVT = "application/vnd.mapbox-vector-tile"
#: The OGC API - Tiles 1.0 conformance classes the tiles meet (for /conformance).
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
#: Half the side of the EPSG:3857 square, metres.
HALF = 20037508.342789244
#: England and Wales, lon/lat: where the data is (a client's starting view, not a limit).
BOUNDS = (-6.5, 49.8, 2.1, 55.9)
EXTENT = 4096
MAX_ZOOM_TMS = 24
AREA_FIELDS = {
    "code": "GSS code (or a custom code for a locality)",
    "name": "name",
    "imd_decile": "Index of Multiple Deprivation 2019 decile, 1 = most deprived tenth (population-weighted "
    "mean for areas larger than an LSOA)",
    "population_total": "residents (IoD2019, mid-2015)",
    "overlay_class": "the latest default overlay's need-provision class (need third, provision third, e.g. "
    "high-low: high need, low provision), as the OGC API's area collections carry it",
    "overlay_priority": "the latest default overlay's priority rank, 1 = the largest gap of need over provision",
}
ASSET_FIELDS = {
    "id": "the record's id (also the feature id)",
    "subtype": "the kind of hub or space, or a group's first category",
    "name": "name",
    "sample": "true for made-up demo data",
}


@dataclass(frozen=True)
class Tileset:
    """One collection's vector tiles: which rows, their zoom range, and the fields each feature carries."""

    id: str
    title: str
    source: Literal["areas", "assets"]
    kind: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str] = field(default_factory=dict)


TILESETS: dict[str, Tileset] = {
    t.id: t
    for t in (
        Tileset("districts", "Districts", "areas", "district", 0, 16, AREA_FIELDS),
        Tileset("wards", "Wards", "areas", "ward", 0, 16, AREA_FIELDS),
        Tileset("lsoas", "LSOAs (neighbourhoods)", "areas", "lsoa", 0, 16, AREA_FIELDS),
        Tileset("localities", "Localities", "areas", "locality", 0, 16, AREA_FIELDS),
        # Points: from zoom 8 (a county), so a tile never holds a country's worth of markers.
        Tileset("hubs", "Community hubs", "assets", "hub", 8, 16, ASSET_FIELDS),
        Tileset("spaces", "Spaces to use", "assets", "space", 8, 16, ASSET_FIELDS),
        Tileset("groups", "Groups (at a public venue)", "assets", "group", 8, 16, ASSET_FIELDS),
    )
}


def tileset(collection: str) -> Tileset:
    """The tileset of a collection, or NotFound."""
    found = TILESETS.get(collection)
    if found is None:
        raise NotFound(
            f"No tiles for collection {collection!r}",
            f"Collections with tiles: {', '.join(TILESETS)}.",
        )
    return found


def check_tms(tms: str) -> None:
    """NotFound unless the tile matrix set is WebMercatorQuad (the only one served)."""
    if tms != TMS_ID:
        raise NotFound(f"Unknown tile matrix set {tms!r}", f"Tiles are served in {TMS_ID} only.")


def check_tile(ts: Tileset, z: int, x: int, y: int) -> None:
    """NotFound unless z/x/y is a tile of WebMercatorQuad inside the tileset's zoom limits."""
    if not 0 <= z <= MAX_ZOOM_TMS:
        raise NotFound(f"Zoom {z} is not in {TMS_ID}", f"Zoom levels run from 0 to {MAX_ZOOM_TMS}.")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(
            f"Tile {z}/{y}/{x} is outside zoom {z}", f"At zoom {z} rows and columns run from 0 to {2**z - 1}."
        )
    if not ts.minzoom <= z <= ts.maxzoom:
        raise NotFound(
            f"No {ts.id} tiles at zoom {z}",
            f"{ts.title} are tiled from zoom {ts.minzoom} to {ts.maxzoom} (see tileMatrixSetLimits).",
        )


def tile_links(collection: str, base: str) -> list[dict[str, Any]]:
    """The links a collection's description carries to its tiles (``base``: the OGC API root URL)."""
    root = f"{base.rstrip('/')}/collections/{collection}/tiles"
    return [
        {
            "href": root,
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
            "type": "application/json",
            "title": "Vector tilesets",
        },
        {
            "href": f"{root}/{TMS_ID}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}",
            "templated": True,
            "rel": "item",
            "type": MVT,
            "title": "Mapbox Vector Tiles (WebMercatorQuad)",
        },
        {
            "href": f"{root}/{TMS_ID}/tilejson.json",
            "rel": "describedby",
            "type": "application/json",
            "title": "TileJSON 3.0",
        },
    ]


def _limits(ts: Tileset) -> list[dict[str, Any]]:
    return [
        {
            "tileMatrix": str(z),
            "minTileRow": 0,
            "maxTileRow": 2**z - 1,
            "minTileCol": 0,
            "maxTileCol": 2**z - 1,
        }
        for z in range(ts.minzoom, ts.maxzoom + 1)
    ]


def tilesets_list(collection: str, base: str) -> dict[str, Any]:
    """The collection's list of tilesets (one: WebMercatorQuad), OGC API - Tiles ``/tiles``."""
    ts = tileset(collection)
    root = f"{base.rstrip('/')}/collections/{collection}/tiles"
    return {
        "links": [{"href": root, "rel": "self", "type": "application/json"}],
        "tilesets": [
            {
                "title": f"{ts.title}: vector tiles",
                "dataType": "vector",
                "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
                "tileMatrixSetURI": TMS_URI,
                "links": [
                    {"href": f"{root}/{TMS_ID}", "rel": "self", "type": "application/json"},
                    {
                        "href": f"{base.rstrip('/')}/tileMatrixSets/{TMS_ID}",
                        "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                        "type": "application/json",
                    },
                ],
            }
        ],
    }


def tileset_metadata(collection: str, base: str) -> dict[str, Any]:
    """One tileset's description (OGC API - Tiles tileset conformance class)."""
    ts = tileset(collection)
    root = f"{base.rstrip('/')}/collections/{collection}/tiles/{TMS_ID}"
    return {
        "title": f"{ts.title}: vector tiles",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": TMS_URI,
        "tileMatrixSetLimits": _limits(ts),
        "boundingBox": {
            "lowerLeft": list(BOUNDS[:2]),
            "upperRight": list(BOUNDS[2:]),
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        },
        "layers": [
            {
                "id": ts.id,
                "dataType": "vector",
                "geometryType": "polygons" if ts.source == "areas" else "points",
                "minTileMatrix": str(ts.minzoom),
                "maxTileMatrix": str(ts.maxzoom),
                "propertiesSchema": {
                    "type": "object",
                    "properties": {k: {"description": v} for k, v in ts.fields.items()},
                },
            }
        ],
        "links": [
            {"href": root, "rel": "self", "type": "application/json"},
            {
                "href": f"{base.rstrip('/')}/tileMatrixSets/{TMS_ID}",
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                "type": "application/json",
            },
            {
                "href": f"{root}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}",
                "rel": "item",
                "type": MVT,
                "templated": True,
            },
            {
                "href": f"{root}/tilejson.json",
                "rel": "alternate",
                "type": "application/json",
                "title": "TileJSON 3.0",
            },
        ],
    }


def tilejson(collection: str, base: str) -> dict[str, Any]:
    """The collection's TileJSON 3.0 document (what Leaflet, MapLibre and QGIS read to find the tiles)."""
    ts = tileset(collection)
    root = f"{base.rstrip('/')}/collections/{collection}/tiles/{TMS_ID}"
    return {
        "tilejson": "3.0.0",
        "name": ts.id,
        "description": f"{ts.title} from Patchmap",
        "scheme": "xyz",
        "tiles": [f"{root}/{{z}}/{{y}}/{{x}}"],
        "minzoom": ts.minzoom,
        "maxzoom": ts.maxzoom,
        "bounds": list(BOUNDS),
        "center": [(BOUNDS[0] + BOUNDS[2]) / 2, (BOUNDS[1] + BOUNDS[3]) / 2, max(ts.minzoom, 6)],
        "vector_layers": [
            {
                "id": ts.id,
                "fields": ts.fields,
                "minzoom": ts.minzoom,
                "maxzoom": ts.maxzoom,
                "description": ts.title,
            }
        ],
    }


def tile_matrix_set() -> dict[str, Any]:
    """The WebMercatorQuad tile matrix set (OGC 17-083r4 TMS 2.0 JSON), zooms 0 to 24."""
    size0 = 2 * HALF / 256  # metres per pixel at zoom 0, 256-pixel tiles
    return {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": [
            {
                "id": str(z),
                "scaleDenominator": size0 / 2**z / 0.00028,
                "cellSize": size0 / 2**z,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF, HALF],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": 2**z,
                "matrixHeight": 2**z,
            }
            for z in range(MAX_ZOOM_TMS + 1)
        ],
    }


def band_of(z: int) -> int:
    """Which stored copy of a boundary a zoom draws from (migration 0020_tiles_area_geometries): 12, 10, 8 or 0."""
    return next(b for b in (12, 10, 8, 0) if z >= b)
