"""OGC API – Features (Part 1 Core, GeoJSON, HTML, OpenAPI 3.0; Part 2 CRS) under /ogc.

``/`` is the residents' map, so the API's landing page is ``/ogc`` and its definition is the app's own
OpenAPI document (``/openapi.json``). Each handler checks the query string (``layers.ogc.params``: a bad
parameter is a 400), makes one read and sends JSON, GeoJSON or an HTML page (``f=`` or the Accept header).
Before an area collection's features are read, its level's stored overlay is brought up to date
(``layers.ogc.overlay``: one small query, and the overlay computed only when the data changed since).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api import ogc_schemas as docs
from api.deps import Conn, pooled, refresh_overlay
from api.formats import negotiate
from api.html import html_page
from api.written import gzip_response
from layers.ogc import documents, features, overlay, params
from layers.ogc.collections import Collection, get_collection
from layers.ogc.documents import GEOJSON, JSON, PREFIX
from mapping.ogc_pages import ogc_page

router = APIRouter(prefix=PREFIX, tags=["ogc"])
NO_COLLECTION = "No such collection"


def _base(request: Request) -> str:
    """The address the request came to, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def _send(
    request: Request, fmt: str, kind: str, doc: dict[str, Any], body: bytes | None = None,
    media: str = JSON, headers: dict[str, str] | None = None, title: str = "", description: str = "",
) -> Response:  # fmt: skip
    """The document as JSON (``body`` when already written) or as its HTML page."""
    if fmt == "html":
        page = ogc_page(kind, doc, root=_base(request) + PREFIX, title=title, description=description)
        return html_page(request, page, headers=headers)
    if body is not None:  # a page or a feature: gzipped here, at a lower level than the middleware's
        return gzip_response(body, media, "gzip" in request.headers.get("accept-encoding", ""), headers)
    return Response(orjson.dumps(doc), media_type=media, headers=headers)


async def _overlay_current(request: Request, collection: Collection) -> None:
    """Store the default overlay of an area collection's level again if the data changed since it was stored
    (asset collections need nothing: their pages stay one statement). The check holds a pooled connection
    for one small query; the storing holds none of the pool's while it waits or computes."""
    level = overlay.LEVELS.get(collection.id)
    if level is None:
        return
    async with pooled(request) as conn:
        current = await overlay.is_current(conn, level)
    if not current:
        await refresh_overlay(request, level)


def _format(request: Request, given: str | None) -> str:
    """json or html: ``f`` if given, else by the Accept header."""
    return negotiate(request, given, ("json", "html"))


@router.get(
    "",
    response_class=Response,
    responses=docs.answers(docs.LandingPage, JSON),
    openapi_extra=docs.query_parameters(docs.PLAIN_PARAMS),
)
async def ogc_landing(request: Request) -> Response:
    """The landing page: links to the API definition, the conformance classes and the collections."""
    fmt = _format(request, params.plain_query(request.query_params.multi_items()))
    doc = documents.landing(_base(request), fmt)
    return _send(request, fmt, "landing", doc, title=doc["title"], description=doc["description"])


@router.get(
    "/conformance",
    response_class=Response,
    responses=docs.answers(docs.ConformanceClasses, JSON),
    openapi_extra=docs.query_parameters(docs.PLAIN_PARAMS),
)
async def ogc_conformance(request: Request) -> Response:
    """The conformance classes implemented."""
    fmt = _format(request, params.plain_query(request.query_params.multi_items()))
    return _send(request, fmt, "conformance", documents.conformance(_base(request), fmt), title="Conformance")


@router.get(
    "/collections",
    response_class=Response,
    responses=docs.answers(docs.CollectionList, JSON),
    openapi_extra=docs.query_parameters(docs.PLAIN_PARAMS),
)
async def ogc_collections(request: Request, conn: Conn) -> Response:
    """Every collection, with its extent, CRSs and links."""
    fmt = _format(request, params.plain_query(request.query_params.multi_items()))
    doc = documents.collections_doc(_base(request), await features.extent(conn), fmt)
    return _send(request, fmt, "collections", doc, title="Collections")


@router.get(
    "/collections/{collectionId}",
    response_class=Response,
    responses=docs.answers(docs.CollectionInfo, JSON, missing=NO_COLLECTION),
    openapi_extra=docs.query_parameters(docs.PLAIN_PARAMS),
)
async def ogc_collection(request: Request, conn: Conn, collectionId: str) -> Response:
    """One collection's description."""
    collection = get_collection(collectionId)
    fmt = _format(request, params.plain_query(request.query_params.multi_items()))
    doc = documents.collection_doc(_base(request), collection, await features.extent(conn), fmt)
    return _send(request, fmt, "collection", doc, title=collection.title, description=collection.description)


@router.get(
    "/collections/{collectionId}/queryables",
    response_class=Response,
    responses=docs.answers(docs.Queryables, documents.SCHEMA_JSON, missing=NO_COLLECTION),
    openapi_extra=docs.query_parameters(docs.PLAIN_PARAMS),
)
async def ogc_queryables(request: Request, collectionId: str) -> Response:
    """The properties a collection's items can be filtered by (OGC API - Features - Part 3), as JSON Schema;
    each is a query parameter of the items."""
    collection = get_collection(collectionId)
    fmt = _format(request, params.plain_query(request.query_params.multi_items()))
    doc = documents.queryables_doc(_base(request), collection, fmt)
    title = f"{collection.title}: queryables"
    return _send(request, fmt, "queryables", doc, media=documents.SCHEMA_JSON, title=title)


@router.get(
    "/collections/{collectionId}/items",
    response_class=Response,
    responses=docs.answers(docs.OgcFeatureCollection, GEOJSON, crs=True, missing=NO_COLLECTION),
    openapi_extra=docs.query_parameters(docs.ITEMS_PARAMS),
)
async def ogc_items(request: Request, collectionId: str) -> Response:
    """A page of a collection's features: by bbox and properties, in the CRS asked for."""
    collection = get_collection(collectionId)
    given = request.query_params.multi_items()
    query = params.items_query(collection, given)
    fmt = _format(request, query.fmt)
    await _overlay_current(request, collection)
    async with pooled(request) as conn:  # the hot read: no dependency to solve
        page = await features.items_page(conn, collection, query)
    links = documents.items_links(_base(request), collection, given, query, page, fmt)
    body = documents.items_body(page, links, documents.now_stamp())
    headers = {"Content-Crs": f"<{query.crs.uri}>"}
    doc = orjson.loads(body) if fmt == "html" else {}
    return _send(request, fmt, "items", doc, body, GEOJSON, headers, collection.title, collection.description)


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    response_class=Response,
    responses=docs.answers(docs.OgcFeature, GEOJSON, crs=True, missing="No such collection or feature"),
    openapi_extra=docs.query_parameters(docs.ITEM_PARAMS),
)
async def ogc_item(request: Request, collectionId: str, featureId: str) -> Response:
    """One feature of a collection."""
    collection = get_collection(collectionId)
    crs, given_fmt = params.item_query(request.query_params.multi_items())
    fmt = _format(request, given_fmt)
    await _overlay_current(request, collection)
    async with pooled(request) as conn:
        feature = await features.one_feature(conn, collection, featureId, crs)
    body = documents.item_body(feature, documents.item_links(_base(request), collection, featureId, fmt))
    doc = orjson.loads(body) if fmt == "html" else {}
    title = f"{collection.title}: {doc.get('properties', {}).get('name', featureId)}"
    return _send(request, fmt, "item", doc, body, GEOJSON, {"Content-Crs": f"<{crs.uri}>"}, title)
