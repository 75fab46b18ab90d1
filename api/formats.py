"""The one format negotiation rule for every endpoint that answers in more than one format.

``f=`` wins when given; otherwise the first of the other offered formats whose media type the ``Accept``
header names; otherwise the first offered format (the endpoint's default, usually JSON). So
``Accept: application/geo+json`` gets GeoJSON, and a browser's ``*/*`` gets the default. The formats themselves, and their writers,
live in ``layers.formats``; paths that name a format by suffix (``/patch/.../wards/W.csv``) pass it as ``f``.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from layers.formats import FORMATS

GEOJSON = FORMATS["geojson"].media_type
CSV = FORMATS["csv"].media_type
GPKG = FORMATS["gpkg"].media_type


def negotiate(request: Request, f: str | None, offered: tuple[str, ...]) -> str:
    """The format to answer in, among ``offered`` (names in ``layers.formats.FORMATS``)."""
    if f:
        return f
    accept = request.headers.get("accept", "")
    if accept:
        for name in offered[1:]:
            if FORMATS[name].media_type in accept:
                return name
    return offered[0]


def file_response(body: str | bytes, fmt: str, *, filename: str | None = None, **headers: str) -> Response:
    """An answer in format ``fmt`` (UTF-8 text for CSV), as a download named ``filename`` when given."""
    media = FORMATS[fmt].media_type  # Starlette adds "; charset=utf-8" to text/* types
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body, media_type=media, headers=headers or None)
