"""The OGC API's JSON documents and their links: landing page, conformance, collections, and the items
page's envelope (links, counts, time stamp) around the features PostGIS wrote.

Every link is absolute, from the base address the request came to (``base``, without a trailing slash)
and ``PREFIX``, so a client such as GDAL can follow it as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote, urlencode

import orjson

from layers.ogc.collections import CONFORMANCE, CRS84, CRSS, Collection, list_collections
from layers.ogc.features import Page
from layers.ogc.params import ItemsQuery
from layers.tiles import tilesets

PREFIX: Final = "/ogc"
JSON: Final = "application/json"
GEOJSON: Final = "application/geo+json"
HTML: Final = "text/html"
OPENAPI: Final = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON: Final = "application/schema+json"
QUERYABLES_REL: Final = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
#: Each kind of filter's JSON Schema type, and how it selects (layers.ogc.features).
_QUERYABLE: Final = {
    "text": ("string", "features whose {column} is exactly this"),
    "integer": ("integer", "features whose {column} is this number"),
    "boolean": ("boolean", "features whose {column} is this (true or false)"),
    "any": ("string", "features whose {column} include this one"),
}
Link = dict[str, str]
Doc = dict[str, Any]


def link(href: str, rel: str, media: str, title: str) -> Link:
    """One link object."""
    return {"href": href, "rel": rel, "type": media, "title": title}


def _self_and_alternate(url: str, fmt: str, media: str, title: str) -> list[Link]:
    """``self`` in the format sent and ``alternate`` in the other (JSON or HTML)."""
    as_json = link(f"{url}?f=json", "self", media, f"{title} as JSON")
    as_html = link(f"{url}?f=html", "self", HTML, f"{title} as HTML")
    first, other = (as_html, as_json) if fmt == "html" else (as_json, as_html)
    return [first, {**other, "rel": "alternate"}]


def landing(base: str, fmt: str) -> Doc:
    """The landing page: what this is and where everything else is."""
    root = base + PREFIX
    return {
        "title": "Patchmap: OGC API – Features and Tiles",
        "description": "Community groups, hubs, spaces and rooms (public fields only), and wards, districts, "
        "LSOAs and localities with their indicators, as OGC API – Features collections, most also as vector tiles (OGC API – Tiles).",
        "links": [
            *_self_and_alternate(root, fmt, JSON, "This document"),
            link(f"{base}/openapi.json", "service-desc", OPENAPI, "The API definition (OpenAPI 3)"),
            link(f"{base}/docs", "service-doc", HTML, "The API documentation"),
            link(f"{root}/conformance", "conformance", JSON, "Conformance classes implemented"),
            link(f"{root}/collections", "data", JSON, "The collections"),
            link(
                f"{root}/tileMatrixSets/{tilesets.TMS_ID}",
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                JSON,
                "The tile matrix set of the vector tiles",
            ),
        ],
    }


def conformance(base: str, fmt: str) -> Doc:
    """The conformance classes implemented."""
    return {
        "conformsTo": [*CONFORMANCE, *tilesets.CONFORMANCE],
        "links": _self_and_alternate(f"{base}{PREFIX}/conformance", fmt, JSON, "Conformance"),
    }


def collection_doc(base: str, collection: Collection, bbox: list[float] | None, fmt: str = "json") -> Doc:
    """One collection's description, with its items' links, extent and CRSs."""
    url = f"{base}{PREFIX}/collections/{collection.id}"
    doc: Doc = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "links": [
            *_self_and_alternate(url, fmt, JSON, collection.title),
            link(f"{url}/items?f=json", "items", GEOJSON, f"{collection.title} as GeoJSON"),
            link(f"{url}/items?f=html", "items", HTML, f"{collection.title} as HTML"),
            link(
                f"{url}/queryables",
                QUERYABLES_REL,
                SCHEMA_JSON,
                "The properties its items can be filtered by",
            ),
        ],
        "crs": list(CRSS),
        "storageCrs": CRS84,
    }
    if collection.id in tilesets.TILESETS:  # rooms have no tiles: they are inside their hubs
        doc["links"].extend(tilesets.tile_links(collection.id, base + PREFIX))
    if bbox is not None:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    return doc


def queryables_doc(base: str, collection: Collection, fmt: str = "json") -> Doc:
    """The collection's queryables (OGC API - Features - Part 3): a JSON Schema naming each property its items
    can be filtered by, each also a query parameter of the items (``?name=value``)."""
    url = f"{base}{PREFIX}/collections/{collection.id}/queryables"
    properties: Doc = {}
    for name, where in collection.filters.items():
        kind, words = _QUERYABLE[where.kind]
        properties[name] = {"title": name, "description": words.format(column=where.column), "type": kind}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": f"{collection.title}: queryables",
        "properties": properties,
        "additionalProperties": False,
        "links": [
            *_self_and_alternate(url, fmt, SCHEMA_JSON, "The queryables"),
            link(f"{base}{PREFIX}/collections/{collection.id}", "collection", JSON, collection.title),
        ],
    }


def collections_doc(base: str, bbox: list[float] | None, fmt: str) -> Doc:
    """Every collection's description."""
    return {
        "links": _self_and_alternate(f"{base}{PREFIX}/collections", fmt, JSON, "The collections"),
        "collections": [collection_doc(base, c, bbox) for c in list_collections()],
        "crs": list(CRSS),
    }


def _page_url(url: str, params: Sequence[tuple[str, str]], **changes: str | int) -> str:
    """``url`` with the request's parameters, some of them changed."""
    kept = [(k, v) for k, v in params if k not in changes]
    return f"{url}?{urlencode([*kept, *((k, str(v)) for k, v in changes.items())])}"


def items_links(
    base: str,
    collection: Collection,
    params: Sequence[tuple[str, str]],
    query: ItemsQuery,
    page: Page,
    fmt: str,
) -> list[Link]:
    """self, alternate, next and prev links of an items page (sent in ``fmt``), and its collection."""
    url = f"{base}{PREFIX}/collections/{collection.id}/items"
    json_link = link(_page_url(url, params, f="json"), "self", GEOJSON, "This page as GeoJSON")
    html_link = link(_page_url(url, params, f="html"), "self", HTML, "This page as HTML")
    first, other = (html_link, json_link) if fmt == "html" else (json_link, html_link)
    media = HTML if fmt == "html" else GEOJSON
    links = [first, {**other, "rel": "alternate"}]
    if query.offset + page.returned < page.matched:
        after = _page_url(url, params, f=fmt, limit=query.limit, offset=query.offset + query.limit)
        links.append(link(after, "next", media, "The next page"))
    if query.offset > 0:
        before = _page_url(url, params, f=fmt, limit=query.limit, offset=max(0, query.offset - query.limit))
        links.append(link(before, "prev", media, "The previous page"))
    links.append(link(f"{base}{PREFIX}/collections/{collection.id}", "collection", JSON, collection.title))
    return links


def now_stamp() -> str:
    """The time of the answer, RFC 3339 in UTC to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def items_body(page: Page, links: list[Link], stamp: str) -> bytes:
    """The FeatureCollection: PostGIS's features, unparsed, inside the envelope."""
    tail = orjson.dumps(
        {"numberMatched": page.matched, "numberReturned": page.returned, "timeStamp": stamp, "links": links}
    )
    return b'{"type":"FeatureCollection","features":[' + page.features.encode() + b"]," + tail[1:]


def item_links(base: str, collection: Collection, feature_id: str, fmt: str) -> list[Link]:
    """self, alternate and collection links of one feature."""
    url = f"{base}{PREFIX}/collections/{collection.id}/items/{quote(feature_id, safe='')}"
    return [
        *_self_and_alternate(url, fmt, GEOJSON, "This feature"),
        link(f"{base}{PREFIX}/collections/{collection.id}", "collection", JSON, collection.title),
    ]


def item_body(feature: str, links: list[Link]) -> bytes:
    """One feature with its links added."""
    return feature.encode()[:-1] + b',"links":' + orjson.dumps(links) + b"}"
