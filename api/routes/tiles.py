"""OGC API - Tiles: vector tiles (Mapbox Vector Tiles, WebMercatorQuad) of the boundaries and public assets.

Mounted under ``/ogc``, beside the OGC API - Features collections of the same ids. A tile answers 200 with
``application/vnd.mapbox-vector-tile``, or 204 No Content when no feature meets it (OGC API - Tiles 1.0,
requirement /req/core/tc-success allows 204 for an empty tile, and saves clients parsing an empty body). Each
tile carries a strong ETag named by the data version it was made from and ``Cache-Control``; a request whose
``If-None-Match`` names the current ETag is answered 304 without making the tile. Boundary tiles carry each
area's default overlay class and priority: a tile read after the data changed first has the level's overlay
stored again (``layers.ogc.overlay.refresh``), as a page of the area collections does.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import pooled, refresh_overlay
from layers.errors import InvalidInput
from layers.tiles import mvt, tilesets
from layers.tiles.cache import TileCache
from layers.tiles.tilesets import MVT

PREFIX = "/ogc"
#: The pages' template of a collection's tile URLs (the page fills {collection}; Leaflet.VectorGrid z, x, y).
TILES_PATH = PREFIX + "/collections/{collection}/tiles/WebMercatorQuad/{z}/{y}/{x}"
router = APIRouter(prefix=PREFIX, tags=["ogc tiles"])

#: Tiles may be kept a minute, then asked again with If-None-Match (a 304 costs one small query).
TILE_CACHE = "public, max-age=60"
#: The descriptions change only with a new release.
META_CACHE = "public, max-age=3600"
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "No such collection or tile matrix set, or the tile is outside the tile matrix set's "
        "limits (zoom, row or column out of range)"
    },
}
Collection = Annotated[str, Path(description="a collection with tiles, e.g. lsoas", max_length=40)]
TileMatrixSet = Annotated[str, Path(description="the tile matrix set: WebMercatorQuad", max_length=40)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _json(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers={"Cache-Control": META_CACHE})


@router.get("/tileMatrixSets", responses=NOT_FOUND)
async def list_tile_matrix_sets(request: Request) -> JSONResponse:
    """The tile matrix sets the tiles are in (WebMercatorQuad)."""
    href = f"{_base(request)}/tileMatrixSets/{tilesets.TMS_ID}"
    item = {
        "id": tilesets.TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": tilesets.TMS_URI,
        "links": [{"href": href, "rel": "self", "type": "application/json"}],
    }
    return _json({"tileMatrixSets": [item]})


@router.get("/tileMatrixSets/{tileMatrixSetId}", responses=NOT_FOUND)
async def read_tile_matrix_set(
    tile_matrix_set: Annotated[TileMatrixSet, Path(alias="tileMatrixSetId")],
) -> JSONResponse:
    """The WebMercatorQuad tile matrix set (OGC Two Dimensional Tile Matrix Set 2.0, JSON)."""
    tilesets.check_tms(tile_matrix_set)
    return _json(tilesets.tile_matrix_set())


@router.get("/collections/{collectionId}/tiles", responses=NOT_FOUND)
async def list_collection_tilesets(
    request: Request, collection: Annotated[Collection, Path(alias="collectionId")]
) -> JSONResponse:
    """The collection's vector tilesets (one, in WebMercatorQuad)."""
    return _json(tilesets.tilesets_list(collection, _base(request)))


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}", responses=NOT_FOUND)
async def read_collection_tileset(
    request: Request,
    collection: Annotated[Collection, Path(alias="collectionId")],
    tile_matrix_set: Annotated[TileMatrixSet, Path(alias="tileMatrixSetId")],
    f: Annotated[
        Literal["json", "tilejson"] | None, Query(description="json (OGC tileset), or tilejson")
    ] = None,
) -> JSONResponse:
    """The collection's tileset in WebMercatorQuad: its limits and layers, or with f=tilejson its TileJSON 3.0."""
    tilesets.check_tms(tile_matrix_set)
    if f == "tilejson":
        return _json(tilesets.tilejson(collection, _base(request)))
    return _json(tilesets.tileset_metadata(collection, _base(request)))


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json", responses=NOT_FOUND)
async def read_collection_tilejson(
    request: Request,
    collection: Annotated[Collection, Path(alias="collectionId")],
    tile_matrix_set: Annotated[TileMatrixSet, Path(alias="tileMatrixSetId")],
) -> JSONResponse:
    """The collection's TileJSON 3.0 document: the tile URL template, zooms, bounds and layer fields."""
    tilesets.check_tms(tile_matrix_set)
    return _json(tilesets.tilejson(collection, _base(request)))


TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A Mapbox Vector Tile with one layer named as the collection",
        "content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
    },
    204: {"description": "No feature meets the tile (an empty tile)"},
    304: {"description": "The tile named by If-None-Match is still current"},
    **NOT_FOUND,
}


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    response_class=Response,
    responses=TILE_RESPONSES,
)
async def read_collection_tile(
    request: Request,
    collection: Annotated[Collection, Path(alias="collectionId")],
    tile_matrix_set: Annotated[TileMatrixSet, Path(alias="tileMatrixSetId")],
    z: Annotated[int, Path(alias="tileMatrix", ge=0, le=10_000, description="zoom, 0 to 24")],
    y: Annotated[int, Path(alias="tileRow", ge=0, le=2**31 - 1, description="row, 0 at the top")],
    x: Annotated[int, Path(alias="tileCol", ge=0, le=2**31 - 1, description="column, 0 at the left")],
) -> Response:
    """One vector tile of the collection (OGC API - Tiles; z/y/x as tileMatrix/tileRow/tileCol)."""
    return await tile_answer(request, collection, tile_matrix_set, z, y, x)


TILE_PATH = "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"
_TILE_ROUTE = SimpleNamespace(path=PREFIX + TILE_PATH)
#: A tile's numbers as FastAPI's route above takes them: digits only (so a 422 for anything else, as there).
_DIGITS = re.compile(r"[0-9]{1,10}")


async def serve_tile(request: Request) -> Response:
    """The same answer as ``read_collection_tile``, as a plain Starlette endpoint that ``create_app`` mounts in
    front of it: the documented route's parameters read here (a malformed number is the same 422), without
    FastAPI's per-request solving of them, which was a fifth of a small tile's time. The route above stays
    for the OpenAPI document (and would answer if this were not mounted)."""
    request.scope["route"] = _TILE_ROUTE  # for the log: the route's template, never the path as sent
    found = request.path_params
    numbers = []
    for name in ("tileMatrix", "tileRow", "tileCol"):
        given = found[name]
        if not _DIGITS.fullmatch(given) or int(given) > 2**31 - 1:
            raise InvalidInput(
                "The request's parameters are not valid",
                f"{name} must be a whole number from 0 to {2**31 - 1:,} (it was {given[:20]!r}).",
            )
        numbers.append(int(given))
    z, y, x = numbers
    return await tile_answer(request, found["collectionId"], found["tileMatrixSetId"], z, y, x)


async def tile_answer(
    request: Request, collection: str, tile_matrix_set: str, z: int, y: int, x: int
) -> Response:
    """The tile z/y/x of a collection, 204 when empty, 304 when If-None-Match names it; 404 outside the limits."""
    ts = tilesets.tileset(collection)
    tilesets.check_tms(tile_matrix_set)
    tilesets.check_tile(ts, z, x, y)
    asked = request.headers.get("if-none-match")
    known = (lambda etag: _matches(asked, etag)) if asked else None
    kept: TileCache = request.app.state.tile_cache
    async with pooled(request) as conn:  # the hot read: no dependency to solve
        tile = await mvt.answer(conn, kept, ts, z, x, y, known, final=ts.source != "areas")
    if isinstance(tile, mvt.Stale):
        # the data changed since the level's overlay was stored: store it (holding no connection), ask again
        await refresh_overlay(request, ts.kind)
        async with pooled(request) as conn:
            tile = await mvt.answer(conn, kept, ts, z, x, y, known)
    assert not isinstance(tile, mvt.Stale)
    if isinstance(tile, str):
        return Response(status_code=304, headers={"ETag": tile, "Cache-Control": TILE_CACHE})
    headers = {"ETag": tile.etag, "Cache-Control": TILE_CACHE}
    if not tile.data:
        return Response(status_code=204, headers=headers)
    return Response(tile.data, media_type=MVT, headers=headers)


def _matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match names this ETag (weak comparison, RFC 9110 13.1.2) or is ``*``."""
    asked = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in asked or etag in asked
