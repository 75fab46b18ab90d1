"""What the OGC API's answers look like (for the OpenAPI document) and the query parameters it takes.

The parameters are read from the query string by ``layers.ogc.params`` (so a bad one is a 400, as the
standard asks, not FastAPI's 422); here they are described for the document only.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from layers.ogc.collections import CRSS, list_collections
from layers.ogc.params import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET


class OgcLink(BaseModel):
    """A link to a related resource."""

    href: str
    rel: str
    type: str
    title: str
    templated: bool | None = Field(None, description="true: href is a URI template (a tile's address)")


class LandingPage(BaseModel):
    """The OGC API's landing page."""

    title: str
    description: str
    links: list[OgcLink]


class ConformanceClasses(BaseModel):
    """The conformance classes implemented."""

    conformsTo: list[str]
    links: list[OgcLink]


class SpatialExtent(BaseModel):
    """A bbox [minx, miny, maxx, maxy] in CRS84."""

    bbox: list[list[float]]
    crs: str


class Extent(BaseModel):
    """Where a collection's features are."""

    spatial: SpatialExtent


class CollectionInfo(BaseModel):
    """One collection: what it holds, where, in which CRSs, and its links."""

    id: str
    title: str
    description: str
    itemType: Literal["feature"]
    links: list[OgcLink]
    crs: list[str]
    storageCrs: str
    extent: Extent | None = None


class CollectionList(BaseModel):
    """Every collection."""

    links: list[OgcLink]
    collections: list[CollectionInfo]
    crs: list[str]


class OgcFeature(BaseModel):
    """One feature: its id, geometry (null for a group known only by its areas) and public properties."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Feature"]
    id: int | str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]
    links: list[OgcLink] | None = None


class OgcFeatureCollection(BaseModel):
    """One page of a collection's features, with the counts and the links to the next and previous pages."""

    type: Literal["FeatureCollection"]
    features: list[OgcFeature]
    numberMatched: int
    numberReturned: int
    timeStamp: str
    links: list[OgcLink]


class Queryable(BaseModel):
    """One property the items can be filtered by (a query parameter of the same name), as JSON Schema."""

    title: str
    description: str
    type: Literal["string", "integer", "boolean"]


class Queryables(BaseModel):
    """A collection's queryables (OGC API - Features - Part 3): a JSON Schema of the filterable properties."""

    model_config = ConfigDict(populate_by_name=True)
    schema_: str = Field(alias="$schema")
    id_: str = Field(alias="$id")
    type: Literal["object"]
    title: str
    properties: dict[str, Queryable]
    additionalProperties: Literal[False]
    links: list[OgcLink]


def _param(name: str, description: str, schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **more,
    }


F = _param("f", "the format: json or html (else by the Accept header; JSON by default)",
           {"type": "string", "enum": ["json", "html"]})  # fmt: skip
CRS = _param("crs", "the CRS of the geometry sent (default CRS84)", {"type": "string", "enum": list(CRSS)})
FILTERS = sorted({name for c in list_collections() for name in c.filters})
ITEMS_PARAMS = [
    F,
    _param("limit", f"how many features a page holds (above {MAX_LIMIT}: {MAX_LIMIT})",
           {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT}),
    _param("offset", "how many features to skip", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
    _param("bbox", "features meeting this box: minx,miny,maxx,maxy in bbox-crs (EPSG:4326: lat,lon)",
           {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}, style="form", explode=False),
    _param("bbox-crs", "the CRS of bbox (default CRS84)", {"type": "string", "enum": list(CRSS)}),
    CRS,
    _param("datetime", "an RFC 3339 instant or interval; checked, and otherwise ignored (no collection has time)",
           {"type": "string"}),
    *(_param(name, f"features whose {name} is this (collections: "
             f"{', '.join(c.id for c in list_collections() if name in c.filters)})", {"type": "string", "maxLength": 200})
      for name in FILTERS),
]  # fmt: skip
ITEM_PARAMS = [F, CRS]
PLAIN_PARAMS = [F]
CONTENT_CRS = {
    "Content-Crs": {"description": "the CRS of the geometry, as <URI>", "schema": {"type": "string"}}
}


def answers(
    model: type[BaseModel], media: str, *, crs: bool = False, missing: str = ""
) -> dict[int | str, Any]:
    """The documented answers of an OGC API operation: the document (JSON or HTML), 400, and 404."""
    ok: dict[str, Any] = {
        "model": model,
        "content": {media: {}, "text/html": {"schema": {"type": "string"}}},
        "description": "The document as JSON, or as an HTML page (f=html)",
    }
    if crs:
        ok["headers"] = CONTENT_CRS
    found: dict[int | str, Any] = {200: ok, 400: {"description": "An unknown or malformed parameter"}}
    if missing:
        found[404] = {"description": missing}
    return found


def query_parameters(params: list[dict[str, Any]]) -> dict[str, Any]:
    """``openapi_extra`` naming an operation's query parameters."""
    return {"parameters": params}
